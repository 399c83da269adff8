"""What `crisisctl playbook new` asks and writes: a commented playbook for a category, asked for at a terminal or
given by flags."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from crisisctl.cli.context import AppContext
from crisisctl.errors import UsageError

if TYPE_CHECKING:
    from crisisctl.authoring.answers import PlaybookRequest


def write_new_playbook(
    context: AppContext,
    category: str | None,
    playbook_id: str | None,
    title: str | None,
    owner: str | None,
    locales: list[str] | None,
    as_json: bool,
) -> None:
    """`playbook new`: the request from the flags and, at a terminal, the author's answers; the files written, and
    what to do next."""
    from msgspec.structs import replace

    from crisisctl.authoring.new import new_playbook
    from crisisctl.output.plain import print_json
    from crisisctl.safetext import inert

    request = replace(_request(context, category, playbook_id, title, owner), locales=tuple(locales or ()))
    written = new_playbook(request, context.settings.playbooks, context.settings.templates, context.today())
    if as_json:
        print_json(
            {"id": request.playbook_id, "category": request.category, "files": [str(path) for path in written]},
        )
        return
    for path in written:
        context.out.print(f"wrote {inert(str(path), keep_newlines=False)}")
    context.out.print(f"next: adapt it, then run {inert(_validate_command(context), keep_newlines=False)}")


def _request(
    context: AppContext, category: str | None, playbook_id: str | None, title: str | None, owner: str | None
) -> PlaybookRequest:
    """The author's answers: from the flags, and at a terminal by asking for the rest."""
    from crisisctl.authoring.answers import PlaybookRequest, category_problem

    if category is not None and (problem := category_problem(category)):
        raise UsageError(problem, "pass another --category")
    missing = [flag for flag, value in (("--category", category), ("--id", playbook_id)) if value is None]
    if missing and not context.stdin_is_tty:
        raise UsageError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} needed",
            "pass --category CATEGORY --id ID (standard input is not a terminal, so crisisctl cannot ask)",
        )
    if not context.stdin_is_tty:
        assert category is not None and playbook_id is not None
        return PlaybookRequest(category, playbook_id, title, owner)
    return _ask(context.settings.playbooks, category, playbook_id, title, owner)


def _ask(
    playbooks: Path, category: str | None, playbook_id: str | None, title: str | None, owner: str | None
) -> PlaybookRequest:
    """The wizard: each answer passes the same checks as the flag it stands for."""
    import questionary

    from crisisctl.authoring.answers import (
        PlaybookRequest,
        category_summary,
        default_title,
        id_problem,
        playbook_ids,
        suggested_id,
        text_problem,
    )
    from crisisctl.playbook.vocabulary import CATEGORIES

    if category is None:
        choices = [questionary.Choice(name, value=name, description=category_summary(name)) for name in CATEGORIES]
        category = _answer(questionary.select("What kind of crisis is the playbook for?", choices=choices))
    if playbook_id is None:
        used = playbook_ids(playbooks)
        playbook_id = _answer(
            questionary.text(
                "Playbook id (lower-case, digits, hyphens; also the file name):",
                default=suggested_id(category, used),
                validate=lambda text: id_problem(text, used) or True,
            )
        )
    if title is None:
        title = _answer(
            questionary.text(
                "Title:", default=default_title(category), validate=lambda text: text_problem(text, "title") or True
            )
        )
    if owner is None:
        owner = _answer(
            questionary.text(
                "Owner, who keeps it up to date (a team or an address; empty for none):",
                validate=lambda text: not text or text_problem(text, "owner") or True,
            )
        )
    return PlaybookRequest(category, playbook_id, title.strip(), owner.strip() or None)


def _answer(question: Any) -> str:
    answer = question.ask()
    if answer is None:  # Ctrl-C: questionary swallows it and answers None
        raise KeyboardInterrupt
    assert isinstance(answer, str)
    return answer


def _validate_command(context: AppContext) -> str:
    """The validate command for the folders this playbook was written to."""
    import shlex

    flags = ""
    if context.settings.playbooks != Path("playbooks"):
        flags += f" --playbooks {shlex.quote(str(context.settings.playbooks))}"
    if context.settings.templates != Path("templates"):
        flags += f" --templates {shlex.quote(str(context.settings.templates))}"
    return f"crisisctl{flags} playbook validate"
