"""Trigger matches as a table."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from crisisctl.incident.triggers import TriggerMatch
from crisisctl.output.safetext import inert
from crisisctl.playbook.conditions import Comparison, Scaled


def _shown(value: Any) -> str:
    """A signal or threshold in a cell: `missing` for none, whole numbers without `.0`."""
    if value is None:
        return "missing"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_shown, value)) + "]"
    return str(value)


def comparison_text(comparison: Comparison) -> str:
    """`complaints_per_hour 240 > 30 (3 × complaints_per_hour_baseline 10)`; under `not`: `refunds 2, not > 5`."""
    leaf = comparison.leaf
    test = f"{leaf.op} {_shown(comparison.threshold)}"
    if isinstance(leaf.value, Scaled):
        test += f" ({_shown(leaf.value.times)} × {leaf.value.metric} {_shown(comparison.baseline)})"
    value = _shown(comparison.value)
    text = f"{leaf.name} {value} {test}" if comparison.holds else f"{leaf.name} {value}, not {test}"
    return inert(text, keep_newlines=False)


def matches_table(matches: list[TriggerMatch], missing: list[str], unusable: list[str]) -> Group:
    parts: list[object] = []
    if matches:
        table = Table(
            title="Triggers that fire (most severe first)", title_justify="left", show_edge=False, header_style="bold"
        )
        for column in ("playbook", "trigger", "severity", "fired on", "why"):
            table.add_column(column)
        for match in matches:
            fired_on = "\n".join(comparison_text(comparison) for comparison in match.fired_on)
            table.add_row(
                match.playbook.id,
                match.trigger.id,
                match.severity or "-",
                Text(fired_on),
                Text(inert(match.trigger.description)),
            )
        parts.append(table)
    else:
        parts.append(Text("no trigger fires for these signals"))
    if missing:
        parts.append(Text("metrics some triggers needed but the signals lack: " + ", ".join(missing), style="yellow"))
    if unusable:
        listed = inert(", ".join(unusable), keep_newlines=False)
        parts.append(Text(f"signals that are not numbers where triggers compare numbers: {listed}", style="bold red"))
    return Group(*parts)  # type: ignore[arg-type]
