"""Updates on a rhythm: a communication with `every:` is sent again and again, each send a numbered update, the
next one due `every` after the last was sent, while the incident is open (or, with `until: closed`, not closed)."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

from crisisctl.incident.state import CommunicationRecord, Delivery, IncidentState, default_locale
from crisisctl.playbook.model import Communication, Playbook


class Cadence(Struct, frozen=True):
    """Where a communication stands: updates sent so far, when the next send is due, and whether it is late."""

    sent: int
    due_at: dt.datetime | None
    overdue: bool


def sent_updates(record: CommunicationRecord | None) -> list[Delivery]:
    """The first successful delivery of each draft, oldest first: one per update sent."""
    if record is None:
        return []
    seen: set[str] = set()
    updates = []
    for delivery in sorted(record.deliveries, key=lambda d: d.seq):
        if delivery.ok and delivery.draft_sha256 not in seen:
            seen.add(delivery.draft_sha256)
            updates.append(delivery)
    return updates


def update_number(record: CommunicationRecord | None) -> int:
    """The number the next update carries: one more than the updates sent (a redraft keeps its number)."""
    return len(sent_updates(record)) + 1


def notice_start(state: IncidentState, playbook: Playbook, communication: Communication) -> dt.datetime | None:
    """When the notice's `due` starts to count: the declaration; for a notice sent only by follow-up steps
    (`after: resolved`), the resolution, and None before it (it cannot be due while the incident is open)."""
    return state.resolved_at if playbook.follow_up_notice(communication.id) else state.declared_at


def cadence(
    state: IncidentState, playbook: Playbook, communication: Communication, now: dt.datetime, locale: str | None = None
) -> Cadence:
    """For one locale (by default the first). A one-off notice is due `due` after the declaration (`notice_start`)
    until it is sent. Updates: the first is due `due` after it (else `every`), each next one `every` after the
    last send; none once the incident is resolved (`until: resolved`, the default) or closed."""
    chosen = default_locale(communication.locales) if locale is None else locale
    record = state.communications.get((communication.id, chosen))
    sent = sent_updates(record)
    start = notice_start(state, playbook, communication)
    if communication.every is None:
        due_at = start + communication.due if communication.due and start else None
        pending = record is None or record.sent() is None
        return Cadence(len(sent), due_at, bool(due_at and pending and now > due_at))
    if start is None or state.status == "closed" or (communication.until == "resolved" and state.status != "open"):
        return Cadence(len(sent), None, False)
    due_at = sent[-1].at + communication.every if sent else start + (communication.due or communication.every)
    return Cadence(len(sent), due_at, now > due_at)
