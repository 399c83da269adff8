"""Running an incident: declare, incidents, show, next, step, assign, note, set, severity, resolve, close, timeline."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.completion import complete_input, complete_role, complete_step
from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.params import AtTime, ForceFlag, IncidentId, JsonFlag, PlaybookId, pairs
from crisisctl.cli.scope import DrillFlag, LiveFlag, drills_wanted, keep_apart, say_left_out

if TYPE_CHECKING:
    from crisisctl.incident.evidence import Attachment
    from crisisctl.incident.state import IncidentState

step_app = typer.Typer(
    help="Record progress on a step: start, done, skip, block.", no_args_is_help=True, rich_markup_mode=None
)


def _confirm(context: AppContext, state: "IncidentState", what: str) -> None:
    context.say(f"{state.id}: {what} (event {state.last_seq})")


def declare(
    ctx: typer.Context,
    playbook_id: PlaybookId,
    title: Annotated[str | None, typer.Option("--title", help="A short title (default: the playbook's).")] = None,
    severity: Annotated[
        str | None, typer.Option("--severity", help="Severity id (default: the playbook's most severe).")
    ] = None,
    drill: Annotated[bool, typer.Option("--drill", help="A rehearsal: kept apart from live figures.")] = False,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", metavar="NAME=VALUE", help="A fact for the playbook's inputs; repeat."),
    ] = None,
    assign: Annotated[
        list[str] | None, typer.Option("--assign", metavar="ROLE=PERSON", help="Who holds a role; repeat.")
    ] = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Declare an incident from a playbook; the playbook text is pinned in the log.

    Required inputs missing from --input are asked for at a terminal, and are an
    error (exit 2) when standard input is not one.

    \b
    Example: crisisctl declare service-outage --input affected_service=checkout \\
      --input customer_impact='customers cannot pay' --assign incident-lead=alice
    """
    from crisisctl.cli.declaring import declare_at_terminal, say_declared
    from crisisctl.incident.declaring import DeclareRequest
    from crisisctl.output.incidents import incident_summary_payload
    from crisisctl.output.plain import print_json

    context = app_context(ctx)
    request = DeclareRequest(
        playbook_id,
        title=title,
        severity=severity,
        drill=drill,
        inputs=pairs(inputs, "--input"),
        roles=pairs(assign, "--assign"),
        at=at,
    )
    state = declare_at_terminal(context, request)
    if as_json:
        print_json(incident_summary_payload(state))
    else:
        say_declared(context, state)


def incidents(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include closed incidents.")] = False,
    drill: DrillFlag = False,
    live: LiveFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """List incidents, newest first (open and resolved ones unless --all).

    Live incidents only: drills are listed with --drill, never mixed (as in stats);
    a line on standard error says how many were left out.

    Example: crisisctl incidents --drill --json
    """
    from crisisctl.output.plain import incident_plain_rows, incident_row_payload, plain_table, print_json

    wanted = drills_wanted(drill, live)
    context = app_context(ctx)
    # Without a flag, one query for both kinds (what the list index serves): the drills are counted, not listed.
    rows, left_out = keep_apart(context.log.incidents(include_closed=show_all, drill=wanted), wanted)
    if as_json:
        print_json([incident_row_payload(row) for row in rows])
        return
    if rows and not sys.stdout.isatty():
        print(plain_table(("id", "status", "severity", "playbook", "title", "declared"), incident_plain_rows(rows)))
    elif rows:
        from crisisctl.output.incidents import incidents_table

        context.out.print(incidents_table(rows))
    else:
        kind = "drills" if drill else "incidents"
        context.say(f"no {kind}" + ("" if show_all else " open (add --all to include closed ones)"))
    say_left_out(len(left_out), "incident", "incidents", "incidents")


def show(ctx: typer.Context, incident: IncidentId, as_json: JsonFlag = False) -> None:
    """Show an incident: roles and holders, steps with owners and deadlines, inputs.

    Example: crisisctl show INC-7
    """
    from crisisctl.incident.service import incident_now
    from crisisctl.output.plain import incident_plain, print_json
    from crisisctl.playbook.files import current_text

    context = app_context(ctx)
    state, playbook = context.service().load(incident)
    on_disk = current_text(context.settings.playbooks, playbook.id)
    moved_on = on_disk is not None and on_disk != playbook.text
    now = incident_now(state, context.now())
    if as_json:
        from crisisctl.output.incidents import incident_detail_payload

        print_json(incident_detail_payload(state, playbook, now, moved_on))
    elif not sys.stdout.isatty():
        print(incident_plain(state, playbook, now, moved_on))
    else:
        from crisisctl.output.incidents import incident_panel

        context.out.print(incident_panel(state, playbook, now, moved_on))


def next_steps_command(ctx: typer.Context, incident: IncidentId, as_json: JsonFlag = False) -> None:
    """The steps that can be worked on now, soonest due first.

    Example: crisisctl next INC-7
    """
    from crisisctl.incident.service import incident_now
    from crisisctl.incident.state import next_steps
    from crisisctl.output.plain import plain_table, print_json, step_rows

    context = app_context(ctx)
    state, playbook = context.service().load(incident)
    now = incident_now(state, context.now())
    ready = next_steps(state, playbook, now)
    if as_json:
        from crisisctl.output.incidents import step_payload

        print_json([step_payload(view) for view in ready])
    elif not ready:
        context.say(f"{state.id}: nothing can be started now (all done, blocked or waiting on other steps)")
    elif not sys.stdout.isatty():
        print(plain_table(("step", "status", "owner", "due", "what"), step_rows(ready, now)))
    else:
        from crisisctl.output.incidents import steps_table

        context.out.print(steps_table(ready, now, title=f"{state.id}: next steps"))


def _step_command(action: str, summary: str, example: str) -> None:
    note_help = "Why (required)." if action in ("skip", "block") else "A note recorded with the step."

    def command(
        ctx: typer.Context,
        incident: IncidentId,
        step: Annotated[str, typer.Argument(metavar="STEP", help="The step id.", autocompletion=complete_step)],
        note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help=note_help)] = None,
        at: AtTime = None,
        force: ForceFlag = False,
    ) -> None:
        context = app_context(ctx)
        state = context.service().step(incident, step, action, note=note, force=force, at=at)
        record = state.steps[step]
        _confirm(context, state, f"step {step} {record.status}{' (forced)' if record.forced else ''}")

    command.__doc__ = f"{summary}\n\nExample: {example}"
    step_app.command(action)(command)


_step_command("start", "Mark a step in progress.", "crisisctl step start INC-7 confirm-breach")
_step_command(
    "done",
    "Mark a step done; refused while its dependencies are open, unless --force.",
    "crisisctl step done INC-7 confirm-breach --note 'export bucket readable without login'",
)
_step_command(
    "skip", "Skip a step, saying why (--note).", "crisisctl step skip INC-7 notify-regulator --note 'no EU data'"
)
_step_command(
    "block",
    "Mark a step blocked, saying why (--note).",
    "crisisctl step block INC-7 scope-breach --note 'waiting for the vendor logs'",
)


def assign_command(
    ctx: typer.Context,
    incident: IncidentId,
    role: Annotated[str, typer.Argument(metavar="ROLE", help="The role id.", autocompletion=complete_role)],
    person: Annotated[str, typer.Argument(metavar="PERSON", help="Who takes the role.")],
    handover: Annotated[
        str | None,
        typer.Option("--handover", metavar="NOTE", help="A handover from the current holder: what PERSON must know."),
    ] = None,
    at: AtTime = None,
) -> None:
    """Give a role to a person; --handover records the handover from its holder.

    Example: crisisctl assign INC-7 incident-lead carol --handover 'vendor call at 14:00; legal has the draft'
    """
    from crisisctl.cli.people import roster_warnings

    context = app_context(ctx)
    warn = roster_warnings(context)
    state = context.service().assign(incident, role, person, handover=handover, at=at)
    _confirm(context, state, f"{person} holds {role}" + (" (handover recorded)" if handover is not None else ""))
    warn([person])


def unassign_command(
    ctx: typer.Context,
    incident: IncidentId,
    role: Annotated[str, typer.Argument(metavar="ROLE", help="The role id.", autocompletion=complete_role)],
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Why, for the record.")] = None,
    at: AtTime = None,
) -> None:
    """Leave a role empty; a required role then shows as unfilled.

    Example: crisisctl unassign INC-7 legal --note 'Dana off shift; nobody covering until 08:00'
    """
    context = app_context(ctx)
    state = context.service().unassign(incident, role, note=note, at=at)
    _confirm(context, state, f"{role} is unfilled")


def note_command(
    ctx: typer.Context,
    incident: IncidentId,
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT",
            help="The note, or - for standard input; start with `lesson:` or `action:` for the post-mortem.",
        ),
    ],
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", metavar="PATH", help="Attach a file (up to 20 MiB; a copy is kept); repeat."),
    ] = None,
    links: Annotated[
        list[str] | None, typer.Option("--link", metavar="URL", help="An http(s) link to add; repeat.")
    ] = None,
    at: AtTime = None,
) -> None:
    """Add a note to the timeline, with attached files and links.

    An attached file's name, sha256 and size are recorded in the log; its bytes
    are copied to a private folder beside the log (LOG.evidence/INCIDENT/SHA256).

    Example: crisisctl note INC-7 'CDN provider confirms the misconfiguration' --file cdn-ticket.pdf --at -10m
    """
    from crisisctl.incident.evidence import check_link, note_from_stream, read_attachment
    from crisisctl.store.evidence import EvidenceFolder

    context = app_context(ctx)
    checked = [check_link(link) for link in links or []]
    attachments = [read_attachment(path) for path in files or []]
    if text == "-":
        text = note_from_stream(sys.stdin.buffer)

    def keep(incident_id: str, attachment: "Attachment") -> None:
        # Only with a file: naming a team log's local folder costs the psycopg import an agent saves.
        EvidenceFolder.beside(context.settings.db).keep(incident_id, attachment.sha256, attachment.payload)

    state = context.service().note(incident, text, links=checked, attachments=attachments, keep=keep, at=at)
    extras = [f"{len(attachments)} file(s) attached"] if attachments else []
    extras += [f"{len(checked)} link(s)"] if checked else []
    _confirm(context, state, "note added" + (f" ({', '.join(extras)})" if extras else ""))


def set_command(
    ctx: typer.Context,
    incident: IncidentId,
    facts: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME=VALUE...",
            help="The input and its new value; several may be given.",
            autocompletion=complete_input,
        ),
    ],
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Why it changed, for the record.")] = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a fact: record a new value of an input.

    The value is read by the input's declared type, as with declare --input.
    Templates, `when` conditions, reports and show use the latest value; show and
    the post-mortem list every change. A step whose `when` now holds becomes
    applicable, its deadline counted from the stated time of the change. Setting
    the value an input already has is refused (exit 1); so is a closed incident.

    Example: crisisctl set INC-7 affected_records=12614 --note 'reconciliation run 2'
    """
    from crisisctl.incident.describe import value_text
    from crisisctl.output.plain import print_json
    from crisisctl.timezones import shown

    context = app_context(ctx)
    recorded = context.service().set_inputs(incident, pairs(facts, "set"), note=note, at=at)
    if as_json:
        from crisisctl.output.incidents import facts_payload

        print_json(facts_payload(recorded))
        return
    for change in recorded.changes:
        words = f"{change.input} {value_text(change.previous)} -> {value_text(change.value)}"
        context.say(f"{recorded.state.id}: {words} (event {change.seq})")
    for view in recorded.now_applicable:
        context.say(f"  step {view.step.id} now applies" + (f", due {shown(view.due_at)}" if view.due_at else ""))
    for view in recorded.no_longer_applicable:
        stays = f" (it stays {view.status})" if view.status in ("done", "skipped") else ""
        context.say(f"  step {view.step.id} no longer applies{stays}")


def severity_command(
    ctx: typer.Context,
    incident: IncidentId,
    level: Annotated[str, typer.Argument(metavar="LEVEL", help="A severity id of the playbook, e.g. sev2.")],
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="Why the severity changes (required).")],
    at: AtTime = None,
) -> None:
    """Change the severity, saying why.

    Example: crisisctl severity INC-7 sev1 --note 'regulator involved'
    """
    context = app_context(ctx)
    state = context.service().change_severity(incident, level, note=note, at=at)
    _confirm(context, state, f"severity now {state.severity}")


def resolve_command(
    ctx: typer.Context,
    incident: IncidentId,
    summary: Annotated[
        str | None, typer.Option("--summary", metavar="TEXT", help="What was done, for the record.")
    ] = None,
    at: AtTime = None,
) -> None:
    """Mark the incident resolved (customers no longer affected).

    Example: crisisctl resolve INC-7 --summary 'endpoint closed, customers notified'
    """
    context = app_context(ctx)
    state = context.service().resolve(incident, summary=summary, at=at)
    _confirm(context, state, "resolved")


def close_command(ctx: typer.Context, incident: IncidentId, at: AtTime = None, force: ForceFlag = False) -> None:
    """Close a resolved incident; refused while applicable steps are open, unless --force.

    Example: crisisctl close INC-7
    """
    context = app_context(ctx)
    state = context.service().close(incident, force=force, at=at)
    _confirm(context, state, "closed" + (" (forced)" if force else ""))


def timeline_command(ctx: typer.Context, incident: IncidentId, as_json: JsonFlag = False) -> None:
    """Every event of the incident, oldest first by stated time.

    Example: crisisctl timeline INC-7 --json
    """
    from crisisctl.incident.ids import normalise_incident_id, unknown_incident
    from crisisctl.output.plain import print_json

    context = app_context(ctx)
    incident_id = normalise_incident_id(incident)
    history = context.log.events_of(incident_id)  # the events alone: no playbook needed
    if not history:
        raise unknown_incident(incident_id, context.log.incident_ids(newest=2000))
    events = sorted(history, key=lambda event: (event.at, event.seq))
    if as_json:
        print_json([event.as_record() for event in events])
    elif not sys.stdout.isatty():
        from crisisctl.output.plain import plain_table, timeline_rows

        print(plain_table(("seq", "at", "who", "what"), timeline_rows(events)))
    else:
        from crisisctl.output.incidents import timeline_table

        context.out.print(timeline_table(events))


def run(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Argument(metavar="[PLAYBOOK|INCIDENT]", help="A playbook to declare, or an incident to resume."),
    ] = None,
    signals: Annotated[
        Path | None, typer.Option("--signals", metavar="FILE", help="Offer the playbooks whose triggers fire.")
    ] = None,
) -> None:
    """A guided walk through an incident: no flags to remember, every answer saved at once.

    Without an argument it offers the playbooks (or, with --signals, those whose
    triggers fire) and the open incidents. Ctrl-C leaves; running it again resumes.

    Example: crisisctl run data-leak
    """
    from crisisctl.cli.guided import guided_run

    guided_run(app_context(ctx), target, signals)


def watch(
    ctx: typer.Context,
    incident: IncidentId,
    events: Annotated[int, typer.Option("--events", min=1, max=50, help="How many recent events to show.")] = 6,
    notify: Annotated[
        bool,
        typer.Option("--notify", help="Also tell the team what falls due, as `remind` does (every 10 s)."),
    ] = False,
) -> None:
    """A live dashboard of one incident: steps and countdowns, roles, notices, the latest events.

    It updates within a second when anyone records anything, and never blocks them.
    With --notify, it also tells the configured notification targets what the team
    should know (each thing once, shared with any `remind` run).

    Example: crisisctl watch INC-7 --notify
    """
    from crisisctl.cli.watch import watch_incident

    watch_incident(app_context(ctx), incident, events, notify)
