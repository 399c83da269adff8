"""Facts that change during an incident: each input's history, and since when a step's `when` holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct

from crisisctl.playbook.conditions import Condition, evaluate
from crisisctl.playbook.model import Playbook


class InputChange(Struct, frozen=True):
    """One recorded change of an input: `crisisctl set`, or a drill inject that fired."""

    seq: int
    at: dt.datetime
    actor: str
    input: str
    value: Any
    previous: Any  # None: the input had no value
    note: str = ""
    inject: int | None = None  # the scenario inject (its index) that set it, in a drill


def in_stated_order(changes: Sequence[InputChange]) -> list[InputChange]:
    """Changes by the time they are stated to have happened (--at), then in the order they were recorded."""
    return sorted(changes, key=lambda change: (change.at, change.seq))


def typed(values: Mapping[str, Any], playbook: Playbook) -> dict[str, Any]:
    """Input values as their declared types (dates come back from JSON as text)."""
    result = dict(values)
    for declared in playbook.inputs:
        value = result.get(declared.id)
        if declared.type == "date" and isinstance(value, str):
            result[declared.id] = dt.date.fromisoformat(value)
    return result


# The incident's inputs from one moment on: the declaration, then each change by stated time.
Snapshots = list[tuple[dt.datetime, dict[str, Any]]]


def snapshots(
    declared_at: dt.datetime, declared: Mapping[str, Any], changes: Sequence[InputChange], playbook: Playbook
) -> Snapshots:
    """The typed inputs as they stood from the declaration and after each change, oldest first."""
    values = dict(declared)
    result = [(declared_at, typed(values, playbook))]
    for change in in_stated_order(changes):
        values[change.input] = change.value
        # A fact from before the crisis (a baseline) holds for the incident from its declaration.
        result.append((max(change.at, declared_at), typed(values, playbook)))
    return result


def applicable_since(when: Condition | None, history: Snapshots) -> dt.datetime | None:
    """When the condition last began to hold and has held since; None if it does not hold now."""
    since: dt.datetime | None = None
    for at, values in history:
        holds = when is None or evaluate(when, values).holds
        if not holds:
            since = None
        elif since is None:
            since = at
    return since
