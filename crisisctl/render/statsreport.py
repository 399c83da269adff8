"""The one-file HTML stats report: inline CSS and SVG bar charts, no script, nothing fetched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from crisisctl import __version__
from crisisctl.render.environment import make_environment

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"


def _hours(seconds: float | None) -> float | None:
    return seconds / 3600 if seconds is not None else None


def render_stats_html(report: dict[str, Any]) -> str:
    """Render `stats` as HTML; every value is escaped by the template's autoescaping."""
    rows = [
        {
            "playbook": row["playbook"],
            "incidents": row["incidents"],
            "acknowledge_h": _hours(row["time_to_acknowledge_s"]["median"]),
            "notice_h": _hours(row["time_to_first_notice_s"]["median"]),
            "resolve_h": _hours(row["time_to_resolve_s"]["median"]),
            "on_time": row["steps_on_time_ratio"],
        }
        for row in report["by_playbook"]
    ]
    largest = max(
        [value for row in rows for value in (row["acknowledge_h"], row["notice_h"], row["resolve_h"]) if value] or [1]
    )
    template = make_environment([BUILTIN_DIR]).get_template("stats.html.j2")
    return template.render(
        report=report, rows=rows, largest=largest, version=__version__, generated=dt.datetime.now(dt.UTC)
    )
