"""The log itself: verify the hash chain, show where it is, back it up."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.params import JsonFlag
from crisisctl.errors import ExitCode

if TYPE_CHECKING:
    from crisisctl.delivery.audit import DeliveryFindings

db_app = typer.Typer(
    help="Where the log is, and consistent backups of it.", no_args_is_help=True, rich_markup_mode=None
)


def verify_command(
    ctx: typer.Context,
    incident: Annotated[
        str | None, typer.Argument(metavar="[INCIDENT]", help="Also count this incident's events.")
    ] = None,
    anchor: Annotated[
        str | None, typer.Option("--anchor", metavar="SEQ:HASH", help="An anchor kept outside the log.")
    ] = None,
    anchor_file: Annotated[
        Path | None,
        typer.Option(
            "--anchor-file", metavar="FILE", help="Anchors kept outside the log, as --save-anchors writes them."
        ),
    ] = None,
    save_anchors: Annotated[
        Path | None,
        typer.Option(
            "--save-anchors",
            metavar="FILE",
            help="Once the log verifies, write the anchor of every event to FILE (checked against it first).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check that no recorded event was altered, removed or reordered; exit 1 naming the first bad one.

    The whole log is one hash chain, so the whole log is checked, along with its
    schema and the incident list. The anchor printed at the end (SEQ:HASH of the
    newest event) can be pasted into a ticket or a commit; `--anchor` later proves
    nothing up to it was cut off or rewritten. A rewrite that recomputes every hash
    after a change shows only at the anchor; to name the first event that changed,
    keep every event's anchor: `--save-anchors FILE` writes them (to a place those
    who can write the log cannot reach), `--anchor-file FILE` checks them.

    Example: crisisctl verify --anchor 1200:sha256:3f1c...
    """
    from crisisctl.output.plain import print_json
    from crisisctl.store.anchors import write_anchors

    context = app_context(ctx)
    anchors = _anchors(anchor, anchor_file, save_anchors)
    incident_events = None
    if incident is not None:
        state, _ = context.service().load(incident)
        incident_events = len(state.events)
    from crisisctl.incident.listing import INCIDENT_LIST_RULE
    from crisisctl.incident.service import playbook_data_json

    saved: list[int] = []

    def keep(hashes: Iterator[tuple[int, str]]) -> None:
        assert save_anchors is not None
        saved.append(write_anchors(save_anchors, hashes, context.settings.db_name))

    result = context.log.verify(
        playbook_data_json, anchors, INCIDENT_LIST_RULE, keep if save_anchors is not None else None
    )
    from crisisctl.delivery.audit import DeliveryFindings, delivery_findings
    from crisisctl.store.evidence import missing_copies

    # Only on a sound chain: the warnings read events' data, which a failed chain may have made unreadable.
    findings = delivery_findings(context.log, context.settings.db) if result.ok else DeliveryFindings([], [])
    missing = missing_copies(context.log, context.settings.db) if result.ok else []
    if as_json:
        payload = {
            "ok": result.ok,
            "events": result.events,
            "anchor": result.anchor,
            "first_bad_seq": result.first_bad_seq,
            "reason": result.reason or None,
            "incident": result.incident,
            "anchors_saved": saved[0] if saved else None,
            "unsettled_deliveries": findings.unsettled,
            "unknown_outbox_files": findings.unknown_files,
            "missing_evidence": missing,
        }
        if incident_events is not None:
            payload["incident_events"] = incident_events
        print_json(payload)
    elif result.ok:
        context.out.print(f"ok: {result.events} event(s), chain intact")
        context.out.print(f"anchor: {result.anchor}")
        if saved:
            context.out.print(f"anchors of {saved[0]} event(s) saved to {save_anchors}")
    else:
        context.err.print(
            f"crisisctl: log verification FAILED{_where(result.first_bad_seq)}: {result.reason}", style="bold red"
        )
    if not as_json:
        _warn_about_deliveries(context, findings)
        for file in missing:
            context.say(
                f"warning: {file['incident']} event {file['seq']}: the copy of the attached file {file['name']} "
                f"(sha256 {file['sha256'][:12]}) is missing or altered; the log's digest still stands"
            )
    if not result.ok:
        raise typer.Exit(int(ExitCode.NO))


def _warn_about_deliveries(context: AppContext, findings: DeliveryFindings) -> None:
    """Not tampering, but loose ends the log's keepers must know about; they do not change the exit code."""
    for open_one in findings.unsettled:
        what = open_one["communication"] + (f" ({open_one['locale']})" if open_one["locale"] else "")
        context.say(
            f"warning: {open_one['incident']} {what}: delivery {open_one['delivery_id'][:12]} (event "
            f"{open_one['seq']}) has no recorded outcome; settle it: crisisctl comms reconcile {open_one['incident']}"
        )
    for path in findings.unknown_files:
        context.say(f"warning: the outbox holds {path}, which no event of the log names")


def _anchors(anchor: str | None, anchor_file: Path | None, save_anchors: Path | None) -> Iterator[tuple[int, str]]:
    """Every anchor to check, oldest first: the pasted one, the file's, and those already in the file to be
    rewritten (a log that contradicts them must not replace them)."""
    from crisisctl.store.anchors import parse_anchor, read_anchors

    sources: list[Iterable[tuple[int, str]]] = [[parse_anchor(anchor)]] if anchor else []
    for path in (anchor_file, save_anchors):
        if path is not None and (path is anchor_file or path.exists()):
            sources.append(read_anchors(path))
    return heapq.merge(*sources)


def _where(seq: int | None) -> str:
    return f" at event {seq}" if seq is not None else ""


@db_app.command("path")
def db_path_command(ctx: typer.Context) -> None:
    """Print the path of the incident log.

    Example: crisisctl db path
    """
    print(app_context(ctx).settings.db_name)


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
    context.out.print(f"backed up {context.settings.db_name} to {destination}")


@db_app.command("copy")
def db_copy_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SRC", help="The log to copy: a SQLite file or a DSN.")],
    destination: Annotated[
        str, typer.Argument(metavar="DST", help="An empty log: a new SQLite file or an empty PostgreSQL database.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Copy a whole log to another store, with its chain intact: a laptop's log to the team log, and back.

    Every event keeps its seq, fields and hashes, so anchors saved from SRC
    (`verify --save-anchors`) check DST too; pinned playbooks and the incident
    list come along. SRC is verified first (exit 1 if it fails), DST must be
    empty (exit 2 if not), and DST is verified against SRC's newest anchor after.
    --db is not used. The outbox's files stay where they are.

    Example: crisisctl db copy ~/.local/share/crisisctl/incidents.sqlite3 postgresql://owner@db.example/crisis
    """
    from crisisctl.errors import RefusedError
    from crisisctl.incident.listing import INCIDENT_LIST_RULE
    from crisisctl.incident.service import playbook_data_json
    from crisisctl.output.plain import print_json
    from crisisctl.store.copying import copy_rows
    from crisisctl.store.opening import open_log

    from_log, to_log = open_log(source), open_log(destination)
    try:
        checked = from_log.verify(playbook_data_json, (), INCIDENT_LIST_RULE)
        if not checked.ok:
            raise RefusedError(
                f"{from_log.name} fails verification{_where(checked.first_bad_seq)}: {checked.reason}",
                "nothing was copied; see `crisisctl verify`",
            )
        copied = copy_rows(from_log, to_log)
        result = to_log.verify(playbook_data_json, [copied.newest] if copied.newest else (), INCIDENT_LIST_RULE)
        if not result.ok or result.events != copied.rows["events"]:
            raise RefusedError(
                f"the copy {to_log.name} fails verification{_where(result.first_bad_seq)}: {result.reason}",
                "keep it as evidence and report it; the source is unchanged",
            )
    finally:
        from_log.close()
        to_log.close()
    events, incidents, playbooks = copied.rows["events"], copied.rows["incidents"], copied.rows["playbook_snapshots"]
    if as_json:
        print_json(
            {
                "source": from_log.name,
                "destination": to_log.name,
                "events": events,
                "incidents": incidents,
                "playbooks": playbooks,
                "anchor": result.anchor,
                "verified": True,
            }
        )
        return
    say = app_context(ctx).say
    say(f"copied {events} event(s), {incidents} incident(s), {playbooks} pinned playbook(s)")
    say(f"  from {from_log.name}")
    say(f"  to   {to_log.name}")
    say(f"verified: anchor {result.anchor}" if result.anchor else "verified: the log is empty")


@db_app.command("init-team")
def db_init_team_command(
    ctx: typer.Context,
    apply: Annotated[
        bool, typer.Option("--apply", help="Run the SQL on the PostgreSQL log named by --db, as its owner.")
    ] = False,
) -> None:
    """Print the SQL that makes a crisisctl_writer role, which may only read the log and add to it.

    Review it, then run it with --apply (connected as the log's owner), and give each
    person a login in that role, so each event records who signed in (db_user).

    Example: crisisctl --db postgresql://owner@db.example/crisis db init-team --apply
    """
    from crisisctl.dsn import is_postgres
    from crisisctl.errors import UsageError

    context = app_context(ctx)
    if apply and not is_postgres(context.settings.db_target):
        raise UsageError("--apply needs a PostgreSQL log", "pass --db postgresql://OWNER@HOST/DATABASE")
    if not apply:
        from crisisctl.store.postgres.roles import TEAM_SQL

        print(TEAM_SQL, end="")
        return
    from crisisctl.store.postgres.team import apply_team_roles

    apply_team_roles(context.settings.db_target)
    context.out.print(f"crisisctl_writer is ready on {context.settings.db_name}")
