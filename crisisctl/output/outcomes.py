"""Customer outcomes for people and scripts: before / after / change rows and the --json shape."""

from __future__ import annotations

from typing import Any

from crisisctl.clock import format_time
from crisisctl.incident.outcomes import Outcome

OUTCOME_COLUMNS = ("metric", "before", "after", "change", "measurements")


def figure(value: float | None) -> str:
    """A measured figure as written (12.5, 3), or `not measured`."""
    return "not measured" if value is None else f"{value:g}"


def change_text(item: Outcome) -> str:
    """`+0.4 (better)`, or `-` while either end is missing."""
    change = item.change
    return "-" if change is None else f"{change:+g} ({item.verdict})"


def outcome_rows(items: list[Outcome]) -> list[tuple[str, ...]]:
    return [
        (item.metric, figure(item.baseline), figure(item.latest), change_text(item), str(len(item.measurements)))
        for item in items
    ]


def outcome_payload(item: Outcome) -> dict[str, Any]:
    return {
        "metric": item.metric,
        "title": item.title,
        "baseline": item.baseline,
        "latest": item.latest,
        "change": item.change,
        "verdict": item.verdict or None,
        "listed": item.listed,
        "measurements": [
            {
                "at": format_time(m.at),
                "actor": m.actor,
                "value": m.value,
                "baseline": m.baseline,
                "note": m.note,
                "seq": m.seq or None,
            }
            for m in item.measurements
        ],
    }
