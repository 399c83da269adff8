"""Follow-up work after resolution (`after: resolved` steps) and linked incidents (`crisisctl link`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from conftest import Workspace, declare, event_count

from crisisctl.clock import parse_time

FOLLOWED = """\
apiVersion: crisisctl/v1
kind: Playbook
id: followed
version: "1.0.0"
title: Late deliveries
category: complaint-surge
roles:
  - id: incident-lead
    title: Incident lead
steps:
  - id: answer
    title: Answer every complainant
    phase: contain
    role: incident-lead
    due: 2h
  - id: revisit
    title: Call back a sample of complainants
    phase: recover
    role: incident-lead
    after: resolved
    due: 7d
    depends_on: [answer]
  - id: survey
    title: Satisfaction survey of complainants
    phase: review
    role: incident-lead
    after: resolved
    due: 14d
    depends_on: [revisit]
"""


def followed(ws: Workspace, at: str = "-30d") -> str:
    (ws.playbooks / "followed.yaml").write_text(FOLLOWED, encoding="utf-8")
    payload = ws.json("declare", "followed", "--at", at)
    assert isinstance(payload, dict)
    return str(payload["id"])


def steps_of(ws: Workspace, incident: str) -> dict[str, dict[str, Any]]:
    shown = ws.json("show", incident)
    assert isinstance(shown, dict)
    return {step["id"]: step for step in shown["steps"]}


def next_ids(ws: Workspace, incident: str) -> list[str]:
    ready = ws.json("next", incident)
    assert isinstance(ready, list)
    return [step["id"] for step in ready]


def test_follow_up_steps_wait_for_resolution_and_are_due_from_it(workspace: Workspace) -> None:
    incident = followed(workspace, "-5d")
    steps = steps_of(workspace, incident)
    assert (steps["revisit"]["after"], steps["revisit"]["due_at"], steps["revisit"]["overdue"]) == (
        "resolved",
        None,
        False,
    )
    assert "after resolution +7d" in workspace.ok("show", incident)
    workspace.ok("step", "done", incident, "answer", "--at", "+1h")
    assert next_ids(workspace, incident) == []  # revisit's dependency is met, but it waits for the resolution
    before = event_count(workspace, incident)
    code, _, err = workspace.run("step", "start", incident, "revisit")
    assert code == 1 and "after resolution" in err and f"resolve {incident}" in err
    assert event_count(workspace, incident) == before

    workspace.ok("resolve", incident, "--at", "+2d")
    steps = steps_of(workspace, incident)
    declared = parse_time(steps["answer"]["due_at"]) - dt.timedelta(hours=2)
    assert parse_time(steps["revisit"]["due_at"]) == declared + dt.timedelta(days=2 + 7)  # from the resolution
    assert parse_time(steps["survey"]["due_at"]) == declared + dt.timedelta(days=2 + 14)
    assert steps["revisit"]["overdue"] is False  # due 9 days after the declaration, 5 days ago
    assert next_ids(workspace, incident) == ["revisit"]


SURVEY_NOTICE = """\
    communication: survey-results
communications:
  - id: survey-results
    title: Survey results to complainants
    audience: customers
    channel: email
    template: lint/no-banner.md.j2
    due: 3d
"""


def test_a_notice_sent_only_by_follow_up_work_is_due_from_the_resolution(workspace: Workspace) -> None:
    (workspace.playbooks / "followed.yaml").write_text(FOLLOWED + SURVEY_NOTICE, encoding="utf-8")
    payload = workspace.json("declare", "followed", "--at", "-5d")
    assert isinstance(payload, dict)
    incident = str(payload["id"])

    def notice() -> dict[str, Any]:
        shown = workspace.json("show", incident)
        assert isinstance(shown, dict)
        (row,) = shown["communications"]
        assert isinstance(row, dict)
        return row

    # Open for 5 days: the survey cannot start, so its notice is not due yet (it was "due +3d, overdue").
    assert (notice()["due_at"], notice()["overdue"]) == (None, False)
    workspace.ok("resolve", incident, "--at", "+3d")
    declared = parse_time(payload["declared_at"])
    assert parse_time(notice()["due_at"]) == declared + dt.timedelta(days=3 + 3)  # from the resolution
    assert notice()["overdue"] is False  # due a day from now


def test_follow_up_work_is_done_on_a_closed_incident_and_nothing_else_is(workspace: Workspace) -> None:
    incident = followed(workspace)
    workspace.ok("step", "done", incident, "answer", "--at", "+1h")
    workspace.ok("resolve", incident, "--at", "+1d")
    workspace.ok("close", incident, "--at", "+2d")  # open follow-up work does not hold the close
    assert next_ids(workspace, incident) == ["revisit"]
    workspace.ok("step", "start", incident, "revisit", "--at", "+5d")
    workspace.ok("step", "done", incident, "revisit", "--at", "+6d", "--note", "40 calls, 31 satisfied")
    assert next_ids(workspace, incident) == ["survey"]
    workspace.ok("step", "done", incident, "survey", "--at", "+20d")  # due +15d: late
    steps = steps_of(workspace, incident)
    assert (steps["revisit"]["status"], steps["survey"]["status"]) == ("done", "done")
    markdown = workspace.ok("postmortem", incident)
    assert "**late by 5d**" in markdown.split("(survey)", 1)[1].split("\n", 1)[0]
    before = event_count(workspace, incident)
    code, _, err = workspace.run("note", incident, "more")
    assert code == 1 and "closed" in err
    code, _, err = workspace.run("step", "skip", incident, "answer", "--note", "x")
    assert code == 1 and "closed" in err
    assert event_count(workspace, incident) == before


def test_follow_up_work_stated_before_the_resolution_needs_force(workspace: Workspace) -> None:
    incident = followed(workspace, "-5d")
    workspace.ok("step", "done", incident, "answer", "--at", "+1h")
    workspace.ok("resolve", incident, "--at", "+4d")
    before = event_count(workspace, incident)
    for action in ("start", "done"):  # the incident is resolved now, but was not at the stated time
        code, _, err = workspace.run("step", action, incident, "revisit", "--at", "+3d")
        assert code == 1 and "Traceback" not in err, err
        assert f"is before {incident} was resolved" in err and "later --at" in err and "--force" in err
    workspace.ok("close", incident, "--at", "+4d")
    code, _, err = workspace.run("step", "done", incident, "revisit", "--at", "+3d")
    assert code == 1 and f"is before {incident} was resolved" in err
    assert event_count(workspace, incident) == before + 1  # the close
    workspace.ok("step", "done", incident, "revisit", "--at", "+3d", "--force", "--note", "called back early")
    workspace.ok("step", "done", incident, "survey", "--at", "+4d")  # at the resolution: no --force needed
    steps = steps_of(workspace, incident)
    assert (steps["revisit"]["status"], steps["survey"]["status"]) == ("done", "done")


def test_on_a_closed_incident_a_follow_up_step_waiting_for_unfinished_response_work_says_what_works(
    workspace: Workspace,
) -> None:
    incident = followed(workspace, "-5d")
    workspace.ok("resolve", incident, "--at", "+1d")
    workspace.ok("close", incident, "--at", "+2d", "--force")  # `answer` was never done
    before = event_count(workspace, incident)
    code, _, err = workspace.run("step", "done", incident, "revisit")
    assert code == 1 and "depends on answer" in err and "finish" not in err
    assert f"{incident} is closed, so answer can no longer be done or skipped" in err and "--force" in err
    code, _, err = workspace.run("step", "skip", incident, "answer", "--note", "handled by phone")
    assert code == 1 and "closed" in err  # what the hint does not offer is indeed refused
    assert event_count(workspace, incident) == before
    # Waiting for follow-up work only, which a closed incident still takes: finishing it works.
    code, _, err = workspace.run("step", "done", incident, "survey")
    assert code == 1 and "finish revisit first" in err and "no longer" not in err
    workspace.ok("step", "done", incident, "revisit", "--force", "--note", "answered by phone, outside the log")
    workspace.ok("step", "done", incident, "survey")


def test_a_response_step_may_not_wait_for_follow_up_work(workspace: Workspace) -> None:
    text = FOLLOWED + "  - {id: reopen, title: Reopen, phase: recover, role: incident-lead, depends_on: [revisit]}\n"
    (workspace.playbooks / "followed.yaml").write_text(text, encoding="utf-8")
    code, out, _ = workspace.run("playbook", "validate", str(workspace.playbooks / "followed.yaml"), "--format", "json")
    assert code == 1
    errors = json.loads(out)["errors"]
    assert [(e["rule"], e["line"], e["path"]) for e in errors] == [
        ("depends-on-follow-up", len(text.splitlines()), "steps[3].depends_on[0]")
    ]


def test_link_records_a_hand_over_on_both_incidents(workspace: Workspace) -> None:
    surge, storm = declare(workspace, "--at", "-2h"), declare(workspace, "--at", "-1h")
    payload = workspace.json(
        "--as", "bob", "link", surge, storm, "--relation", "handover", "--note", "media picked it up", "--at", "-30m"
    )
    assert isinstance(payload, dict)
    assert (payload["id"], payload["other"], payload["relation"]) == (surge, storm, "handover")
    shown_surge, shown_storm = workspace.json("show", surge), workspace.json("show", storm)
    assert isinstance(shown_surge, dict) and isinstance(shown_storm, dict)
    (to_storm,) = shown_surge["links"]
    (from_surge,) = shown_storm["links"]
    assert (to_storm["incident"], to_storm["direction"], to_storm["words"]) == (storm, "to", "hands over to")
    assert (from_surge["incident"], from_surge["direction"], from_surge["words"]) == (surge, "from", "takes over from")
    assert to_storm["at"] == from_surge["at"] and to_storm["note"] == "media picked it up"
    assert (to_storm["actor"], from_surge["actor"]) == ("bob", "bob")  # the global --as: who linked them
    assert "takes over from" in workspace.ok("show", storm)
    markdown = workspace.ok("postmortem", surge)
    assert f"{surge} hands over to **{storm}** (handover" in markdown
    html = workspace.root / "pm.html"
    workspace.ok("postmortem", storm, "--format", "html", "-o", str(html))
    assert f"takes over from <strong>{surge}</strong>" in html.read_text(encoding="utf-8")
    assert workspace.json("verify")["ok"] is True  # type: ignore[index]


def test_a_follow_up_incident_is_linked_to_a_closed_one(workspace: Workspace) -> None:
    first = declare(workspace, "--at", "-3d")
    for step in ("assess", "notify"):
        workspace.ok("step", "skip", first, step, "--note", "handled elsewhere")
    workspace.ok("resolve", first)
    workspace.ok("close", first)
    second = declare(workspace)
    workspace.ok("link", first, second, "--relation", "follow-up")
    shown = workspace.json("show", first)
    assert isinstance(shown, dict)
    assert [(link["incident"], link["words"]) for link in shown["links"]] == [(second, "followed up by")]


def test_bad_links_are_refused_and_record_nothing(workspace: Workspace) -> None:
    live, other = declare(workspace), declare(workspace)
    drill = declare(workspace, "--drill")
    workspace.ok("link", live, other)
    counts = [event_count(workspace, incident) for incident in (live, other, drill)]
    cases = [
        ((live, live), 2, "cannot be linked to itself"),
        ((live, "INC-99"), 2, "unknown incident"),
        ((live, other, "--relation", "escalation"), 2, "unknown relation `escalation`"),
        ((live, other, "--as", "bob"), 2, "No such option: --as"),  # --as PERSON goes before the command
        ((live, drill), 1, "never linked"),
        ((other, live), 1, "already linked"),
    ]
    for args, code, words in cases:
        got, _, err = workspace.run("link", *args)
        assert (got, words in err, "Traceback" in err) == (code, True, False), (args, err)
    assert [event_count(workspace, incident) for incident in (live, other, drill)] == counts
