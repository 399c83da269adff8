"""`crisisctl readiness`: is every playbook drilled, reviewed, staffed and written in every locale it promises?"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.params import JsonFlag

if TYPE_CHECKING:
    from crisisctl.playbook.readiness import Readiness
    from crisisctl.playbook.roster import Roster


def readiness_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Playbook files or folders (default: the playbook folder).", show_default=False),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="TIME", help="Judge readiness at this time instead of now (ISO 8601 or -15m)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check that every playbook is ready for a real crisis; exit 1 naming what is not.

    A playbook is not ready when its drill is overdue (`drill.every`, counted
    from the newest drill in the log held by the time judged, or
    `drill.last_drilled`; never drilled counts), its review is overdue
    (`review.every` from `review.last_reviewed`), one of those dates lies
    after the day judged (a typo: not counted), a required role has fewer than
    two people trained for it in the roster (people.yaml beside the
    playbooks), or a communication lists a locale that has no template of its
    own. Each finding says what to do. For CI: the log
    is read if it exists, never created.

    Example: crisisctl readiness --json
    """
    from crisisctl.errors import ExitCode
    from crisisctl.output.plain import print_json
    from crisisctl.output.readiness import readiness_payload, readiness_table

    context = app_context(ctx)
    now, today = _moment(context, at)
    results = assess_playbooks(context, paths or [context.settings.playbooks], now, today)
    if as_json:
        print_json(readiness_payload(results, now))
    elif not results:
        context.say("no playbooks to judge")
    else:
        context.out.print(readiness_table(results))
        waiting = sum(not result.ready for result in results)
        context.out.print(f"{len(results) - waiting} ready, {waiting} not ready")
    if any(not result.ready for result in results):
        raise typer.Exit(int(ExitCode.NO))


def _moment(context: AppContext, at: str | None) -> tuple[dt.datetime, dt.date]:
    """Now and today, or the time --at names and its date in the display zone."""
    if at is None:
        return context.now(), context.today()
    from crisisctl.clock import parse_at
    from crisisctl.timezones import display_zone

    moment = parse_at(at, context.now(), None)
    return moment, moment.astimezone(display_zone()).date()


def assess_playbooks(context: AppContext, paths: list[Path], now: dt.datetime, today: dt.date) -> list[Readiness]:
    """Each playbook file's readiness; an invalid file is not ready, for that reason alone."""
    from crisisctl.incident.drills import last_drills
    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover
    from crisisctl.playbook.readiness import Finding, Readiness, assess
    from crisisctl.render.templatecheck import TemplateChecker

    checker = TemplateChecker(context.settings.templates)
    report = validate_files(discover(paths), today, checker.check, notice_lint=checker.lint_notices)
    drills = last_drills(context.log, now)  # a drill held after the judged time is not known then
    rosters: dict[Path, Roster | None] = {}
    results = []
    for result in report.results:
        folder = Path(result.file).parent
        if result.playbook is None:
            invalid = Finding(
                "invalid",
                f"not a valid playbook ({len(result.problems)} problem(s))",
                f"fix it first: crisisctl playbook validate {result.file}",
            )
            results.append(Readiness(result.playbook_id or result.file, result.file, findings=[invalid]))
            continue
        playbook = result.playbook
        untranslated = [warning for warning in result.warnings if warning.rule == "notice-locale-missing"]
        results.append(assess(playbook, drills.get(playbook.id), _roster(rosters, folder), untranslated, now, today))
    return results


def _roster(rosters: dict[Path, Roster | None], folder: Path) -> Roster | None:
    from crisisctl.playbook.roster import load_roster

    if folder not in rosters:
        rosters[folder] = load_roster(folder)
    return rosters[folder]
