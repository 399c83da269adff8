"""Filters offered to templates: dates and durations per locale (times in the display zone), and readable lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from crisisctl.playbook.durations import format_duration
from crisisctl.timezones import in_display_zone, is_beijing, utc_offset, zone_label

_LIST_JOINERS = {"zh": ("、", "和"), "en": (", ", " and ")}


def format_datetime(value: Any, locale: str = "en") -> str:
    """A date or time written the way readers of that locale expect; a time in the display zone, named."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # not ISO 8601: printed as it is
    if isinstance(value, dt.datetime):
        value = in_display_zone(value)
        if locale.startswith("zh"):
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}{_zone_zh(value)}"
        return f"{value:%d %B %Y, %H:%M}{_zone_en(value)}"
    if isinstance(value, dt.date):
        if locale.startswith("zh"):
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value:%d %B %Y}"
    return str(value)


def _zone_en(value: dt.datetime) -> str:
    """` CST (UTC+08:00)`: the abbreviation alone can mean several zones; ` UTC`; nothing for a naive time."""
    if value.tzinfo is None:
        return ""
    label, offset = zone_label(value), utc_offset(value)
    return f" {label}" if label == offset else f" {label} ({offset})"


def _zone_zh(value: dt.datetime) -> str:
    """`（北京时间）` for mainland China's zone; otherwise as in English."""
    return "（北京时间）" if is_beijing(value) else _zone_en(value)


def format_delta(value: Any) -> str:
    """A duration in seconds or as a timedelta, written as 2h 5m."""
    if not isinstance(value, dt.timedelta):
        value = dt.timedelta(seconds=float(value))
    return format_duration(value)


def human_list(items: Iterable[Any], locale: str = "en") -> str:
    """Join items as a sentence: a, b and c (a、b和c in Chinese)."""
    words = [str(item) for item in items]
    separator, last = _LIST_JOINERS.get(locale.split("-")[0].split("_")[0], _LIST_JOINERS["en"])
    if len(words) <= 1:
        return "".join(words)
    return separator.join(words[:-1]) + last + words[-1]


FILTERS = {"datetime": format_datetime, "duration": format_delta, "human_list": human_list}
