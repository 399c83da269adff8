"""The log itself: verify the hash chain, show where it is, back it up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from crisisctl.cli.context import app_context
from crisisctl.cli.params import JsonFlag
from crisisctl.errors import ExitCode, UsageError

db_app = typer.Typer(
    help="Where the log is, and consistent backups of it.", no_args_is_help=True, rich_markup_mode=None
)

_ANCHOR = re.compile(r"([0-9]+):(sha256:[0-9a-f]{64})")


def parse_anchor(text: str) -> tuple[int, str]:
    match = _ANCHOR.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"`{text}` is not an anchor", "paste it as printed by `crisisctl verify`: SEQ:sha256:HEX")
    return int(match.group(1)), match.group(2)


def verify_command(
    ctx: typer.Context,
    incident: Annotated[
        str | None, typer.Argument(metavar="[INCIDENT]", help="Also count this incident's events.")
    ] = None,
    anchor: Annotated[
        str | None, typer.Option("--anchor", metavar="SEQ:HASH", help="An anchor kept outside the log.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check that no recorded event was altered, removed or reordered; exit 1 naming the first bad one.

    The whole log is one hash chain, so the whole log is checked. The anchor
    printed at the end (SEQ:HASH of the newest event) can be pasted into a ticket
    or a commit; `--anchor` later proves nothing up to it was cut off or rewritten.

    Example: crisisctl verify --anchor 1200:sha256:3f1c...
    """
    from crisisctl.output.plain import print_json

    context = app_context(ctx)
    expected = parse_anchor(anchor) if anchor else None
    incident_events = None
    if incident is not None:
        state, _ = context.service().load(incident)
        incident_events = len(state.events)
    from crisisctl.incident.listing import INCIDENT_LIST_RULE
    from crisisctl.incident.service import playbook_data_json

    result = context.log.verify(playbook_data_json, expected, INCIDENT_LIST_RULE)
    if as_json:
        payload = {
            "ok": result.ok,
            "events": result.events,
            "anchor": result.anchor,
            "first_bad_seq": result.first_bad_seq,
            "reason": result.reason or None,
            "incident": result.incident,
        }
        if incident_events is not None:
            payload["incident_events"] = incident_events
        print_json(payload)
    elif result.ok:
        context.out.print(f"ok: {result.events} event(s), chain intact")
        context.out.print(f"anchor: {result.anchor}")
    else:
        context.err.print(
            f"crisisctl: log verification FAILED{_where(result.first_bad_seq)}: {result.reason}", style="bold red"
        )
    if not result.ok:
        raise typer.Exit(int(ExitCode.NO))


def _where(seq: int | None) -> str:
    return f" at event {seq}" if seq is not None else ""


@db_app.command("path")
def db_path_command(ctx: typer.Context) -> None:
    """Print the path of the incident log.

    Example: crisisctl db path
    """
    print(app_context(ctx).settings.db)


@db_app.command("backup")
def db_backup_command(
    ctx: typer.Context,
    destination: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the copy (must not exist).")],
) -> None:
    """Write a consistent copy of the log, safe while others are recording.

    Example: crisisctl db backup incidents-2026-11-25.sqlite3
    """
    context = app_context(ctx)
    context.log.backup(destination)
    context.out.print(f"backed up {context.settings.db} to {destination}")
