"""Drafting a notice: the locale's template rendered with the incident's context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crisisctl.incident.service import RenderedDraft, Renderer
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Communication, Playbook
from crisisctl.render.context import notice_context
from crisisctl.render.environment import make_environment, resolve_template
from crisisctl.render.notices import RenderError, choose_template, render_template


def refuse_multiline_subject(name: str, roots: Sequence[Path], context: dict[str, Any]) -> None:
    """The template's `Subject:` line, rendered on its own, must stay one line: no header injection."""
    path = resolve_template(name, roots)
    first_line = path.read_text(encoding="utf-8").split("\n", 1)[0] if path else ""
    if not first_line.startswith("Subject:"):
        return
    subject = make_environment(roots).from_string(first_line).render(context)
    if "\r" in subject or "\n" in subject:
        raise RenderError(
            f"the subject of {name} would contain a line break, which could inject e-mail headers",
            "remove line breaks from the values it uses (title, inputs)",
        )


def make_renderer(template_dir: Path, extra_roots: Sequence[Path] = ()) -> Renderer:
    """A renderer looking in the template folder, then beside the playbook (the folder given)."""
    roots = [template_dir, *extra_roots]

    def render(
        state: IncidentState, playbook: Playbook, communication: Communication, locale: str, now: dt.datetime
    ) -> RenderedDraft:
        name = choose_template(communication.template, locale, roots)
        context = notice_context(state, playbook, communication, locale, now)
        rendered = render_template(name, roots, context)
        if communication.channel == "email":
            refuse_multiline_subject(name, roots, context)
        return RenderedDraft(rendered.text, rendered.template, rendered.template_sha256)

    return render
