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
from crisisctl.render.drillmark import with_exercise_banner
from crisisctl.render.environment import make_environment, resolve_template
from crisisctl.render.notices import RenderError, choose_template, render_template


def refuse_unsafe_subject(name: str, roots: Sequence[Path], context: dict[str, Any], text: str, fallback: str) -> None:
    """The subject the notice will carry (its `Subject:` line, else the communication's title) must be
    one clean header line. A line break that a value brings into the `Subject:` line would only move
    text into the body of the whole render, so that line is also rendered on its own."""
    from crisisctl.delivery.outbox import header_problem, split_subject

    problem = header_problem(split_subject(text, fallback)[0]) or _line_break_in_subject_line(name, roots, context)
    if problem is not None:
        raise RenderError(
            f"the subject of {name} would contain {problem}, which could inject or break e-mail headers",
            "remove line breaks and control characters from the values it uses (title, inputs)",
        )


def _line_break_in_subject_line(name: str, roots: Sequence[Path], context: dict[str, Any]) -> str | None:
    from jinja2 import TemplateError

    path = resolve_template(name, roots)
    first_line = path.read_text(encoding="utf-8").split("\n", 1)[0] if path else ""
    if not first_line.startswith("Subject:"):
        return None
    try:
        alone = make_environment(roots).from_string(first_line).render(context)
    except TemplateError:  # a tag that closes on a later line: the whole render above is what counts
        return None
    return "a line break" if "\r" in alone or "\n" in alone else None


def make_renderer(template_dir: Path, extra_roots: Sequence[Path] = ()) -> Renderer:
    """A renderer looking in the template folder, then beside the playbook (the folder given)."""
    roots = [template_dir, *extra_roots]

    def render(
        state: IncidentState, playbook: Playbook, communication: Communication, locale: str, now: dt.datetime
    ) -> RenderedDraft:
        name = choose_template(communication.template, locale, roots)
        context = notice_context(state, playbook, communication, locale, now)
        rendered = render_template(name, roots, context)
        text = with_exercise_banner(rendered.text, locale) if state.drill else rendered.text
        if communication.channel == "email":
            refuse_unsafe_subject(name, roots, context, text, communication.title)
        return RenderedDraft(text, rendered.template, rendered.template_sha256)

    return render
