"""`crisisctl remedy add|issued|list`: compensation offered to customers, who qualifies, how many were issued."""

from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.params import AtTime, IncidentId, JsonFlag
from crisisctl.cli.scope import DrillFlag, LiveFlag, chosen_incidents, say_left_out
from crisisctl.incident.remedies import REMEDY_KINDS, Remedy

if TYPE_CHECKING:
    from crisisctl.incident.state import IncidentState

remedy_app = typer.Typer(
    help="Remedies offered to customers (refund, coupon, points...): add, issued, list; also after closing.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
NoteOption = Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note for the record.")]


def _complete_kind(incomplete: str) -> list[str]:
    return [kind for kind in REMEDY_KINDS if kind.startswith(incomplete)]


def _report(context: AppContext, state: "IncidentState", remedy: Remedy, as_json: bool, what: str) -> None:
    if as_json:
        from crisisctl.output.plain import print_json
        from crisisctl.output.remedies import remedy_payload

        print_json(remedy_payload(state, remedy))
    else:
        context.say(f"{state.id}: remedy {remedy.id} {what} ({remedy.issued} issued)")


@remedy_app.command("add")
def add_command(
    ctx: typer.Context,
    incident: IncidentId,
    kind: Annotated[
        str,
        typer.Argument(metavar="KIND", help="One of: " + ", ".join(REMEDY_KINDS) + ".", autocompletion=_complete_kind),
    ],
    qualifies: Annotated[str, typer.Option("--qualifies", metavar="TEXT", help="Which customers qualify.")],
    issued: Annotated[int, typer.Option("--issued", min=0, help="How many were issued so far.")] = 0,
    value: Annotated[
        float | None,
        typer.Option("--value", help="The value of one remedy: an amount with --currency, points, or months."),
    ] = None,
    currency: Annotated[str | None, typer.Option("--currency", metavar="CODE", help="ISO 4217 code, e.g. EUR.")] = None,
    note: NoteOption = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a remedy offered to customers; also after the incident is closed.

    Kinds: refund, coupon, points, replacement, warranty-extension, service-credit.
    --value is the value of one remedy: an amount in --currency, or points
    (points), or months (warranty-extension). Reports show the value issued.

    Example: crisisctl remedy add INC-7 coupon --qualifies 'orders 5+ days late' --issued 1200 --value 20 --currency EUR
    """
    context = app_context(ctx)
    state, remedy = context.service().add_remedy(
        incident, kind, qualifies=qualifies, issued=issued, value=value, currency=currency, note=note, at=at
    )
    _report(context, state, remedy, as_json, f"{remedy.kind} added")


@remedy_app.command("issued")
def issued_command(
    ctx: typer.Context,
    incident: IncidentId,
    remedy_id: Annotated[str, typer.Argument(metavar="REMEDY", help="The remedy's id, e.g. R1.")],
    count: Annotated[str, typer.Argument(metavar="N|+N", help="The total issued so far, or +N for N more.")],
    note: NoteOption = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Update how many of a remedy were issued: the total so far, or +N more; also after closing.

    Example: crisisctl remedy issued INC-7 R1 +350 --note 'second batch of vouchers sent'
    """
    context = app_context(ctx)
    state, remedy = context.service().issue_remedy(incident, remedy_id, count, note=note, at=at)
    _report(context, state, remedy, as_json, "updated")


@remedy_app.command("list")
def list_command(
    ctx: typer.Context,
    incident: Annotated[
        str | None, typer.Argument(metavar="[INCIDENT]", help="One incident (default: every live incident).")
    ] = None,
    drill: DrillFlag = False,
    live: LiveFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """List remedies, oldest first, with how many were issued and their value.

    Across incidents, live incidents' remedies only: drills' are listed with
    --drill, never mixed (as in stats); a line on standard error says how many
    were left out. A named incident's remedies are listed whatever it is.

    Example: crisisctl remedy list INC-7 --json
    """
    from crisisctl.output.plain import plain_table, print_json
    from crisisctl.output.remedies import REMEDY_COLUMNS, remedy_payload, remedy_rows

    context = app_context(ctx)
    states, left_out = chosen_incidents(context, incident, drill=drill, live=live, command="remedy list")
    listed = [(state, remedy) for state in states for remedy in state.remedies.values()]
    if as_json:
        print_json([remedy_payload(state, remedy) for state, remedy in listed])
    elif not listed:
        context.say("no remedies recorded (crisisctl remedy add INC KIND --qualifies TEXT)")
    else:
        rows = [(state.id, *row) for (state, _), row in zip(listed, remedy_rows([r for _, r in listed]), strict=True)]
        print(plain_table(("incident", *REMEDY_COLUMNS), rows))
    say_left_out(sum(len(state.remedies) for state in left_out), "remedy", "remedies", "remedy list")
