"""Trigger matches as a table."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from crisisctl.incident.triggers import TriggerMatch
from crisisctl.output.safetext import inert


def matches_table(matches: list[TriggerMatch], missing: list[str], unusable: list[str]) -> Group:
    parts: list[object] = []
    if matches:
        table = Table(
            title="Triggers that fire (most severe first)", title_justify="left", show_edge=False, header_style="bold"
        )
        for column in ("playbook", "trigger", "severity", "why"):
            table.add_column(column)
        for match in matches:
            table.add_row(
                match.playbook.id, match.trigger.id, match.severity or "-", Text(inert(match.trigger.description))
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
