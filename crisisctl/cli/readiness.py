"""`crisisctl readiness`: is every playbook drilled, reviewed, staffed and written in every locale it promises?"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.params import JsonFlag


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
    from crisisctl.incident.readiness import assess_playbooks
    from crisisctl.output.plain import print_json
    from crisisctl.output.readiness import readiness_payload, readiness_plain, readiness_table
    from crisisctl.render.templatecheck import TemplateChecker

    context = app_context(ctx)
    now, today = _moment(context, at)
    checker = TemplateChecker(context.settings.templates)
    results = assess_playbooks(
        context.log, paths or [context.settings.playbooks], now, today, checker.check, checker.lint_notices
    )
    if as_json:
        print_json(readiness_payload(results, now))
    elif not results:
        context.say("no playbooks to judge")
    else:
        waiting = sum(not result.ready for result in results)
        if sys.stdout.isatty():
            context.out.print(readiness_table(results))
            context.out.print(f"{len(results) - waiting} ready, {waiting} not ready")
        else:
            print(readiness_plain(results))
            print(f"{len(results) - waiting} ready, {waiting} not ready")
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
