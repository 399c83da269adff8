"""Action items for people and scripts: rows, a table, and the --json shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from crisisctl.clock import format_time
from crisisctl.incident.actions import ActionItem
from crisisctl.safetext import inert
from crisisctl.timezones import shown


def action_payload(incident: str, item: ActionItem, now: dt.datetime, *, drill: bool) -> dict[str, Any]:
    return {
        "incident": incident,
        "drill": drill,
        "id": item.id,
        "text": item.text,
        "owner": item.owner or None,
        "due": item.due or None,
        "status": item.status,
        "overdue": item.overdue(now),
        "added_at": format_time(item.at),
        "added_by": item.actor,
        "done_at": format_time(item.done_at) if item.done_at else None,
        "done_by": item.done_by or None,
        "note": item.done_note or None,
    }


def due_cell(item: ActionItem, now: dt.datetime) -> str:
    """The due date or time in the reader's zone, with OVERDUE when an open item is past it."""
    if not item.due:
        return ""
    due = item.due if len(item.due) == 10 else shown(dt.datetime.fromisoformat(item.due.replace("Z", "+00:00")))
    return f"OVERDUE {due}" if item.overdue(now) else due


def action_rows(items: Sequence[tuple[str, ActionItem]], now: dt.datetime) -> list[tuple[str, ...]]:
    """incident, id, status, owner, due, what (with the closing note)."""
    return [
        (
            incident,
            item.id,
            item.status,
            item.owner or "-",
            due_cell(item, now),
            item.text + (f" — {item.done_note}" if item.done_note else ""),
        )
        for incident, item in items
    ]


def actions_table(items: Sequence[tuple[str, ActionItem]], now: dt.datetime) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for column in ("incident", "id", "status", "owner", "due", "what"):
        table.add_column(column)
    for row, (_, item) in zip(action_rows(items, now), items, strict=True):
        cells = [Text(inert(cell, keep_newlines=False)) for cell in row]
        if item.overdue(now):
            cells[4].stylize("bold red")
        table.add_row(*cells)
    return table
