"""Drills: scenarios validated with positions, scripted drills scored exactly, status, and the live screen."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, Workspace, in_terminal, subprocess_env, wait_for_exit

from crisisctl.clock import parse_time
from crisisctl.output.drills import drill_status_rows
from crisisctl.playbook.catalog import validate_files
from crisisctl.playbook.files import discover

SCENARIO = """\
apiVersion: crisisctl/v1
kind: Scenario
id: base-drill
playbook: base
title: Checkout outage rehearsal
inputs:
  affected_customers: 4000
roles:
  incident-lead: alice
injects:
  - at: 0m
    message: Checkout errors spike.
  - at: 20m
    message: Support queue doubles.
    signals: {tickets: 40}
expectations:
  - step: assess
    by: 30m
  - step: notify
    by: 1h
  - communication: customer-notice
    sent_by: 2h
"""


def write_scenario(ws: Workspace, text: str = SCENARIO) -> Path:
    folder = ws.playbooks / "scenarios"
    folder.mkdir(exist_ok=True)
    path = folder / "base-drill.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def start(ws: Workspace, scenario: Path) -> str:
    payload = ws.json("drill", "start", "base", "--scenario", str(scenario))
    assert isinstance(payload, dict) and payload["drill"] is True
    return str(payload["id"])


def test_a_scripted_drill_is_scored_exactly(workspace: Workspace) -> None:
    incident = start(workspace, write_scenario(workspace))
    workspace.ok("step", "done", incident, "assess", "--at", "+25m")  # met: by 30m
    workspace.ok(
        "step", "done", incident, "notify", "--at", "+75m"
    )  # late against both its due 2h? no: on time; expectation 1h missed
    report = workspace.json("drill", "report", incident)
    assert isinstance(report, dict)
    assert [(e.get("step") or e.get("communication"), e["met"], e["at"]) for e in report["expectations"]] == [
        ("assess", True, "+25m"),
        ("notify", False, "+1h 15m"),
        ("customer-notice", False, None),
    ]
    # expectations: 1 met of 2 due so far (customer-notice by 2h is not yet due at +75m);
    # steps: assess on time (due 30m), notify on time (due 2h) -> 2/2; roles: incident-lead filled -> 1/1.
    assert report["score"] == round(100 * (0.6 * 1 / 2 + 0.3 * 2 / 2 + 0.1 * 1))
    assert "score = round(100" in report["formula"]
    text = workspace.ok("drill", "report", incident)
    assert "MISSED" in text and "met" in text and "score 70/100" in text


def test_drill_report_documents_escape_user_text(workspace: Workspace) -> None:
    hostile = SCENARIO.replace("title: Checkout outage rehearsal", 'title: "<img src=x onerror=alert(1)> *bold*"')
    incident = start(workspace, write_scenario(workspace, hostile))
    workspace.ok("step", "done", incident, "assess", "--at", "+25m")
    markdown = workspace.ok("drill", "report", incident, "--format", "md")
    assert "**Score: " in markdown and "| step `assess` | +30m | +25m | met |" in markdown
    assert "\\<img" in markdown and not re.search(r"(?<!\\)<img", markdown)  # CommonMark shows \< as text
    page = workspace.root / "drill.html"
    workspace.ok("drill", "report", incident, "--format", "html", "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "<svg" in html and "<script" not in html
    code, _, err = workspace.run("drill", "report", incident, "--format", "pdf")
    assert code == 2 and "md or html" in err


def test_drill_events_never_count_as_live(workspace: Workspace) -> None:
    incident = start(workspace, write_scenario(workspace))
    assert workspace.json("incidents", "--live") == []
    assert [row["id"] for row in workspace.json("incidents", "--drill")] == [incident]  # type: ignore[union-attr]


def test_scenario_problems_have_positions_and_stop_the_drill(workspace: Workspace) -> None:
    bad = SCENARIO.replace("  affected_customers: 4000", "  affected_customers: many\n  region: EU").replace(
        "  - step: notify", "  - step: notfy"
    )
    scenario = write_scenario(workspace, bad)
    code, _, err = workspace.run("drill", "start", "base", "--scenario", str(scenario))
    assert code == 1 and "inputs.affected_customers" in err
    assert not workspace.db.exists()
    report = json.loads(workspace.run("playbook", "validate", str(workspace.playbooks), "--format", "json")[1])
    found = {(e["rule"], e["line"], e["column"]) for e in report["errors"]}
    assert ("input-type", 7, 23) in found
    assert ("unknown-ref", 8, 3) in found
    assert ("unknown-ref", 20, 11) in found
    assert any("did you mean `notify`" in (e["hint"] or "") for e in report["errors"])


def test_injects_out_of_order_are_reported(workspace: Workspace) -> None:
    scenario = write_scenario(workspace, SCENARIO.replace("at: 20m", "at: 0s").replace("at: 0m", "at: 10m"))
    report = json.loads(workspace.run("playbook", "validate", str(scenario.parent), "--format", "json")[1])
    assert [(e["rule"], e["path"]) for e in report["errors"]] == [("inject-order", "injects[1].at")]


def test_inject_inputs_are_checked_against_the_playbook(workspace: Workspace) -> None:
    bad = SCENARIO.replace(
        "    signals: {tickets: 40}\n",
        "    signals: {tickets: 40}\n    inputs: {affected_customers: many, region: EU}\n",
    )
    scenario = write_scenario(workspace, bad)
    code, _, err = workspace.run("drill", "start", "base", "--scenario", str(scenario))
    assert code == 1 and "injects[1].inputs.affected_customers" in err
    report = json.loads(workspace.run("playbook", "validate", str(scenario.parent), "--format", "json")[1])
    assert {(e["rule"], e["path"], e["line"]) for e in report["errors"]} == {
        ("input-type", "injects[1].inputs.affected_customers", 16),
        ("unknown-ref", "injects[1].inputs.region", 16),
    }


def test_an_inject_due_at_the_start_sets_its_facts_as_the_drill_starts(workspace: Workspace) -> None:
    with_facts = SCENARIO.replace(
        "    message: Checkout errors spike.\n",
        "    message: Checkout errors spike.\n    inputs: {affected_customers: 5000}\n",
    )
    scenario = write_scenario(workspace, with_facts)
    started = workspace.json("--as", "fiona", "drill", "start", "base", "--scenario", str(scenario))
    assert isinstance(started, dict)
    incident = str(started["id"])
    events = workspace.json("timeline", incident)
    assert isinstance(events, list)
    facts = [event for event in events if event["type"] == "input.set"]
    assert [(e["actor"], e["at"], e["data"]) for e in facts] == [
        (
            "fiona",
            events[0]["at"],
            {
                "input": "affected_customers",
                "value": 5000,
                "previous": 4000,
                "note": "Checkout errors spike.",
                "inject": 1,
            },
        )
    ]
    assert workspace.json("show", incident)["inputs"] == {"affected_customers": 5000}  # type: ignore[index]


def test_drill_for_the_wrong_playbook_is_a_usage_error(workspace: Workspace) -> None:
    text = (workspace.playbooks / "base.yaml").read_text().replace("id: base", "id: other")
    (workspace.playbooks / "other.yaml").write_text(text)
    scenario = write_scenario(workspace, SCENARIO.replace("playbook: base", "playbook: other"))
    code, _, err = workspace.run("drill", "start", "base", "--scenario", str(scenario))
    assert code == 2 and "rehearses other" in err


def test_drill_status_knows_never_drilled_recent_and_overdue() -> None:
    report = validate_files(discover([REPO / "playbooks"]), dt.date(2026, 11, 25))
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    last = {"data-leak": "2026-06-01T09:00:00.000000Z", "pr-crisis": "2025-01-01T09:00:00.000000Z"}
    rows = {row["playbook"]: row for row in drill_status_rows(report.playbooks, last, now, dt.date(2026, 11, 25))}
    assert rows["data-leak"]["overdue"] is False and rows["data-leak"]["last_drill"] == last["data-leak"]
    assert rows["pr-crisis"]["overdue"] is True
    assert rows["service-outage"]["overdue"] is True and rows["service-outage"]["last_drill"] is None
    assert rows["data-leak"]["every"] == "365d"


def test_drill_status_json_through_the_cli(workspace: Workspace) -> None:
    start(workspace, write_scenario(workspace))
    rows = workspace.json("drill", "status")
    assert isinstance(rows, list)
    (row,) = rows
    assert set(row) >= {"playbook", "last_drill", "every", "overdue"}
    assert row["playbook"] == "base" and row["every"] is None and row["overdue"] is False


@pytest.mark.parametrize("scenario", sorted((REPO / "playbooks" / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_scenario_runs_as_a_drill(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crisisctl.entry import main

    playbook = next(
        line.split(":", 1)[1].strip() for line in scenario.read_text().splitlines() if line.startswith("playbook:")
    )
    args = [
        "--db",
        str(tmp_path / "log.sqlite3"),
        "--playbooks",
        str(REPO / "playbooks"),
        "--templates",
        str(REPO / "templates"),
    ]
    assert main([*args, "drill", "start", playbook, "--scenario", str(scenario), "--json"]) == 0
    incident = json.loads(capsys.readouterr().out)["id"]
    assert main([*args, "drill", "report", incident, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0 <= report["score"] <= 100 and report["expectations"]


def test_bundled_scenarios_exist_for_every_playbook() -> None:
    playbooks = {path.stem for path in (REPO / "playbooks").glob("*.yaml")}
    scenarios = [path.read_text() for path in (REPO / "playbooks" / "scenarios").glob("*.yaml")]
    covered = {
        line.split(":", 1)[1].strip()
        for text in scenarios
        for line in text.splitlines()
        if line.startswith("playbook:")
    }
    assert covered == playbooks


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_drill_run_in_a_real_terminal_shows_injects_records_their_facts_and_survives_ctrl_c(
    workspace: Workspace,
) -> None:
    with_facts = SCENARIO.replace(
        "    signals: {tickets: 40}\n", "    signals: {tickets: 40}\n    inputs: {affected_customers: 9000}\n"
    )
    scenario = write_scenario(workspace, with_facts)
    session = f"crisisctl-drill-{time.monotonic_ns()}"
    env = subprocess_env(COLUMNS="120", LINES="50")
    command = [
        sys.executable,
        "-m",
        "crisisctl",
        *workspace.args(),
        "--as",
        "fiona",
        "drill",
        "run",
        "base",
        "--scenario",
        str(scenario),
        "--speed",
        "600",
    ]
    tmux = ["tmux", "-L", session]
    status_file = workspace.root / "drill-run.status"
    window = ["-x", "120", "-y", "50", *in_terminal(command, status_file)]
    subprocess.run([*tmux, "new-session", "-d", "-s", session, *window], check=True, env=env)
    subprocess.run([*tmux, "set-option", "-t", session, "remain-on-exit", "on"], check=True)
    try:
        screen = ""
        for _ in range(60):  # 20m of drill time at 600x is 2 s of real time
            time.sleep(0.25)
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            if "Support queue doubles." in screen:
                break
        assert "Checkout errors spike." in screen
        assert "Support queue doubles." in screen, screen
        assert "DRILL INC-1" in screen
        assert "sets: affected_customers=9000" in screen
        subprocess.run([*tmux, "send-keys", "-t", session, "C-c"], check=True)
        assert wait_for_exit(status_file) == "130"
        final = subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
        assert "drill run INC-1" in final, final
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    verify = workspace.json("verify")
    assert verify["ok"] is True  # type: ignore[index]
    assert workspace.json("incidents", "--drill")[0]["id"] == "INC-1"  # type: ignore[index]
    events = workspace.json("timeline", "INC-1")
    assert isinstance(events, list)
    facts = [event for event in events if event["type"] == "input.set"]
    assert len(facts) == 1, facts  # recorded once, however often the screen was redrawn
    assert facts[0]["actor"] == "fiona" and facts[0]["data"]["inject"] == 2
    assert parse_time(facts[0]["at"]) - parse_time(events[0]["at"]) == dt.timedelta(minutes=20)  # the inject's time
