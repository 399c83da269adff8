"""Reading incident inputs typed by the playbook, from flags and prompts alike."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from crisisctl.errors import UsageError
from crisisctl.numbers import ensure_recordable
from crisisctl.playbook.model import Input, Playbook

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def parse_input_value(declared: Input, text: str) -> Any:
    """A typed, JSON-ready value; raises UsageError naming the input and its type."""
    text = text.strip()
    try:
        value = _parse(declared.type, text)
    except ValueError:
        raise UsageError(
            f"`{text}` is not a valid {declared.type} for input {declared.id}", _TYPE_HINTS[declared.type]
        ) from None
    ensure_recordable(value, f"`{text}` for input {declared.id}")
    chosen = value if declared.type == "list" else [value]
    outside = [item for item in chosen if declared.choices and item not in declared.choices]
    if outside:
        raise UsageError(
            f"`{outside[0]}` is not one of the choices for input {declared.id}",
            "choose from: " + ", ".join(str(choice) for choice in declared.choices),
        )
    return value


_TYPE_HINTS = {
    "string": "write any text",
    "integer": "write a whole number, e.g. 1200",
    "number": "write a number, e.g. 3.5",
    "boolean": "write true or false",
    "date": "write a date as YYYY-MM-DD",
    "list": 'write comma-separated values (a, b) or a JSON array (["a", "b"])',
}


def _parse(type_name: str, text: str) -> Any:
    if type_name == "integer":
        return int(text.replace("_", "").replace(",", ""))
    if type_name == "number":
        real = float(text)
        if not math.isfinite(real):
            raise ValueError(text)
        return int(text) if real.is_integer() and "." not in text and "e" not in text.lower() else real
    if type_name == "boolean":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(text)
    if type_name == "date":
        return dt.date.fromisoformat(text).isoformat()
    if type_name == "list":
        if text.startswith("["):
            try:
                value = json.loads(text, parse_constant=_no_constant)
            except RecursionError:  # `[[[[...`: nested far deeper than the flat list an input is
                raise ValueError(text) from None
            if not isinstance(value, list) or any(isinstance(item, dict | list) for item in value):
                raise ValueError(text)
            if any(isinstance(item, float) and not math.isfinite(item) for item in value):
                raise ValueError(text)  # 1e999: the log's JSON has no infinity
            return value
        return [item.strip() for item in text.split(",") if item.strip()]
    if not text:
        raise ValueError(text)
    return text


def _no_constant(name: str) -> Any:
    """NaN and Infinity, which Python's JSON reader accepts and the log's JSON has no form for."""
    raise ValueError(name)


def json_default(declared: Input) -> Any:
    """A declared default as stored in the log."""
    value = declared.default
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_inputs(playbook: Playbook, given: dict[str, str]) -> dict[str, Any]:
    """Typed values for inputs given as NAME=VALUE text (`declare --input`, `set`); exit 2 for a bad one."""
    declared_by_id = {declared.id: declared for declared in playbook.inputs}
    values: dict[str, Any] = {}
    for name, text in given.items():
        declared = declared_by_id.get(name)
        if declared is None:
            from crisisctl.incident.ids import unknown

            raise unknown("input", name, declared_by_id, "this playbook declares no inputs")
        values[name] = parse_input_value(declared, text)
    return values


def resolve_inputs(playbook: Playbook, given: dict[str, str]) -> tuple[dict[str, Any], list[Input]]:
    """Typed values for the given inputs plus defaults, and the required inputs still missing."""
    values = parse_inputs(playbook, given)
    for declared in playbook.inputs:
        if declared.id not in values and declared.default is not None:
            values[declared.id] = json_default(declared)
    missing = [declared for declared in playbook.inputs if declared.required and declared.id not in values]
    return values, missing
