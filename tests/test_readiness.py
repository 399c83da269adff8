"""`crisisctl readiness`: each finding (drill, review, roster, locales, invalid), its exit code, and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, Workspace, crisisctl
from test_team_identity import ROSTER as TEAM_ROSTER

TODAY = "2026-12-05T12:00:00Z"

ROSTER = TEAM_ROSTER.format(ana="ana", lee="lee")  # two people trained as incident-lead, one as comms-lead

CADENCES = """\
review:
  every: 90d
  last_reviewed: 2026-11-01
drill:
  every: 30d
  last_drilled: 2026-11-20
"""

# Never drilled and no review cadence: for the tests that hold a drill now and judge at the real clock.
DRILL_ONLY = "drill:\n  every: 30d\n"


def ready_workspace(ws: Workspace, cadences: str = CADENCES, roster: str | None = ROSTER) -> Path:
    """The corpus's base playbook with cadences, beside a roster: ready at TODAY unless a test spoils it."""
    path = ws.playbooks / "base.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("inputs:", cadences + "inputs:", 1), encoding="utf-8")
    if roster is not None:
        (ws.playbooks / "people.yaml").write_text(roster, encoding="utf-8")
    return path


def findings(ws: Workspace, *args: str) -> tuple[int, dict[str, list[dict[str, str]]]]:
    """The exit code and, by playbook, the findings of `readiness --json`."""
    code, out, err = ws.run("readiness", "--json", *args)
    assert not err or "Traceback" not in err
    payload = json.loads(out)
    assert payload["ready"] is (code == 0)
    return code, {entry["playbook"]: entry["findings"] for entry in payload["playbooks"]}


def rules(found: list[dict[str, str]]) -> list[str]:
    return [finding["rule"] for finding in found]


def test_a_drilled_reviewed_staffed_playbook_is_ready(workspace: Workspace) -> None:
    ready_workspace(workspace)
    code, found = findings(workspace, "--at", TODAY)
    assert code == 0 and found == {"base": []}
    code, out, _ = workspace.run("readiness", "--at", TODAY)
    assert code == 0 and "ready" in out and "1 ready, 0 not ready" in out


def test_a_drill_past_its_cadence_fails_and_says_since_when(workspace: Workspace) -> None:
    ready_workspace(workspace, CADENCES.replace("last_drilled: 2026-11-20", "last_drilled: 2026-10-01"))
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["drill-overdue"]
    assert "drill overdue since 2026-10-31 (last drilled 2026-10-01, every 30d)" in found["base"][0]["message"]
    assert "crisisctl drill start base" in found["base"][0]["hint"]
    # The same playbook judged before its drill fell due has no drill finding (its review of 2026-11-01 was not yet
    # held then).
    assert rules(findings(workspace, "--at", "2026-10-20T12:00:00Z")[1]["base"]) == ["date-in-future"]


def test_never_drilled_counts_as_overdue(workspace: Workspace) -> None:
    ready_workspace(workspace, CADENCES.replace("  last_drilled: 2026-11-20\n", ""))
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["drill-overdue"]
    assert found["base"][0]["message"] == "never drilled (drill every 30d)"


def drill_now(ws: Workspace) -> None:
    """A drill of the base playbook, started now."""
    scenario = ws.root / "base-drill.yaml"
    scenario.write_text(
        "apiVersion: crisisctl/v1\nkind: Scenario\nid: base-drill\nplaybook: base\ntitle: Rehearsal\n"
        "inputs: {affected_customers: 10}\n",
        encoding="utf-8",
    )
    ws.ok("drill", "start", "base", "--scenario", str(scenario))


def test_a_drill_in_the_log_counts(workspace: Workspace) -> None:
    ready_workspace(workspace, DRILL_ONLY)  # judged at the real clock: a review's cadence would run out some day
    drill_now(workspace)
    code, found = findings(workspace)  # now: the drill just started
    assert code == 0, found
    code, payload_out, _ = workspace.run("readiness", "--json")
    assert json.loads(payload_out)["playbooks"][0]["last_drill"] is not None
    # Judged months after the drill, it is overdue again.
    code, found = findings(workspace, "--at", "2027-06-01T00:00:00Z")
    assert code == 1 and "drill-overdue" in rules(found["base"])


def test_a_drill_held_after_the_judged_time_does_not_count(workspace: Workspace) -> None:
    ready_workspace(workspace, DRILL_ONLY)  # judged at the real clock: a review's cadence would run out some day
    drill_now(workspace)
    code, out, _ = workspace.run("readiness", "--json", "--at", "-1d")  # the day before today's drill
    (entry,) = json.loads(out)["playbooks"]
    assert code == 1 and entry["last_drill"] is None
    assert [(f["rule"], f["message"]) for f in entry["findings"]] == [
        ("drill-overdue", "never drilled (drill every 30d)")
    ]


def test_a_drill_or_review_dated_in_the_future_is_not_trusted(workspace: Workspace) -> None:
    path = ready_workspace(
        workspace, CADENCES.replace("last_drilled: 2026-11-20", "last_drilled: 2031-11-20")
    )  # a typo for 2025: a year overdue, not drilled for the next five
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["date-in-future"]
    assert "drill.last_drilled 2031-11-20 is after 2026-12-05" in found["base"][0]["message"]
    assert "typo" in found["base"][0]["hint"]
    code, out, _ = workspace.run("readiness", "--json", "--at", TODAY)
    assert json.loads(out)["playbooks"][0]["last_drill"] is None
    # Judged by --at, a date after the judged day is not counted either: the 2026-11-20 drill, seen from before it.
    path.write_text(path.read_text(encoding="utf-8").replace("2031-11-20", "2026-11-20"), encoding="utf-8")
    assert rules(findings(workspace, "--at", "2026-11-19T12:00:00Z")[1]["base"]) == ["date-in-future"]
    path.write_text(path.read_text(encoding="utf-8").replace("last_reviewed: 2026-11-01", "last_reviewed: 2036-11-01"))
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["date-in-future"]
    assert found["base"][0]["message"].startswith("review.last_reviewed 2036-11-01 is after 2026-12-05")
    # validate warns at the date itself.
    code, out, _ = workspace.run("playbook", "validate", str(path), "--format", "json")
    (warning,) = json.loads(out)["warnings"]
    line = 1 + path.read_text(encoding="utf-8").splitlines().index("  last_reviewed: 2036-11-01")
    assert code == 0 and (warning["rule"], warning["line"], warning["column"]) == ("date-in-future", line, 18)


def test_without_at_the_day_judged_is_the_clocks_in_the_display_zone(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready_workspace(workspace)  # review due by 2027-01-30 (2026-11-01 + 90d)
    monkeypatch.setenv("CRISISCTL_FAKE_NOW", "2027-01-30T20:00:00Z")  # 2027-01-31 04:00 in Beijing

    def judged(zone: str) -> list[str]:
        code, out, err = workspace.run("--tz", zone, "readiness", "--json")
        assert code == 1, err
        [playbook] = json.loads(out)["playbooks"]
        return sorted(finding["rule"] for finding in playbook["findings"])

    assert judged("UTC") == ["drill-overdue"]
    assert judged("Asia/Shanghai") == ["drill-overdue", "review-overdue"]


def test_an_overdue_review_fails(workspace: Workspace) -> None:
    ready_workspace(workspace, CADENCES.replace("last_reviewed: 2026-11-01", "last_reviewed: 2026-01-01"))
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["review-overdue"]
    assert "review overdue since 2026-04-01" in found["base"][0]["message"]
    assert "review.last_reviewed" in found["base"][0]["hint"]


def test_a_required_role_with_one_trained_person_fails(workspace: Workspace) -> None:
    ready_workspace(workspace, roster=ROSTER.replace("    roles: [incident-lead]\n", "    roles: [comms-lead]\n"))
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["role-understaffed"]
    assert "required role incident-lead has 1 trained person (ana)" in found["base"][0]["message"]
    # comms-lead is not required: one person is enough for it, and nothing is said about it.
    assert "comms-lead" not in found["base"][0]["message"]


def test_without_a_roster_nobody_is_known_to_be_trained(workspace: Workspace) -> None:
    ready_workspace(workspace, roster=None)
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["no-roster"]
    assert "incident-lead" in found["base"][0]["message"] and "people.yaml" in found["base"][0]["hint"]


def test_a_locale_without_its_template_fails(workspace: Workspace) -> None:
    path = ready_workspace(workspace)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("approvals: [incident-lead]", "approvals: [incident-lead]\n    locales: [en, zh]"))
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and rules(found["base"]) == ["locale-missing"]
    assert "`customer-notice` lists locale `zh`, but there is no base/notice.zh.md.j2" in found["base"][0]["message"]
    # With its zh template written, the playbook is ready.
    zh = workspace.root / "templates" / "base" / "notice.zh.md.j2"
    zh.parent.mkdir(parents=True)
    zh.write_text("Subject: {{ incident.title }}\n\n尊敬的客户：{{ inputs.affected_customers }}\n", encoding="utf-8")
    (zh.parent / "notice.md.j2").write_text((workspace.templates / "base" / "notice.md.j2").read_text())
    workspace.templates = workspace.root / "templates"
    assert findings(workspace, "--at", TODAY)[0] == 0


def test_an_invalid_playbook_is_not_ready_and_an_invalid_roster_is_refused(workspace: Workspace) -> None:
    path = ready_workspace(workspace)
    (workspace.playbooks / "broken.yaml").write_text(
        path.read_text(encoding="utf-8").replace("id: base", "id: broken").replace("role: comms-lead", "role: nobody")
    )
    code, found = findings(workspace, "--at", TODAY)
    assert code == 1 and found["base"] == [] and rules(found["broken"]) == ["invalid"]
    assert "crisisctl playbook validate" in found["broken"][0]["hint"]
    (workspace.playbooks / "people.yaml").write_text(ROSTER.replace("name: Lee Chen", "nam: Lee Chen"))
    code, out, err = workspace.run("readiness", "--at", TODAY)
    assert code == 1 and out == ""
    line = ROSTER.splitlines().index("    name: Lee Chen") + 1
    assert "people.yaml" in err and f"{line}:5  error  people[1].nam: unknown key" in err and "Traceback" not in err


def test_bad_input_is_a_usage_error(workspace: Workspace) -> None:
    ready_workspace(workspace)
    code, _, err = workspace.run("readiness", str(workspace.root / "missing"))
    assert code == 2 and "does not exist" in err
    code, _, err = workspace.run("readiness", "--at", "next tuesday")
    assert code == 2 and "is not a time" in err
    # The hint offers only the forms readiness takes: no incident to count `+35m` from.
    assert "-15m" in err and "+35m" not in err and "declaration" not in err
    code, _, err = workspace.run("readiness", "--at", "-99999999999w")
    assert code == 2 and "too far away" in err and "+35m" not in err


def test_readiness_never_creates_the_log(workspace: Workspace) -> None:
    ready_workspace(workspace)
    workspace.ok("readiness", "--at", TODAY)
    assert not workspace.db.exists()


def test_the_bundled_samples_are_not_ready_until_drilled_and_staffed(tmp_path: Path) -> None:
    """Honest about the samples: they were never drilled here and come without a roster."""
    done = crisisctl("--db", str(tmp_path / "log.sqlite3"), "readiness", "--json", "--at", TODAY, cwd=REPO)
    assert done.returncode == 1, done.stderr
    payload = json.loads(done.stdout)
    assert payload["ready"] is False and payload["playbooks"]
    for entry in payload["playbooks"]:
        # Nobody has drilled the samples here, and no roster comes with them.
        assert entry["ready"] is False and {"drill-overdue", "no-roster"} & set(rules(entry["findings"])), entry
    assert (REPO / "playbooks" / "people.yaml").exists() is False


def test_drill_status_counts_drill_last_drilled_too(workspace: Workspace) -> None:
    ready_workspace(workspace, CADENCES.replace("every: 30d", "every: 3650d"))
    [row] = workspace.json("drill", "status")
    assert row["last_drill"] is None and row["last_drilled"] == "2026-11-20" and row["overdue"] is False
    path = workspace.playbooks / "base.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  last_drilled: 2026-11-20\n", ""), encoding="utf-8")
    [row] = workspace.json("drill", "status")
    assert row["last_drilled"] is None and row["overdue"] is True  # never drilled
    text = path.read_text(encoding="utf-8").replace("every: 3650d", "every: 3650d\n  last_drilled: 2999-11-20")
    path.write_text(text, encoding="utf-8")
    [row] = workspace.json("drill", "status")
    assert row["last_drilled"] == "2999-11-20" and row["overdue"] is True  # a date to come is not counted
