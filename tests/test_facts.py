"""Facts that change: `crisisctl set`, steps switched on and off by it, and the history in show and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conftest import Workspace, event_count, read_digest

from crisisctl.clock import parse_time

PLAYBOOK = """\
apiVersion: crisisctl/v1
kind: Playbook
id: payments
version: "1.0.0"
title: Payments failing
category: service-outage
inputs:
  - id: affected_customers
    type: integer
    required: true
  - id: regulator_involved
    type: boolean
    prompt: Has a regulator been in touch?
  - id: scope
    type: string
    choices: [eu, global]
roles:
  - id: incident-lead
    title: Incident lead
  - id: comms-lead
    title: Communications lead
steps:
  - id: assess
    title: Assess impact
    phase: detect
    role: incident-lead
    due: 30m
  - id: notify-regulator
    title: Notify the regulator
    phase: respond
    role: incident-lead
    due: 2h
    when: { input: regulator_involved, op: "==", value: true }
  - id: mass-notice
    title: Notify every affected customer
    phase: respond
    role: comms-lead
    due: 1h
    when: { input: affected_customers, op: ">", value: 10000 }
    communication: customer-notice
communications:
  - id: customer-notice
    title: Notice to customers
    audience: customers
    channel: email
    template: base/notice.md.j2
    approvals: [incident-lead]
"""


def payments(ws: Workspace, *extra: str) -> str:
    """Declare a payments incident three hours ago, with 3,800 affected customers; its id."""
    (ws.playbooks / "payments.yaml").write_text(PLAYBOOK, encoding="utf-8")
    payload = ws.json("declare", "payments", "--input", "affected_customers=3800", "--at", "-3h", *extra)
    assert isinstance(payload, dict)
    return str(payload["id"])


def steps_by_id(ws: Workspace, incident: str) -> dict[str, dict[str, Any]]:
    shown = ws.json("show", incident)
    assert isinstance(shown, dict)
    return {step["id"]: step for step in shown["steps"]}


def test_a_changed_fact_switches_on_a_when_step_due_from_the_change(workspace: Workspace) -> None:
    incident = payments(workspace)
    assert steps_by_id(workspace, incident)["mass-notice"]["status"] == "not-applicable"

    out = workspace.ok("set", incident, "affected_customers=12614", "--note", "reconciliation run 2", "--at", "-30m")

    assert f"{incident}: affected_customers 3800 -> 12614" in out
    assert "step mass-notice now applies" in out
    step = steps_by_id(workspace, incident)["mass-notice"]
    changed_at = parse_time(step["applicable_since"])
    assert step["status"] == "pending"
    assert parse_time(step["due_at"]) - changed_at == dt.timedelta(hours=1)  # not 1h after the declaration
    assert step["overdue"] is False  # due 30m from now, though 1h after the declaration has long passed
    assert "mass-notice" in [view["id"] for view in workspace.json("next", incident)]  # type: ignore[union-attr]
    assert steps_by_id(workspace, incident)["assess"]["applicable_since"] is not None


def test_a_step_that_stops_applying_leaves_unfinished_work_but_keeps_what_was_done(workspace: Workspace) -> None:
    incident = payments(workspace, "--input", "regulator_involved=true")
    workspace.ok("set", incident, "affected_customers=20000", "--at", "-2h")
    workspace.ok("step", "start", incident, "notify-regulator", "--at", "-90m")
    workspace.ok("step", "done", incident, "mass-notice", "--at", "-80m")

    out = workspace.ok("set", incident, "regulator_involved=false", "affected_customers=900", "--note", "miscounted")

    assert "step notify-regulator no longer applies" in out
    assert "step mass-notice no longer applies (it stays done)" in out
    steps = steps_by_id(workspace, incident)
    assert steps["notify-regulator"]["status"] == "not-applicable"  # in progress, but it no longer applies
    assert steps["notify-regulator"]["overdue"] is False
    assert steps["mass-notice"]["status"] == "done"  # done stays done
    workspace.ok("resolve", incident)
    workspace.ok("step", "done", incident, "assess")
    workspace.ok("close", incident)  # nothing that no longer applies holds the incident open


def test_an_input_not_required_at_declaration_starts_unset_and_can_be_set_later(workspace: Workspace) -> None:
    incident = payments(workspace)
    shown = workspace.json("show", incident)
    assert shown["inputs"] == {"affected_customers": 3800}  # type: ignore[index]
    plain = workspace.ok("show", incident)
    assert "regulator_involved  not set" in plain
    assert steps_by_id(workspace, incident)["notify-regulator"]["status"] == "not-applicable"

    payload = workspace.json("set", incident, "regulator_involved=yes", "scope=eu")

    assert payload == {
        "id": incident,
        "changes": [
            {
                "seq": 2,
                "at": payload["changes"][0]["at"],  # type: ignore[index]
                "actor": payload["changes"][0]["actor"],  # type: ignore[index]
                "input": "regulator_involved",
                "value": True,
                "previous": None,
                "note": "",
                "inject": None,
            },
            {
                "seq": 3,
                "at": payload["changes"][0]["at"],  # type: ignore[index]
                "actor": payload["changes"][0]["actor"],  # type: ignore[index]
                "input": "scope",
                "value": "eu",
                "previous": None,
                "note": "",
                "inject": None,
            },
        ],
        "inputs": {"affected_customers": 3800, "regulator_involved": True, "scope": "eu"},
        "now_applicable": [payload["now_applicable"][0]],  # type: ignore[index]
        "no_longer_applicable": [],
    }
    assert payload["now_applicable"][0]["id"] == "notify-regulator"  # type: ignore[index]


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        ("affected_customers=lots", "`lots` is not a valid integer for input affected_customers"),
        ("affected_customers=9007199254740993", "`9007199254740993` for input affected_customers is too large"),
        ("scope=asia", "`asia` is not one of the choices for input scope"),
        ("regulator_involved=perhaps", "not a valid boolean"),
        ("afected_customers=3", "did you mean `affected_customers`"),
        ("affected_customers", "set expects NAME=VALUE, got `affected_customers`"),
        ("=3", "set expects NAME=VALUE"),
    ],
)
def test_a_bad_fact_is_a_usage_error_that_changes_nothing(workspace: Workspace, fact: str, message: str) -> None:
    incident = payments(workspace)
    before = event_count(workspace, incident)
    code, out, err = workspace.run("set", incident, "scope=eu", fact)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""
    assert event_count(workspace, incident) == before


def test_setting_the_value_a_fact_already_has_is_refused(workspace: Workspace) -> None:
    incident = payments(workspace)
    before = event_count(workspace, incident)
    code, _, err = workspace.run("set", incident, "affected_customers=3,800")
    assert code == 1
    assert "affected_customers is already 3800" in err and "nothing to change" in err
    assert event_count(workspace, incident) == before


def test_a_change_stated_before_the_facts_latest_change_is_refused(workspace: Workspace) -> None:
    incident = payments(workspace)
    workspace.ok("set", incident, "affected_customers=5000", "--at", "-1h")
    code, _, err = workspace.run("set", incident, "affected_customers=4000", "--at", "-2h")
    assert code == 1
    assert "affected_customers already has a later change (event 2" in err
    assert "use a later --at" in err
    workspace.ok("set", incident, "scope=global", "--at", "-2h")  # another input keeps its own history


def test_a_closed_incident_takes_no_new_facts(workspace: Workspace) -> None:
    incident = payments(workspace)
    workspace.ok("resolve", incident)
    workspace.ok("set", incident, "affected_customers=4100", "--note", "final count")  # resolved: still correctable
    workspace.ok("close", incident, "--force")
    code, _, err = workspace.run("set", incident, "affected_customers=4200")
    assert code == 1
    assert "closed incidents take no more events" in err


def test_notices_and_reports_use_the_latest_value_and_the_reports_list_the_history(workspace: Workspace) -> None:
    incident = payments(workspace, "--assign", "incident-lead=alice")
    workspace.ok("--as", "bob", "set", incident, "affected_customers=12614", "--note", "reconciliation run 2")

    draft = workspace.ok("--as", "bob", "comms", "draft", incident, "customer-notice")
    assert "12614 accounts are affected" in draft
    digest = read_digest(workspace, incident, "customer-notice")
    workspace.ok("--as", "alice", "comms", "approve", incident, "customer-notice", "--role", "incident-lead",
                 "--digest", digest)  # fmt: skip
    report = workspace.ok("postmortem", incident)
    assert "- **affected_customers:** 12614" in report
    assert "### How the facts changed" in report
    assert "| affected_customers | 3800 → 12614 | reconciliation run 2 | bob |" in report
    assert "(applies from +3h)" in report  # mass-notice: its deadline counts from the change
    record = workspace.ok("export", incident, "--format", "md")
    assert "affected_customers 3800 → 12614, bob: reconciliation run 2" in record
    page = workspace.ok("postmortem", incident, "--format", "html")
    assert "How the facts changed" in page and "<strong>12614</strong>" in page
    timeline = workspace.ok("timeline", incident)
    assert "affected_customers 3800 -> 12614: reconciliation run 2" in timeline


def test_show_lists_every_change_with_who_and_why(workspace: Workspace) -> None:
    incident = payments(workspace)
    workspace.ok("--as", "chen", "set", incident, "affected_customers=5000", "--at", "-2h", "--note", "first count")
    workspace.ok("--as", "dana", "set", incident, "affected_customers=4990")
    shown = workspace.json("show", incident)
    history = shown["input_history"]  # type: ignore[index]
    assert [(c["actor"], c["previous"], c["value"], c["note"]) for c in history] == [
        ("chen", 3800, 5000, "first count"),
        ("dana", 5000, 4990, ""),
    ]
    plain = workspace.ok("show", incident)
    section = plain.split("Input changes\n", 1)[1]
    assert "chen  affected_customers  3800 -> 5000  first count" in section
    assert "dana  affected_customers  5000 -> 4990" in section


def test_a_redacted_export_masks_what_a_fact_holds(workspace: Workspace) -> None:
    (workspace.playbooks / "payments.yaml").write_text(
        PLAYBOOK.replace(
            "  - id: scope\n    type: string\n    choices: [eu, global]\n", "  - id: contact\n    type: string\n"
        ),
        encoding="utf-8",
    )
    incident = str(workspace.json("declare", "payments", "--input", "affected_customers=1")["id"])  # type: ignore[index]
    workspace.ok("set", incident, "contact=ops@example.com", "--note", "call +44 20 7946 0958")
    exported = workspace.ok("export", incident, "--format", "csv", "--redact")
    assert "ops@example.com" not in exported and "7946" not in exported
    assert "contact not set -> [email redacted]: call [phone redacted]" in exported


def test_a_fact_changes_on_either_backend(team_workspace: Workspace) -> None:
    incident = payments(team_workspace)
    team_workspace.ok("set", incident, "affected_customers=12614", "--note", "reconciliation")
    assert steps_by_id(team_workspace, incident)["mass-notice"]["status"] == "pending"
    events = team_workspace.json("timeline", incident)
    assert isinstance(events, list)
    assert events[-1]["type"] == "input.set"
    assert {key: events[-1]["data"][key] for key in ("input", "value", "previous", "note")} == {
        "input": "affected_customers",
        "value": 12614,
        "previous": 3800,
        "note": "reconciliation",
    }
    assert team_workspace.json("verify")["ok"] is True  # type: ignore[index]
