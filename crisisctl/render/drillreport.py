"""The drill report as a document: Markdown, or one self-contained HTML file with an SVG chart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from crisisctl import __version__
from crisisctl.incident.drills import DrillScore
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Playbook
from crisisctl.render.environment import make_environment
from crisisctl.render.htmllang import mark_languages
from crisisctl.render.reports import escape_markdown
from crisisctl.safetext import inert

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
TEMPLATE_BY_FORMAT = {"md": "drill-report.md.j2", "html": "drill-report.html.j2"}


def render_drill_report(state: IncidentState, playbook: Playbook, score: DrillScore, report_format: str) -> str:
    """Render the score in the sandbox; user text is escaped by the HTML template's autoescaping."""
    horizon = max(
        [score.elapsed.total_seconds()]
        + [item.by.total_seconds() for item in score.expectations]
        + [(item.at or dt.timedelta(0)).total_seconds() for item in score.expectations]
        + [1.0]
    )
    template = make_environment([BUILTIN_DIR]).get_template(TEMPLATE_BY_FORMAT[report_format])
    # The title is the one free text here (the rest are validated ids and numbers): made inert for a
    # terminal, then HTML autoescapes it and Markdown gets its markup (and any raw HTML) escaped.
    title = inert(state.title, keep_newlines=False)
    if report_format == "md":
        title = escape_markdown(title)
    text = template.render(
        title=title,
        state=state,
        playbook=playbook,
        score=score,
        scenario=(state.scenario or {}).get("id", ""),
        horizon=horizon,
        version=__version__,
    )
    return mark_languages(text) if report_format == "html" else text
