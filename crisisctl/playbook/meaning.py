"""What a value of the playbook model means, as a value that is equal exactly when the meaning is.

`playbook diff` compares these. Durations are timedeltas already (`2h` is `120m`) and a key left out holds the
model's default (`required: false` written out is the same). Beyond the model's own equality:
- lists whose order crisisctl never reads (`depends_on`, `approvals`, `tags`, `choices`, `kpis`, the items of a
  condition's `all`/`any`, the values an `in` lists) compare as sets;
- of `locales`, the first (the plain template's language, and the locale meant when none is named) counts, the
  others' order does not;
- true and false are not the numbers 1 and 0 (an ordering `>` treats them differently), while 2 and 2.0 are alike;
- a `date` input's default and choices are alike as a date or as `YYYY-MM-DD` text (as_used: the log keeps text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from msgspec import Struct
from msgspec.structs import replace

from crisisctl.playbook.conditions import AllOf, AnyOf, Leaf
from crisisctl.playbook.model import Input

UNORDERED = frozenset({"depends_on", "approvals", "tags", "choices", "kpis"})
FIRST_COUNTS = frozenset({"locales"})

Entry = TypeVar("Entry")


def meaning(value: Any, name: str) -> object:
    """`value`, the model's field `name`, reduced to what it means."""
    if name in UNORDERED:
        return frozenset(_plain(item) for item in value)
    if name in FIRST_COUNTS:
        return (_plain(value[0]) if value else None, frozenset(_plain(item) for item in value[1:]))
    return _plain(value)


def _plain(value: Any) -> object:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, Leaf):
        compared = frozenset(map(_plain, value.value)) if value.op == "in" else _plain(value.value)
        return ("leaf", value.source, value.name, value.op, compared)
    if isinstance(value, AllOf | AnyOf):
        return (type(value).__name__, frozenset(map(_plain, value.items)))
    if isinstance(value, Struct):
        return (
            type(value).__name__,
            tuple((name, meaning(getattr(value, name), name)) for name in value.__struct_fields__),
        )
    if isinstance(value, list | tuple):
        return tuple(map(_plain, value))
    return value  # text, numbers (2 == 2.0), dates, timedeltas, None


def as_used(entry: Entry) -> Entry:
    """An entry as crisisctl uses it: a `date` input's default and choices as `YYYY-MM-DD` text, as in the log."""
    if isinstance(entry, Input) and entry.type == "date":
        return replace(entry, default=_iso(entry.default), choices=tuple(map(_iso, entry.choices)))
    return entry


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
