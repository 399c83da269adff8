"""Drafting a notice: the locale's template rendered with the incident's context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from crisisctl.incident.service import RenderedDraft, Renderer
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Communication, Playbook
from crisisctl.render.context import notice_context
from crisisctl.render.notices import choose_template, render_template


def make_renderer(template_dir: Path, extra_roots: Sequence[Path] = ()) -> Renderer:
    """A renderer looking in the template folder, then beside the playbook (the folder given)."""
    roots = [template_dir, *extra_roots]

    def render(
        state: IncidentState, playbook: Playbook, communication: Communication, locale: str, now: dt.datetime
    ) -> RenderedDraft:
        name = choose_template(communication.template, locale, roots)
        rendered = render_template(name, roots, notice_context(state, playbook, communication, locale, now))
        return RenderedDraft(rendered.text, rendered.template, rendered.template_sha256)

    return render
