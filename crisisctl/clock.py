"""Time for crisisctl: the system clock, a fixed clock for tests, and parsing of --at."""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

from msgspec import Struct

from crisisctl.errors import UsageError
from crisisctl.playbook.durations import parse_duration

_RELATIVE = re.compile(r"([+-])([0-9]+[smhdw])")
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """The machine's clock, always timezone-aware UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock(Struct, frozen=True):
    """A clock that always says the same time."""

    instant: dt.datetime

    def now(self) -> dt.datetime:
        return self.instant


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Naive times are local times, as a person typing them means."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.UTC)


def format_time(moment: dt.datetime) -> str:
    """The stored form: UTC, ISO 8601, microseconds, `Z` (2026-11-25T14:05:00.000000Z)."""
    return to_utc(moment).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    """Parse a stored time."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _offset(moment: dt.datetime) -> str:
    """`+02:00`: the UTC offset as written after an ISO 8601 time."""
    minutes = int((moment.utcoffset() or dt.timedelta(0)).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _on_wall_clock(stated: dt.datetime, zone: dt.tzinfo | None, fold: int) -> dt.datetime:
    """A naive wall-clock time read in `zone` (None: the system zone), the earlier or later reading of a repeat."""
    if zone is None:
        return stated.replace(fold=fold).astimezone()
    return stated.replace(tzinfo=zone, fold=fold)


def _local_to_utc(stated: dt.datetime, text: str) -> dt.datetime:
    """A wall-clock time in the display zone, refused where a clock change skipped it or showed it twice.

    Python would silently pick one reading (fold 0); in a record that may become evidence,
    an hour's error must be the person's choice, not ours.
    """
    from crisisctl.timezones import display_zone, zone_name

    zone = display_zone()
    first = _on_wall_clock(stated, zone, 0)
    try:
        second = _on_wall_clock(stated, zone, 1)
        # The round trip moves a wall time that never existed.
        skipped = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None, fold=0) != stated
    except (ValueError, OverflowError):  # the later reading of 9999-12-31 is past the calendar: no change there
        second, skipped = first, False
    if skipped:
        raise UsageError(
            f"`{text}` did not exist in local time ({zone_name()}): the clocks jumped forward over it",
            f"check the time; to keep it, give its UTC offset, e.g. {text}{_offset(first)}",
        )
    if first.utcoffset() != second.utcoffset():
        raise UsageError(
            f"`{text}` happened twice in local time ({zone_name()}): the clocks went back over it",
            f"add the UTC offset: {text}{_offset(first)} (the first time) or {text}{_offset(second)} (the second)",
        )
    return first.astimezone(dt.UTC)


def parse_at(text: str, now: dt.datetime, declared_at: dt.datetime | None) -> dt.datetime:
    """--at: an ISO 8601 time, `-15m` (that long ago) or `+35m` (after the declaration). A time without an offset
    is a wall-clock time in the display zone (--tz)."""
    relative = "-15m (ago) or +35m (after declaration)" if declared_at is not None else "-15m (ago)"  # as accepted
    match = _RELATIVE.fullmatch(text.strip())
    if match:
        try:
            delta = parse_duration(match.group(2))
            if match.group(1) == "-":
                return now - delta
            if declared_at is None:
                raise UsageError("`+DURATION` counts from the incident's declaration", "use an ISO time or -15m here")
            return declared_at + delta
        except (ValueError, OverflowError):
            raise UsageError(f"`{text}` is too far away to be a time", f"write {relative}, or an ISO time") from None
    try:
        stated = dt.datetime.fromisoformat(text.strip())
        moment = to_utc(stated) if stated.tzinfo else _local_to_utc(stated, text.strip())
    except (ValueError, OverflowError):  # OverflowError: a time zone that moves it past year 1 or 9999
        raise UsageError(
            f"`{text}` is not a time",
            f"write an ISO 8601 time (2026-11-25T14:05), or {relative}",
        ) from None
    if moment < EARLIEST:
        raise UsageError(f"`{text}` is before 1970", "check the year; a crisis log starts in this era")
    return moment
