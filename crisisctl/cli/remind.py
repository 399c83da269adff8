"""`crisisctl remind`: tell the team through its notification targets, each thing once (docs/communications.md)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.params import JsonFlag
from crisisctl.errors import LogError

if TYPE_CHECKING:
    from crisisctl.incident.notifier import Told


def told_line(told: Told) -> str:
    words = {"sent": "told", "failed": "FAILED", "unknown": "outcome unknown"}[told.status]
    return f"{told.incident}: {told.kind} -> {told.target}: {words}: {told.title} ({told.detail})"


def remind_command(
    ctx: typer.Context,
    incidents: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[INCIDENT]...",
            help="Only these incidents (default: every open one, and closed ones with follow-up work).",
        ),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit: for cron or a systemd timer.")] = False,
    interval: Annotated[
        int, typer.Option("--interval", min=5, max=3600, help="Seconds between passes without --once.")
    ] = 60,
    as_json: JsonFlag = False,
) -> None:
    """Tell the team what is due: declared, severity, roles, approvals, steps due or overdue, resolved.

    Follow-up steps (`after: resolved`) are told when due, also after the close.

    Each notification goes to each configured target once: the intent is recorded in
    the log before it is posted, so two `remind` runs (or a run and `watch --notify`)
    never send it twice. A failed post is tried again by the next pass; one whose
    outcome is unknown (a timeout) is not repeated. Without --once it runs until
    Ctrl-C. Exit 1 when a post failed or its outcome is unknown (with --once).

    Example: crisisctl remind --once
    """
    from crisisctl.cli.wiring import team_notifier

    context = app_context(ctx)
    notifier = team_notifier(context)
    while True:
        try:
            chosen = incidents or notifier.incidents_to_watch()
            told = notifier.run(chosen, context.now())
        except LogError as error:
            if once:
                raise
            context.err.print(f"crisisctl: {error.message}; trying again in {interval} s")  # a busy or lost log
            told = []
        _report(context, told, as_json)
        if once:
            if any(item.status != "sent" for item in told):
                from crisisctl.errors import ExitCode

                raise typer.Exit(int(ExitCode.NO))
            return
        time.sleep(interval)


def _report(context: AppContext, told: list[Told], as_json: bool) -> None:
    if as_json:
        from crisisctl.output.plain import print_json

        print_json([item.as_record() for item in told])
        return
    for item in told:
        context.say(told_line(item))
