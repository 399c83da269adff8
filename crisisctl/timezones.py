"""The display time zone: where people read times (`--tz`, `CRISISCTL_TZ`, config `timezone`); the log keeps UTC."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from contextvars import ContextVar

from crisisctl.errors import UsageError

# Names under which the zone of mainland China is known; Chinese text calls its time 北京时间.
BEIJING_KEYS = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})

# Set once per command by the CLI, read by whatever shows a time to a person. A zone named in config.toml is
# looked up when first needed: finding that file costs `note`, which shows no time, several milliseconds.
# None is the system zone.
_DISPLAY_ZONE: ContextVar[Callable[[], dt.tzinfo | None]] = ContextVar("display_zone", default=lambda: None)


def _load(name: str) -> dt.tzinfo | None:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone_named(name: str, where: str) -> dt.tzinfo:
    """The IANA zone `name` (`Asia/Shanghai`, `UTC`), or a usage error saying where the name came from."""
    zone = _load(name.strip())
    if zone is None:
        raise UsageError(f"unknown time zone `{name}` (from {where})", _zone_hint(name.strip()))
    return zone


def _zone_hint(name: str) -> str:
    import zoneinfo

    from crisisctl.suggest import did_you_mean

    # Within the region before the slash (Asia/...), so that the comparison stays within did_you_mean's limit.
    region = name.split("/")[0].casefold()
    pool = sorted(key for key in zoneinfo.available_timezones() if key.split("/")[0].casefold() == region)
    guess = did_you_mean(name, pool)
    example = "an IANA time zone name, e.g. Asia/Shanghai, Europe/Berlin or UTC"
    return f"{guess} ({example})" if guess else example


def system_zone() -> dt.tzinfo | None:
    """The machine's zone: `TZ` when it names an IANA zone (so its name is known), else None (the C library's)."""
    name = os.environ.get("TZ", "").removeprefix(":")
    return _load(name) if name else None  # a POSIX rule (CET-1CEST,M3.5.0,...) does not load: None reads it


def use_display_zone(zone: Callable[[], dt.tzinfo | None]) -> None:
    """From now on, times are shown in the zone `zone()` gives (called once, when a time is first shown)."""
    import functools

    _DISPLAY_ZONE.set(functools.cache(zone))


def display_zone() -> dt.tzinfo | None:
    return _DISPLAY_ZONE.get()()


def zone_name() -> str:
    """The display zone as templates see it: `Asia/Shanghai`, `UTC`, or the system zone's abbreviation."""
    zone = display_zone()
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    return dt.datetime.now(dt.UTC).astimezone(zone).tzname() or "UTC"


def in_display_zone(moment: dt.datetime) -> dt.datetime:
    """The same instant on the display zone's clock; a naive time (no zone known) is left as it is."""
    return moment if moment.tzinfo is None else moment.astimezone(display_zone())


def utc_offset(moment: dt.datetime) -> str:
    """`UTC+08:00`, or `UTC` where the offset is zero."""
    minutes = int((moment.utcoffset() or dt.timedelta(0)).total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(moment: dt.datetime) -> str:
    """The zone's abbreviation at that moment (`CST`, `CEST`, `UTC`); its offset where it has no letters."""
    name = moment.tzname() or ""
    return name if name[:1].isalpha() else utc_offset(moment)


def is_beijing(moment: dt.datetime) -> bool:
    return getattr(moment.tzinfo, "key", None) in BEIJING_KEYS


def shown(moment: dt.datetime) -> str:
    """A moment for tables and messages, in the display zone with its zone named: `2026-12-04 18:30 CST`."""
    local = in_display_zone(moment)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(local)}"
