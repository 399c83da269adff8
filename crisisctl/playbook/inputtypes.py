"""Which values fit an input's declared type: defaults, choices, scenario inputs, step conditions' values."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from crisisctl.numbers import too_large


def fits_input_type(value: Any, type_name: str) -> bool:
    """Whether a plain value is acceptable for an input of the given declared type."""
    if too_large(value):
        return False  # beyond 2^53: the log could not record it when an incident starts with it
    if type_name == "list":
        return isinstance(value, list)
    if type_name == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if type_name == "integer":
        return isinstance(value, int)
    if type_name == "number":
        return isinstance(value, int | float)
    if type_name == "date":  # a YAML date, or the text YYYY-MM-DD of a real day (not a date and time)
        if isinstance(value, dt.date):
            return not isinstance(value, dt.datetime)
        if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
            return False
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return isinstance(value, str)


_ORDERED_TYPES = ("integer", "number", "date")


def comparison_misfit(op: str, input_type: str, value: Any) -> str | None:
    """Why a step condition comparing an input of this type with `value` by `op` can never hold; None if it can."""
    if op == "contains":
        if input_type not in ("list", "string"):
            return f"`contains` looks inside a list or text, and a {input_type} input is neither"
        return None if isinstance(value, str) else f"a {input_type} input contains text, not {_kind(value)}"
    if op == "in":
        if input_type == "list":
            return "a list input is never `in` a list of values; `contains` looks inside it"
        items = value if isinstance(value, list) else [value]
        misfits = [item for item in items if not _comparable(item, input_type)]
        return f"{_kind(misfits[0])} in the list does not fit the input type {input_type}" if misfits else None
    if op in ("==", "!=") or input_type in _ORDERED_TYPES:
        return None if _comparable(value, input_type) else f"{_kind(value)} does not fit the input type {input_type}"
    return f"`{op}` orders numbers and dates, and a {input_type} input is neither"


def _comparable(value: Any, input_type: str) -> bool:
    """What an input's value is compared with: any number for an integer, a date (not its text) for a date."""
    if input_type == "date":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    return fits_input_type(value, "number" if input_type == "integer" else input_type)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return "a date"
    return f"the text `{value}`"
