"""Action items: follow-up work with an owner, a due date and a status, which outlives the incident."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from msgspec import Struct

from crisisctl.clock import format_time
from crisisctl.errors import RefusedError, UsageError
from crisisctl.incident.ids import unknown
from crisisctl.playbook.durations import parse_duration

ACTION_PREFIX = "action:"  # a note starting with it (any case) is an action item too


class ActionItem(Struct):
    """One action item, as its events describe it."""

    id: str
    text: str
    owner: str
    due: str  # "" (none), a date YYYY-MM-DD, or a UTC time as the log writes times
    at: dt.datetime
    actor: str
    seq: int
    status: str = "open"
    done_at: dt.datetime | None = None
    done_by: str = ""
    done_note: str = ""

    def overdue(self, now: dt.datetime) -> bool:
        """Open past its due: a date is due by the end of that day (UTC), a time at that moment."""
        if self.status != "open" or not self.due:
            return False
        if len(self.due) == 10:
            return now.astimezone(dt.UTC).date() > dt.date.fromisoformat(self.due)
        return now > dt.datetime.fromisoformat(self.due.replace("Z", "+00:00"))


def action_text(note: str) -> str | None:
    """The action item a note asks for (`action: TEXT`), or None for any other note."""
    text = note.lstrip()
    if text[: len(ACTION_PREFIX)].lower() != ACTION_PREFIX:
        return None
    return text[len(ACTION_PREFIX) :].strip()


def next_action_id(items: Iterable[ActionItem]) -> str:
    return f"A{sum(1 for _ in items) + 1}"


def parse_due(text: str, now: dt.datetime) -> str:
    """--due: a date (YYYY-MM-DD), an ISO 8601 time, or a duration from now (7d, +2w)."""
    given = text.strip()
    try:
        if len(given) == 10 and given[4] == "-":
            return dt.date.fromisoformat(given).isoformat()
        if given[:1] == "+" or (given[-1:].isalpha() and given[:1].isdigit()):
            return format_time(now + parse_duration(given.removeprefix("+")))
        from crisisctl.clock import parse_at

        return format_time(parse_at(given, now, None))
    except (ValueError, OverflowError, UsageError):
        raise UsageError(
            f"--due `{text}` is not a date, time or duration",
            "write a date (2026-12-01), an ISO time (2026-12-01T17:00) or a duration from now (7d, 2w)",
        ) from None


def require_open_action(items: dict[str, ActionItem], action_id: str, incident: str) -> ActionItem:
    """The open action item named (ids are case-insensitive: a1 is A1)."""
    item = items.get(action_id.strip().upper())
    if item is None:
        raise unknown("action item", action_id, items, f"{incident} has no action items yet")
    if item.status == "done":
        raise RefusedError(f"action item {item.id} of {incident} is already done", "nothing to change")
    return item


def action_counts(items: Iterable[ActionItem], now: dt.datetime) -> dict[str, int]:
    """How many action items are open, done, and open past their due."""
    counts = {"open": 0, "done": 0, "overdue": 0}
    for item in items:
        counts[item.status] += 1
        counts["overdue"] += item.overdue(now)
    return counts
