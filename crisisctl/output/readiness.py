"""Readiness findings for people (a table by playbook) and for scripts (--json)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.table import Table
from rich.text import Text

from crisisctl.clock import format_time
from crisisctl.output.plain import plain_table
from crisisctl.playbook.readiness import Readiness
from crisisctl.safetext import inert


def readiness_payload(results: list[Readiness], now: dt.datetime) -> dict[str, Any]:
    return {
        "ready": all(result.ready for result in results),
        "at": format_time(now),
        "playbooks": [
            {
                "playbook": result.playbook,
                "file": result.file,
                "ready": result.ready,
                "last_drill": format_time(result.last_drill) if result.last_drill else None,
                "findings": [
                    {"rule": finding.rule, "message": finding.message, "hint": finding.hint}
                    for finding in result.findings
                ],
            }
            for result in results
        ],
    }


READINESS_COLUMNS = ("playbook", "finding", "what to do")


def readiness_table(results: list[Readiness]) -> Table:
    table = Table(show_edge=False, header_style="bold", show_lines=True)
    for column in READINESS_COLUMNS:
        table.add_column(column)
    for playbook, finding, rule, hint in _rows(results):
        shown = Text.assemble((finding, "bold red"), f"  [{rule}]") if rule else Text(finding, style="green")
        table.add_row(Text(playbook), shown, Text(hint))
    return table


def readiness_plain(results: list[Readiness]) -> str:
    """For pipes and files: one finding a line, in columns."""
    rows = [
        (playbook, f"{finding}  [{rule}]" if rule else finding, hint)
        for playbook, finding, rule, hint in _rows(results)
    ]
    return plain_table(READINESS_COLUMNS, rows)


def _rows(results: list[Readiness]) -> list[tuple[str, str, str, str]]:
    """(playbook, finding, rule, what to do): `ready` with no rule, or each finding; the playbook on its first row."""
    rows = []
    for result in results:
        if result.ready:
            rows.append((inert(result.playbook), "ready", "", ""))
        for number, finding in enumerate(result.findings):
            playbook = inert(result.playbook) if number == 0 else ""
            rows.append((playbook, inert(finding.message), finding.rule, inert(finding.hint)))
    return rows
