"""`crisisctl action add|done|list`: follow-up work with owners and due dates, open after the incident closes."""

import sys
from typing import Annotated

import typer

from crisisctl.cli.context import app_context
from crisisctl.cli.params import AtTime, IncidentId, JsonFlag
from crisisctl.cli.scope import DrillFlag, LiveFlag, chosen_incidents, say_left_out

action_app = typer.Typer(
    help="Action items: add, done, list; they stay open after the incident is closed.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@action_app.command("add")
def add_command(
    ctx: typer.Context,
    incident: IncidentId,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="What must be done.")],
    owner: Annotated[str | None, typer.Option("--owner", metavar="PERSON", help="Who does it.")] = None,
    due: Annotated[
        str | None,
        typer.Option("--due", metavar="WHEN", help="A date (2026-12-01), an ISO time, or a duration from now (7d)."),
    ] = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Add an action item; also after the incident is closed.

    Example: crisisctl action add INC-7 'rotate the payment API keys' --owner bob --due 2026-12-01
    """
    from crisisctl.cli.people import roster_warnings

    context = app_context(ctx)
    warn = roster_warnings(context)
    state, item = context.service().add_action(incident, text, owner=owner, due=due, at=at)
    if as_json:
        from crisisctl.output.actions import action_payload
        from crisisctl.output.plain import print_json

        print_json(action_payload(state.id, item, context.now(), drill=state.drill))
    else:
        context.say(f"{state.id}: action item {item.id} added (event {item.seq})")
    if owner:
        warn([owner])


@action_app.command("done")
def done_command(
    ctx: typer.Context,
    incident: IncidentId,
    action_id: Annotated[str, typer.Argument(metavar="ACTION", help="The action item's id, e.g. A2.")],
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="What was done, for the record.")] = None,
    at: AtTime = None,
) -> None:
    """Mark an action item done; also after the incident is closed.

    Example: crisisctl action done INC-7 A2 --note 'keys rotated, old ones revoked'
    """
    context = app_context(ctx)
    state, item = context.service().finish_action(incident, action_id, note=note, at=at)
    context.say(f"{state.id}: action item {item.id} done (event {state.last_seq})")


@action_app.command("list")
def list_command(
    ctx: typer.Context,
    incident: Annotated[
        str | None, typer.Argument(metavar="[INCIDENT]", help="One incident (default: every live incident).")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include action items that are done.")] = False,
    drill: DrillFlag = False,
    live: LiveFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """List action items (open ones unless --all), oldest first, overdue ones marked.

    Across incidents, live incidents' items only: drills' are listed with
    --drill, never mixed (as in stats); a line on standard error says how many
    were left out. A named incident's items are listed whatever it is.

    Example: crisisctl action list --json
    """
    from crisisctl.output.actions import action_payload, action_rows
    from crisisctl.output.plain import plain_table, print_json

    context = app_context(ctx)
    states, left_out = chosen_incidents(context, incident, drill=drill, live=live, command="action list")
    listed = [(state, item) for state in states for item in state.actions.values() if show_all or item.status == "open"]
    items = [(state.id, item) for state, item in listed]
    now = context.now()
    if as_json:
        print_json([action_payload(state.id, item, now, drill=state.drill) for state, item in listed])
    elif not items:
        context.say("no action items" + ("" if show_all else " open (add --all to include done ones)"))
    elif not sys.stdout.isatty():
        print(plain_table(("incident", "id", "status", "owner", "due", "what"), action_rows(items, now)))
    else:
        from crisisctl.output.actions import actions_table

        context.out.print(actions_table(items, now))
    hidden = sum(1 for state in left_out for item in state.actions.values() if show_all or item.status == "open")
    say_left_out(hidden, "action item", "action items", "action list")
