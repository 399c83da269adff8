"""`crisisctl playbook new`: the category's playbook laid out by scaffolds/playbook.yaml.j2, and its notices."""

from __future__ import annotations

import datetime as dt
import posixpath
from pathlib import Path
from typing import Any

from crisisctl.authoring.answers import (
    PlaybookRequest,
    category_problem,
    playbook_ids,
    slug_problem,
    taken_problem,
    text_problem,
)
from crisisctl.authoring.files import NewFile, write_new_files
from crisisctl.authoring.locales import LOCALISED_AUDIENCES, NOTICES, localised_templates, notice_locales
from crisisctl.authoring.repository import PLAYBOOK_SCHEMA
from crisisctl.authoring.scaffold import category_plan, in_field_order
from crisisctl.authoring.skeletons import render
from crisisctl.authoring.yamlout import Flow
from crisisctl.errors import RefusedError, UsageError
from crisisctl.playbook.vocabulary import PHASES

# playbook new has no --force (it never overwrites): what the author can do instead
_EXISTING_HINT = "pass another --id, or move them out of the way; nothing was written"


def new_playbook(request: PlaybookRequest, playbooks: Path, templates: Path, today: dt.date) -> list[Path]:
    """Write the playbook and its templates; refuse if any file exists or the answers do not fit."""
    for problem, flag in (
        (category_problem(request.category), "--category"),
        (slug_problem(request.playbook_id), "--id"),
        (text_problem(request.title, "title") if request.title is not None else None, "--title"),
        (text_problem(request.owner, "owner") if request.owner is not None else None, "--owner"),
    ):
        if problem:
            raise UsageError(problem, f"pass another {flag}")
    notice_locales(request.locales)  # refuses a malformed --locale before anything is written
    taken = taken_problem(request.playbook_id, playbook_ids(playbooks))
    if taken:
        raise RefusedError(taken, "pass another --id; nothing was written")
    schema = playbooks.parent / str(PLAYBOOK_SCHEMA)
    schema_ref = posixpath.relpath(schema.resolve().as_posix(), playbooks.resolve().as_posix())
    text = playbook_text(request, today, schema_ref if schema.is_file() else None)
    files = [NewFile(playbooks / f"{request.playbook_id}.yaml", text)]
    files += [NewFile(templates / name, body) for name, body in playbook_templates(request).items()]
    return write_new_files(files, existing_hint=_EXISTING_HINT)


def playbook_text(request: PlaybookRequest, today: dt.date, schema: str | None) -> str:
    """The commented YAML of a new playbook for the request's category."""
    plan = category_plan(request.category)
    return render(
        "playbook.yaml.j2",
        {
            **plan,
            "schema": schema,
            "category": request.category,
            "playbook_id": request.playbook_id,
            "title": request.title or plan["title"],
            "owner": request.owner,
            "today": today.isoformat(),
            "phases": [(phase, [step for step in plan["steps"] if step["phase"] == phase]) for phase in PHASES],
            "communications": [_as_written(comm, request) for comm in plan["communications"]],
        },
    )


def _as_written(comm: dict[str, Any], request: PlaybookRequest) -> dict[str, Any]:
    """A communication as the playbook names it: its template in the playbook's folder, its locales if any."""
    written = {**comm, "template": f"{request.playbook_id}/{comm['template']}"}
    if _localised(comm, request):
        written["locales"] = Flow(notice_locales(request.locales))
    return in_field_order(written)


def playbook_templates(request: PlaybookRequest) -> dict[str, str]:
    """The new playbook's templates, by name relative to the template folder."""
    plan = category_plan(request.category)
    files: dict[str, str] = {}
    for comm in plan["communications"]:
        english = render(f"{NOTICES}/{comm['template']}", {"notice": plan.get("notice", {})})
        own = {comm["template"]: english}
        if _localised(comm, request):
            own = localised_templates(comm["template"], english, notice_locales(request.locales))
        files |= {f"{request.playbook_id}/{name}": body for name, body in own.items()}
    return files


def _localised(comm: dict[str, Any], request: PlaybookRequest) -> bool:
    return comm["audience"] in LOCALISED_AUDIENCES and bool(notice_locales(request.locales))
