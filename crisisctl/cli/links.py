"""`crisisctl link`: one incident handed over to another, followed up by another, or related to it."""

from typing import Annotated

import typer

from crisisctl.cli.context import app_context
from crisisctl.cli.params import AtTime, IncidentId, JsonFlag
from crisisctl.incident.links import RELATIONS


def _complete_relation(incomplete: str) -> list[str]:
    return [relation for relation in RELATIONS if relation.startswith(incomplete)]


def link_command(
    ctx: typer.Context,
    incident: IncidentId,
    other: Annotated[str, typer.Argument(metavar="OTHER", help="The incident it is linked to, e.g. INC-9.")],
    relation: Annotated[
        str,
        typer.Option(
            "--relation",
            metavar="RELATION",
            help="handover (INCIDENT hands over to OTHER), follow-up (OTHER follows INCIDENT up) or related.",
            autocompletion=_complete_relation,
        ),
    ] = "related",
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Why, for the record.")] = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Link two incidents, recorded on both: a hand-over, a follow-up incident, or related ones.

    A complaint surge that turns into a PR crisis hands over to the PR incident;
    work that continues after an incident closed can run as a follow-up incident.
    Both incidents show the link, and their post-mortems name it. Closed incidents
    may be linked; a drill is never linked to a live incident.

    --relation names how they are linked (default: related); who linked them is
    the global --as PERSON, as for every command: crisisctl --as lee link ...

    Example: crisisctl link INC-7 INC-9 --relation handover --note 'media picked up the complaints'
    """
    context = app_context(ctx)
    first, second = context.service().link(incident, other, relation, note=note, at=at)
    made = first.links[-1]
    if as_json:
        from crisisctl.output.links import link_payload
        from crisisctl.output.plain import print_json

        print_json(
            {
                "id": first.id,
                "other": second.id,
                "relation": made.relation,
                "links": {
                    first.id: [link_payload(link) for link in first.links],
                    second.id: [link_payload(link) for link in second.links],
                },
            }
        )
        return
    context.say(f"{first.id} {made.words} {second.id} (events {made.seq} and {second.links[-1].seq})")
