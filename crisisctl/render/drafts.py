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


def refuse_unsafe_subject(name: str, roots: Sequence[Path], context: dict[str, Any], fallback: str) -> None:
    """The subject must stay one clean header line: the template's `Subject:` line is rendered on its
    own (a line break in a value would otherwise just move text into the body); without one, the
    communication's title is the subject."""
    from crisisctl.delivery.outbox import header_problem

    path = resolve_template(name, roots)
    first_line = path.read_text(encoding="utf-8").split("\n", 1)[0] if path else ""
    if first_line.startswith("Subject:"):
        subject = make_environment(roots).from_string(first_line).render(context).removeprefix("Subject:")
    else:
        subject = fallback
    problem = header_problem(subject)
    if problem is not None:
        raise RenderError(
            f"the subject of {name} would contain {problem}, which could inject or break e-mail headers",
            "remove line breaks and control characters from the values it uses (title, inputs)",
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
            refuse_unsafe_subject(name, roots, context, communication.title)
        return RenderedDraft(rendered.text, rendered.template, rendered.template_sha256)

    return render
