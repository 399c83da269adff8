"""Filters offered to templates: dates and durations per locale, and readable lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from crisisctl.playbook.durations import format_duration

_LIST_JOINERS = {"zh": ("、", "和"), "en": (", ", " and ")}


def format_datetime(value: Any, locale: str = "en") -> str:
    """A date or time written the way readers of that locale expect."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # not ISO 8601: printed as it is
    if isinstance(value, dt.datetime):
        if locale.startswith("zh"):
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M} {value:%Z}".rstrip()
        return f"{value:%d %B %Y, %H:%M} {value:%Z}".rstrip()
    if isinstance(value, dt.date):
        if locale.startswith("zh"):
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value:%d %B %Y}"
    return str(value)


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
