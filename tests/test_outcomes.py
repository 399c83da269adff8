"""Customer outcomes: `crisisctl measure`, before / after in show and the post-mortem, means in `stats`, and
the validate warning for an outcome KPI whose inputs are not declared."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import yaml
from budget import examples
from conftest import REPO, Workspace, event_count
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisisctl.clock import parse_time

SURVEYED = """\
apiVersion: crisisctl/v1
kind: Playbook
id: surveyed
version: "1.0.0"
title: Complaints about late deliveries
category: complaint-surge
inputs:
  - id: affected_customers
    type: integer
    required: true
  - id: customer_satisfaction
    type: number
  - id: customer_satisfaction_baseline
    type: number
  - id: churn_rate
    type: string
roles:
  - id: incident-lead
    title: Incident lead
steps:
  - id: assess
    title: Assess impact
    phase: detect
    role: incident-lead
postmortem:
  kpis: [time_to_resolve, customer_satisfaction, churn_rate]
"""


def surveyed(ws: Workspace) -> str:
    (ws.playbooks / "surveyed.yaml").write_text(SURVEYED, encoding="utf-8")
    payload = ws.json("declare", "surveyed", "--input", "affected_customers=40", "--at", "-30d")
    assert isinstance(payload, dict)
    return str(payload["id"])


def outcome_of(ws: Workspace, incident: str, metric: str) -> dict[str, Any]:
    shown = ws.json("show", incident)
    assert isinstance(shown, dict)
    return next(item for item in shown["outcomes"] if item["metric"] == metric)


def test_measure_records_baseline_and_follow_up_as_facts_and_show_compares_them(workspace: Workspace) -> None:
    incident = surveyed(workspace)
    baseline = ("--baseline", "--note", "Q3 survey", "--at", "+1h")
    workspace.ok("measure", incident, "customer_satisfaction", "4.3", *baseline)
    workspace.ok("measure", incident, "customer_satisfaction", "3.1", "--at", "+2d", "--note", "week-1 pulse")
    payload = workspace.json("measure", incident, "customer_satisfaction", "3.9", "--at", "+20d")
    assert isinstance(payload, dict)
    assert payload["changes"][0]["input"] == "customer_satisfaction"
    assert payload["changes"][0]["previous"] == 3.1
    assert payload["outcome"]["baseline"] == 4.3 and payload["outcome"]["latest"] == 3.9

    outcome = outcome_of(workspace, incident, "customer_satisfaction")
    assert (outcome["baseline"], outcome["latest"], outcome["change"]) == (4.3, 3.9, -0.4)
    assert outcome["verdict"] == "worse"
    assert [(m["value"], m["baseline"]) for m in outcome["measurements"]] == [(4.3, True), (3.1, False), (3.9, False)]
    shown = workspace.json("show", incident)
    assert isinstance(shown, dict)
    assert shown["inputs"]["customer_satisfaction_baseline"] == 4.3  # the same facts machinery as `set`
    text = workspace.ok("show", incident)
    assert "Customer outcomes" in text and "-0.4 (worse)" in text


def test_outcomes_are_measured_after_the_incident_is_closed(workspace: Workspace) -> None:
    incident = surveyed(workspace)
    workspace.ok("step", "done", incident, "assess", "--at", "+1h")
    workspace.ok("resolve", incident, "--at", "+2h")
    workspace.ok("close", incident, "--at", "+3h")
    workspace.ok("measure", incident, "churn_rate", "2.5", "--baseline")
    code, _, err = workspace.run("set", incident, "affected_customers=41")
    assert code == 1 and "closed" in err  # other facts stay frozen on a closed incident


def test_a_baseline_may_be_stated_before_the_declaration_and_nothing_else_may(workspace: Workspace) -> None:
    incident = surveyed(workspace)  # declared 30 days ago
    workspace.ok("measure", incident, "customer_satisfaction", "4.3", "--baseline", "--at", "-60d")
    outcome = outcome_of(workspace, incident, "customer_satisfaction")
    assert outcome["baseline"] == 4.3 and outcome["measurements"][0]["baseline"] is True
    code, _, err = workspace.run("measure", incident, "customer_satisfaction", "4.1", "--at", "-40d")
    assert code == 1 and "before INC-1 was declared" in err, err
    code, _, err = workspace.run("set", incident, "customer_satisfaction_baseline=4.2", "--at", "-40d")
    assert code == 1 and "before INC-1 was declared" in err, err


def test_a_step_switched_on_by_an_earlier_baseline_is_due_from_the_declaration(workspace: Workspace) -> None:
    step = """\
  - id: win-back
    title: Win back unhappy customers
    phase: recover
    role: incident-lead
    due: 1h
    when: { input: customer_satisfaction_baseline, op: ">", value: 4 }
"""
    (workspace.playbooks / "surveyed.yaml").write_text(SURVEYED.replace("postmortem:", step + "postmortem:"))
    incident = str(workspace.json("declare", "surveyed", "--input", "affected_customers=40", "--at", "-30d")["id"])
    workspace.ok("measure", incident, "customer_satisfaction", "4.3", "--baseline", "--at", "-60d")
    shown = workspace.json("show", incident)
    due = next(item["due_at"] for item in shown["steps"] if item["id"] == "win-back")
    assert parse_time(due) == parse_time(shown["declared_at"]) + dt.timedelta(hours=1)


def test_a_baseline_given_at_declaration_is_not_overtaken_by_an_earlier_one(workspace: Workspace) -> None:
    (workspace.playbooks / "surveyed.yaml").write_text(SURVEYED, encoding="utf-8")
    given = ("--input", "affected_customers=40", "--input", "customer_satisfaction_baseline=4.4", "--at", "-30d")
    incident = str(workspace.json("declare", "surveyed", *given)["id"])
    before = event_count(workspace, incident)
    code, _, err = workspace.run("measure", incident, "customer_satisfaction", "4.3", "--baseline", "--at", "-60d")
    assert code == 1 and "customer_satisfaction_baseline already has a later value" in err, err
    assert event_count(workspace, incident) == before


def test_a_known_metric_the_playbook_does_not_declare_is_recorded_as_a_number(workspace: Workspace) -> None:
    payload = workspace.json("declare", "base", "--input", "affected_customers=5")
    assert isinstance(payload, dict)
    incident = str(payload["id"])
    workspace.ok("measure", incident, "complaint_handling_time", "36")
    workspace.ok("measure", incident, "complaint_handling_time", "30", "--baseline")
    outcome = outcome_of(workspace, incident, "complaint_handling_time")
    assert (outcome["baseline"], outcome["latest"], outcome["verdict"]) == (30, 36, "worse")


def test_bad_measurements_are_refused_and_record_nothing(workspace: Workspace) -> None:
    incident = surveyed(workspace)
    before = event_count(workspace, incident)
    code, _, err = workspace.run("measure", incident, "customer_satisfation", "4")
    assert code == 2 and "not a customer outcome metric" in err and "customer_satisfaction" in err
    code, _, err = workspace.run("measure", incident, "customer_satisfaction", "high")
    assert code == 2 and "not a valid number" in err
    code, _, err = workspace.run("measure", incident, "churn_rate", "3")  # declared as a string
    assert code == 2 and "type: number" in err
    assert "Traceback" not in err
    assert event_count(workspace, incident) == before


def test_the_same_figure_measured_again_is_a_new_measurement(workspace: Workspace) -> None:
    incident = surveyed(workspace)
    workspace.ok("measure", incident, "customer_satisfaction", "4.2", "--at", "+10d", "--note", "first survey")
    workspace.ok("measure", incident, "customer_satisfaction", "4.2", "--at", "+20d", "--note", "second survey")
    outcome = outcome_of(workspace, incident, "customer_satisfaction")
    assert [(m["value"], m["note"]) for m in outcome["measurements"]] == [(4.2, "first survey"), (4.2, "second survey")]
    code, _, err = workspace.run("set", incident, "customer_satisfaction=4.2")  # set changes a fact: nothing to
    assert code == 1 and "already 4.2" in err, err


def test_figures_beyond_what_the_log_keeps_exactly_are_usage_errors(workspace: Workspace) -> None:
    incident = surveyed(workspace)
    before = event_count(workspace, incident)
    for args in [
        ("measure", incident, "customer_satisfaction", "9" * 20),
        ("measure", incident, "customer_satisfaction", "1e300", "--baseline"),
        ("measure", incident, "complaint_handling_time", str(2**53 + 1)),  # not declared: a number all the same
        ("set", incident, "customer_satisfaction=" + "9" * 20),
    ]:
        code, _, err = workspace.run(*args)
        assert (code, "is too large" in err, "2^53" in err, "Traceback" in err) == (2, True, True, False), (args, err)
    assert event_count(workspace, incident) == before


def test_the_postmortem_shows_before_after_change_and_every_measurement(workspace: Workspace) -> None:
    incident = surveyed(workspace)
    workspace.ok("measure", incident, "customer_satisfaction", "3.5", "--baseline", "--note", "NPS panel")
    workspace.ok("measure", incident, "customer_satisfaction", "4.25", "--note", "follow-up survey")
    markdown = workspace.ok("postmortem", incident)
    section = markdown.split("## Customer outcomes", 1)[1].split("## Severity history", 1)[0]
    assert "| Customer satisfaction | 3.5 | 4.25 | +0.75 (better) |" in section
    assert "| baseline | 3.5 | NPS panel |" in section and "| follow-up | 4.25 | follow-up survey |" in section
    key_figures = markdown.split("## Key figures", 1)[1]
    assert "| Customer satisfaction | 4.25 | baseline 3.5, change +0.75 (better) |" in key_figures
    html = workspace.root / "pm.html"
    workspace.ok("postmortem", incident, "--format", "html", "-o", str(html))
    page = html.read_text(encoding="utf-8")
    assert "<h2>Customer outcomes</h2>" in page and "+0.75" in page and "NPS panel" in page


def test_stats_compares_before_and_after_over_the_same_incidents(workspace: Workspace) -> None:
    first, second, third, fourth = (surveyed(workspace) for _ in range(4))
    workspace.ok("measure", first, "customer_satisfaction", "4", "--baseline")
    workspace.ok("measure", first, "customer_satisfaction", "3")
    workspace.ok("measure", second, "customer_satisfaction", "4.5", "--baseline")
    workspace.ok("measure", second, "customer_satisfaction", "4.5")
    workspace.ok("measure", third, "customer_satisfaction", "2")  # no baseline: not compared
    workspace.ok("measure", fourth, "customer_satisfaction", "1", "--baseline")  # no follow-up: not compared
    report = workspace.json("stats")
    assert isinstance(report, dict)
    figures = report["outcomes"]["customer_satisfaction"]
    assert figures == {  # before, after and change all over the two incidents with both figures
        "incidents_measured": 4,
        "incidents_compared": 2,
        "mean_baseline": 4.25,
        "mean_latest": 3.75,
        "mean_change": -0.5,
    }
    assert report["outcomes"]["churn_rate"]["incidents_measured"] == 0
    assert report["by_playbook"][0]["outcomes"]["customer_satisfaction"]["incidents_measured"] == 4
    text = workspace.ok("stats")
    assert "over the incidents compared" in text
    assert re.search(r"customer_satisfaction[ │]+4[ │]+2[ │]+4\.25[ │]+3\.75[ │]+-0\.5\b", text), text
    html = workspace.root / "stats.html"
    workspace.ok("stats", "--html", str(html))
    assert re.search(r"<td>4</td><td>2</td><td>4\.25</td><td>3\.75</td><td>-0\.5</td>", html.read_text()), html


def validate_json(ws: Workspace, path: Path, *options: str) -> dict[str, Any]:
    code, out, _ = ws.run(*options, "playbook", "validate", str(path), "--format", "json")
    assert code == 0, out
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def test_validate_warns_about_an_outcome_kpi_without_its_inputs(workspace: Workspace) -> None:
    text = SURVEYED.replace("  - id: customer_satisfaction_baseline\n    type: number\n", "").replace(
        "kpis: [time_to_resolve, customer_satisfaction, churn_rate]",
        "kpis: [time_to_resolve, customer_satisfaction, complaint_resolution_rate]",
    )
    path = workspace.playbooks / "surveyed.yaml"
    path.write_text(text, encoding="utf-8")
    warnings = validate_json(workspace, path)["warnings"]
    found = [(w["rule"], w["line"], w["column"], w["path"]) for w in warnings]
    kpis_line = text.splitlines().index("  kpis: [time_to_resolve, customer_satisfaction, complaint_resolution_rate]")
    assert found == [
        ("outcome-input-missing", kpis_line + 1, 27, "postmortem.kpis[1]"),
        ("outcome-input-missing", kpis_line + 1, 50, "postmortem.kpis[2]"),
    ]
    assert "customer_satisfaction_baseline" in warnings[0]["message"]
    assert "complaint_resolution_rate and complaint_resolution_rate_baseline" in warnings[1]["message"]


def test_every_bundled_playbook_declares_the_inputs_of_its_outcome_kpis(workspace: Workspace) -> None:
    result = validate_json(workspace, REPO / "playbooks", "--templates", str(REPO / "templates"))
    assert result["playbooks"] >= 7
    assert [w for w in result["warnings"] if w["rule"] == "outcome-input-missing"] == []
    listed = 0
    for path in sorted((REPO / "playbooks").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        inputs = {item["id"]: item for item in document["inputs"]}
        for kpi in document["postmortem"]["kpis"]:
            if kpi in ("customer_satisfaction", "complaint_resolution_rate", "complaint_handling_time", "churn_rate"):
                listed += 1
                for name in (kpi, f"{kpi}_baseline"):
                    assert inputs[name]["type"] == "number" and not inputs[name].get("required"), (path.name, name)
    assert listed >= 7


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    figure=st.integers(min_value=-(2**80), max_value=2**80).map(str)
    | st.floats(allow_nan=False, allow_infinity=False).map(repr)
)
@example(figure=str(2**53))
@example(figure=str(2**53 + 1))
@example(figure="9007199254740993.0")
@example(figure="1e300")
def test_a_figure_is_recorded_or_refused_as_a_usage_error(workspace: Workspace, figure: str) -> None:
    incident = surveyed(workspace) if not workspace.db.exists() else "INC-1"
    before = event_count(workspace, incident)
    code, _, err = workspace.run("measure", incident, "complaint_handling_time", "--", figure)
    exact = int(figure) if figure.lstrip("-").isdigit() else float(figure)  # a decimal is read as a double
    recordable = abs(exact) <= 2**53
    assert (code, "Traceback" in err) == ((0, False) if recordable else (2, False)), (figure, err)
    assert event_count(workspace, incident) == before + recordable
