"""What the team should be told about an incident now, planned from its state. Each notification has a key that
names it once within its incident, so that however many `remind` runs see it, it is sent once per target."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

from crisisctl.incident import events as ev
from crisisctl.incident.cadence import cadence
from crisisctl.incident.state import IncidentState, communication_status, step_views
from crisisctl.playbook.model import Playbook
from crisisctl.timezones import shown

DUE_SOON = dt.timedelta(minutes=15)
_WAITING_STEP = ("pending", "in-progress", "blocked")


class Notification(Struct, frozen=True):
    """One thing to tell: `kind` is one of crisisctl.delivery.config.NOTIFY_KINDS; `addressee` the person it is
    for (a role's holder), or None for the whole team."""

    key: str
    kind: str
    title: str
    body: str
    addressee: str | None = None


def planned(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[Notification]:
    """Everything worth telling now. Only the latest severity and each role's current holder are told: a change
    made earlier has been overtaken. After the resolution only follow-up work (`after: resolved`) falls due, so a
    resolved incident tells that it is resolved and its follow-up deadlines, a closed one those deadlines alone."""
    if state.status == "closed":
        return _deadlines(state, playbook, now, follow_up_only=True)
    told = _declared(state) + _severity(state) + _assignments(state)
    if state.status == "resolved":
        resolved = _notification(state, "resolved", "resolved", "resolved", state.summary or "resolved")
        return [*told, resolved, *_deadlines(state, playbook, now, follow_up_only=True)]
    return (
        told + _approvals(state, playbook) + _deadlines(state, playbook, now) + _notice_deadlines(state, playbook, now)
    )


def _notification(
    state: IncidentState, key: str, kind: str, headline: str, body: str, to: str | None = None
) -> Notification:
    drill = "[DRILL] " if state.drill else ""
    return Notification(key, kind, f"{drill}{state.id} {headline}", f"{body}\n\ncrisisctl show {state.id}", to)


def _declared(state: IncidentState) -> list[Notification]:
    body = f"{state.title} ({state.severity}), declared by {state.declared_by} from {state.playbook_id}"
    return [_notification(state, "declared", "declared", "declared", body)]


def _severity(state: IncidentState) -> list[Notification]:
    changes = [event for event in state.events if event.type == ev.SEVERITY_CHANGED]
    if not changes:
        return []
    latest = changes[-1].data
    body = f"severity {latest['from']} -> {latest['to']}: {latest.get('note', '')}".rstrip(": ")
    return [_notification(state, f"severity/{changes[-1].seq}", "severity", f"is now {latest['to']}", body)]


def _assignments(state: IncidentState) -> list[Notification]:
    """Each role's current holder, from the declaration (--assign) or the latest `assign`."""
    declaration = state.events[0]
    latest = {
        role: (f"assigned/{declaration.seq}/{role}", person)
        for role, person in declaration.data.get("roles", {}).items()
    }
    for event in state.events:
        if event.type == ev.ROLE_ASSIGNED:
            latest[event.data["role"]] = (f"assigned/{event.seq}", event.data["person"])
    return [
        _notification(
            state,
            key,
            "assigned",
            f"{role}: {person}",
            f"{person} now holds {role} on {state.id} ({state.title})",
            person,
        )
        for role, (key, person) in latest.items()
        if state.roles.get(role) == person
    ]


def _approvals(state: IncidentState, playbook: Playbook) -> list[Notification]:
    """A drafted notice waiting for a role's approval: told to that role's holder, once per draft."""
    by_id = {communication.id: communication for communication in playbook.communications}
    found = []
    for (communication_id, locale), record in state.communications.items():
        communication = by_id.get(communication_id)
        if communication is None or record.draft is None:
            continue
        if communication_status(record, communication.approvals) != "drafted":
            continue
        what = communication.id + (f" ({locale})" if locale else "")
        for role in communication.approvals:
            if role not in record.approvals:
                found.append(
                    _notification(
                        state,
                        f"approval/{communication.id}/{locale}/{record.draft.sha256[:16]}/{role}",
                        "approval",
                        f"{what} waits for {role}",
                        f"{what} was drafted and waits for the approval of {role}:"
                        f" crisisctl comms show {state.id} {communication.id}",
                        state.roles.get(role),
                    )
                )
    return found


def _deadlines(
    state: IncidentState, playbook: Playbook, now: dt.datetime, *, follow_up_only: bool = False
) -> list[Notification]:
    """Steps due within DUE_SOON, and overdue ones; a due time that moves is a new deadline, told again."""
    found = []
    for view in step_views(state, playbook, now):
        if view.due_at is None or view.status not in _WAITING_STEP or view.due_at - now > DUE_SOON:
            continue
        if follow_up_only and not view.step.follow_up:
            continue
        kind = "overdue" if view.overdue else "due"
        when = shown(view.due_at)
        headline = f"step {view.step.id} " + ("is OVERDUE" if view.overdue else f"due at {when}")
        owner = view.holder or f"{view.step.role} (unassigned)"
        body = f"{view.step.title}: owner {owner}, due {when}"
        key = f"{kind}/{view.step.id}/{view.due_at:%Y%m%dT%H%M%S}"
        found.append(_notification(state, key, kind, headline, body, view.holder))
    return found


def _notice_deadlines(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[Notification]:
    """Notices (and numbered updates) due within DUE_SOON or overdue: told to the holder of the role whose step
    sends it, else to the team."""
    owners = {step.communication: state.roles.get(step.role) for step in playbook.steps if step.communication}
    found = []
    for communication in playbook.communications:
        rhythm = cadence(state, playbook, communication, now)
        if rhythm.due_at is None or rhythm.due_at - now > DUE_SOON:
            continue
        if communication.every is None and rhythm.sent:
            continue  # a one-off notice that went out has no deadline left
        kind = "overdue" if rhythm.overdue else "due"
        what = communication.id + (f" update {rhythm.sent + 1}" if communication.every else "")
        when = shown(rhythm.due_at)
        headline = f"{what} " + ("is OVERDUE" if rhythm.overdue else f"due at {when}")
        body = f"{communication.title} to {communication.audience}: due {when}"
        key = f"{kind}/notice/{communication.id}/{rhythm.due_at:%Y%m%dT%H%M%S}"
        found.append(_notification(state, key, kind, headline, body, owners.get(communication.id)))
    return found
