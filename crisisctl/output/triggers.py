"""Trigger matches as a table."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from crisisctl.incident.triggers import TriggerMatch
from crisisctl.playbook.conditions import Comparison, Scaled
from crisisctl.safetext import inert


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


MATCH_COLUMNS = ("playbook", "trigger", "severity", "fired on", "why")
NO_MATCH = "no trigger fires for these signals"


def _missing_line(missing: list[str]) -> str:
    return "metrics some triggers needed but the signals lack: " + ", ".join(missing)


def _unusable_line(unusable: list[str]) -> str:
    listed = inert(", ".join(unusable), keep_newlines=False)
    return f"signals that are not numbers where triggers compare numbers: {listed}"


def matches_table(matches: list[TriggerMatch], missing: list[str], unusable: list[str]) -> Group:
    """For a terminal: in a narrow one, long ids and comparisons fold onto more lines, never cut."""
    parts: list[object] = []
    if matches:
        table = Table(
            title="Triggers that fire (most severe first)", title_justify="left", show_edge=False, header_style="bold"
        )
        for column in MATCH_COLUMNS:
            table.add_column(column, overflow="fold")
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
        parts.append(Text(NO_MATCH))
    if missing:
        parts.append(Text(_missing_line(missing), style="yellow"))
    if unusable:
        parts.append(Text(_unusable_line(unusable), style="bold red"))
    return Group(*parts)  # type: ignore[arg-type]


def matches_plain(matches: list[TriggerMatch], missing: list[str], unusable: list[str]) -> str:
    """For pipes and files: one line per match, the comparisons that fired it separated by `; `."""
    from crisisctl.output.plain import plain_table

    rows = [
        (
            match.playbook.id,
            match.trigger.id,
            match.severity or "-",
            "; ".join(comparison_text(comparison) for comparison in match.fired_on),
            match.trigger.description,
        )
        for match in matches
    ]
    lines = [plain_table(MATCH_COLUMNS, rows) if rows else NO_MATCH]
    lines += [_missing_line(missing)] if missing else []
    lines += [_unusable_line(unusable)] if unusable else []
    return "\n".join(lines)
