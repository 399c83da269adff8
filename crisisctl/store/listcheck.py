"""The incident list checked against the events, whichever store holds them: three sorted streams merged."""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Iterable, Iterator
from typing import Any

from crisisctl.incident.records import EventFacts, IncidentListRule, IncidentRow


def _by_incident(
    facts: Iterable[EventFacts], newest: Iterable[tuple[str, int]], listed: Iterable[IncidentRow]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each incident id in the events or the list, with its facts, its newest seq and its listed line: three
    streams in id order merged, so that memory stays flat however many incidents the log holds."""
    grouped = (
        (incident, "facts", list(group)) for incident, group in itertools.groupby(facts, key=operator.itemgetter(1))
    )
    merged = heapq.merge(
        grouped,
        ((incident, "newest", seq) for incident, seq in newest),
        ((row.id, "listed", row) for row in listed),
        key=operator.itemgetter(0),
    )
    for incident, group in itertools.groupby(merged, key=operator.itemgetter(0)):
        yield incident, {kind: value for _, kind, value in group}


def _row_difference(listed: IncidentRow, expected: IncidentRow) -> str:
    fields = [name for name in IncidentRow.__struct_fields__ if getattr(listed, name) != getattr(expected, name)]
    return ", ".join(
        f"{name} is {getattr(listed, name)!r}, the events say {getattr(expected, name)!r}" for name in fields
    )


def first_problem(
    facts: Iterable[EventFacts],
    newest: Iterable[tuple[str, int]],
    listed: Iterable[IncidentRow],
    rule: IncidentListRule,
) -> tuple[str, str] | None:
    """(incident, reason) for the first incident whose line in the list is not what its events say; each stream
    sorted by incident id (`facts` by seq within one)."""
    for incident, found in _by_incident(facts, newest, listed):
        listed_row = found.get("listed")
        if "newest" not in found:
            return incident, f"the incident list has {incident}, which no event declares"
        expected = rule.row(incident, found.get("facts", []), found["newest"])
        if expected is None:
            return incident, f"the events of {incident} do not begin with its declaration"
        if listed_row is None:
            return incident, f"{incident} is missing from the incident list (its line was deleted)"
        if listed_row != expected:
            return incident, f"the incident list disagrees with the events of {incident}: " + _row_difference(
                listed_row, expected
            )
    return None
