"""Readiness findings for people (a table by playbook) and for scripts (--json)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.table import Table
from rich.text import Text

from crisisctl.clock import format_time
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


def readiness_table(results: list[Readiness]) -> Table:
    table = Table(show_edge=False, header_style="bold", show_lines=True)
    for column in ("playbook", "finding", "what to do"):
        table.add_column(column)
    for result in results:
        if result.ready:
            table.add_row(Text(inert(result.playbook)), Text("ready", style="green"), "")
        for number, finding in enumerate(result.findings):
            table.add_row(
                Text(inert(result.playbook) if number == 0 else ""),
                Text.assemble((inert(finding.message), "bold red"), f"  [{finding.rule}]"),
                Text(inert(finding.hint)),
            )
    return table
