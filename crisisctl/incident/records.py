"""What the log holds, as the domain sees it: events, incident-list lines, and the outcome of a verify."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from msgspec import Struct


class StoredEvent(Struct, frozen=True):
    """One recorded event, as it stands in the log."""

    seq: int
    incident: str
    at: str
    recorded_at: str
    type: str
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def as_record(self) -> dict[str, Any]:
        """Every field, as JSON exports and `timeline --json` show it."""
        return {
            "seq": self.seq,
            "at": self.at,
            "recorded_at": self.recorded_at,
            "type": self.type,
            "actor": self.actor,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


class NewEvent(Struct, frozen=True):
    """An event about to be appended."""

    incident: str
    at: str
    type: str
    actor: str
    data: dict[str, Any]


class Verification(Struct, frozen=True):
    """The outcome of re-deriving the chain."""

    ok: bool
    events: int
    anchor: str | None
    first_bad_seq: int | None = None
    reason: str = ""
    incident: str | None = None  # the incident whose line in the incident list is wrong


class IncidentRow(Struct, frozen=True):
    """One line of the incident list, kept in step with the events in the same transaction."""

    id: str
    number: int
    playbook: str
    playbook_version: str
    title: str
    severity: str
    status: str
    drill: bool
    declared_at: str
    last_seq: int


# An event as the incident list needs it: seq, incident, at, type, and the values of the rule's data fields.
EventFacts = tuple[int, str, str, str, tuple[Any, ...]]


class IncidentListRule(Struct, frozen=True):
    """How the incident list follows from the events, as the incident layer defines it: `row` turns one
    incident's events of `event_types` (oldest first, with the values of `data_fields`, JSON paths into their
    data) and the seq of its newest event into the line the list must hold (None: the events declare none)."""

    event_types: tuple[str, ...]
    data_fields: tuple[str, ...]
    row: Callable[[str, Sequence[EventFacts], int], IncidentRow | None]
