"""Updates on a rhythm (`every:` on a communication) and steps carried out by sending a notice, through the real
commands on a real log: numbered updates, the next due `every` after the last send, overdue like steps, none once
resolved; a linked step done by the send, or told why it stays open."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from conftest import Workspace, declare, read_digest

UPDATES = """
  - id: status-update
    title: Status update
    audience: customers
    channel: web
    template: updates/status.md.j2
    approvals: [incident-lead]
    due: 30m
    every: 2h
"""


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """The base playbook with a status update every two hours, the first due 30 minutes after declaration."""
    playbook = workspace.playbooks / "base.yaml"
    playbook.write_text(playbook.read_text(encoding="utf-8").rstrip("\n") + "\n" + UPDATES, encoding="utf-8")
    template = workspace.playbooks / "updates" / "status.md.j2"
    template.parent.mkdir()
    template.write_text("Update {{ communication.update_number }} on {{ incident.id }}\n", encoding="utf-8")
    return workspace


def row(ws: Workspace, incident: str, communication: str = "status-update") -> dict[str, Any]:
    rows = ws.json("comms", "list", incident)
    assert isinstance(rows, list)
    return next(r for r in rows if r["id"] == communication)


def send_update(ws: Workspace, incident: str, at: str) -> str:
    """Draft, approve (by a second person) and send one update, all stated at `at`; the text sent."""
    ws.ok("--as", "ben", "comms", "draft", incident, "status-update", "--at", at)
    digest = read_digest(ws, incident, "status-update")
    ws.ok(
        "--as",
        "ana",
        "comms",
        "approve",
        incident,
        "status-update",
        "--role",
        "incident-lead",
        "--digest",
        digest,
        "--at",
        at,
    )
    ws.ok("comms", "send", incident, "status-update", "--at", at)
    detail = ws.json("comms", "show", incident, "status-update")
    assert isinstance(detail, dict)
    return str(detail["text"])


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def when(ws: Workspace, incident: str, offset: str) -> dt.datetime:
    """The declaration plus `offset` (`3h`, `0h30`)."""
    shown = ws.json("show", incident)
    assert isinstance(shown, dict)
    declared = moment(shown["declared_at"])
    hours, minutes = offset.split("h")
    return declared + dt.timedelta(hours=int(hours), minutes=int(minutes or 0))


def test_updates_are_numbered_and_the_next_is_due_every_after_the_last_send(ws: Workspace) -> None:
    incident = declare(ws, "--assign", "incident-lead=ana", "--at", "-5h")
    first = row(ws, incident)
    assert first["every_s"] == 7200 and first["updates_sent"] == 0 and first["overdue"] is True
    assert moment(first["due_at"]) == when(ws, incident, "0h30")
    assert send_update(ws, incident, "+1h").startswith(f"Update 1 on {incident}")
    after_one = row(ws, incident)
    assert after_one["updates_sent"] == 1 and moment(after_one["due_at"]) == when(ws, incident, "3h")
    assert after_one["overdue"] is True  # declared 5 h ago: the second update was due 2 h after the first
    assert send_update(ws, incident, "-10m").startswith(f"Update 2 on {incident}")
    after_two = row(ws, incident)
    assert after_two["updates_sent"] == 2 and after_two["overdue"] is False
    plain = ws.ok("comms", "list", incident)
    assert "update 3 in 1h 50m" in plain or "update 3 in 1h 49m" in plain, plain


def test_an_overdue_update_shows_like_an_overdue_step(ws: Workspace) -> None:
    incident = declare(ws, "--at", "-3h")
    shown = ws.ok("show", incident)
    assert "OVERDUE 2h 30m" in shown and "status-update" in shown


def test_no_update_is_due_once_the_incident_is_resolved(ws: Workspace) -> None:
    incident = declare(ws, "--at", "-3h")
    ws.ok("resolve", incident, "--summary", "fixed")
    assert row(ws, incident)["due_at"] is None and row(ws, incident)["overdue"] is False


def test_until_without_every_is_refused_with_its_position(ws: Workspace) -> None:
    playbook = ws.playbooks / "base.yaml"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace("    every: 2h\n", "    until: closed\n"))
    code, out, _ = ws.run("playbook", "validate", str(playbook), "--format", "json")
    assert code == 1
    found = [p for p in json.loads(out)["errors"] if p["rule"] == "until-without-every"]
    assert found and found[0]["path"].endswith(".until") and found[0]["line"] > 0


def test_sending_a_notice_carries_out_its_step_or_says_why_not(ws: Workspace) -> None:
    waiting = declare(ws, "--assign", "incident-lead=ana")
    ws.ok("--as", "ben", "comms", "draft", waiting, "customer-notice")
    digest = read_digest(ws, waiting, "customer-notice")
    ws.ok("--as", "ana", "comms", "approve", waiting, "customer-notice", "--role", "incident-lead", "--digest", digest)
    out = ws.ok("comms", "send", waiting, "customer-notice")
    assert "step notify: stays open: it waits for assess" in out
    steps = {s["id"]: s["status"] for s in ws.json("show", waiting)["steps"]}  # type: ignore[index]
    assert steps["notify"] == "pending"

    ready = declare(ws, "--assign", "incident-lead=ana")
    ws.ok("step", "done", ready, "assess")
    ws.ok("--as", "ben", "comms", "draft", ready, "customer-notice")
    digest = read_digest(ws, ready, "customer-notice")
    ws.ok("--as", "ana", "comms", "approve", ready, "customer-notice", "--role", "incident-lead", "--digest", digest)
    sent = ws.json("--as", "carl", "comms", "send", ready, "customer-notice")
    assert sent["linked_steps"] == [{"step": "notify", "done": True, "why_open": None}]  # type: ignore[index]
    done = [e for e in ws.json("timeline", ready) if e["type"] == "step.done" and e["data"]["step"] == "notify"]  # type: ignore[union-attr]
    assert (
        len(done) == 1 and done[0]["actor"] == "carl" and done[0]["data"]["note"] == "done by sending customer-notice"
    )
