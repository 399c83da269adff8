"""`crisisctl comms list|draft|approve|send`: notices drafted from templates, approved, sent and logged."""

from pathlib import Path
from typing import Annotated

import typer

from crisisctl.cli.completion import complete_communication
from crisisctl.cli.context import app_context
from crisisctl.cli.params import AtTime, IncidentId, JsonFlag

comms_app = typer.Typer(
    help="Draft, approve and send the playbook's notices.", no_args_is_help=True, rich_markup_mode=None
)

CommId = Annotated[
    str,
    typer.Argument(
        metavar="COMM", help="The communication id from the playbook.", autocompletion=complete_communication
    ),
]
LocaleOption = Annotated[
    str | None, typer.Option("--locale", metavar="L", help="Which language version (default: the first listed).")
]


@comms_app.command("list")
def list_command(ctx: typer.Context, incident: IncidentId, as_json: JsonFlag = False) -> None:
    """Every communication and locale with its state: pending, drafted, approved or sent.

    Example: crisisctl comms list INC-7
    """
    from crisisctl.output.comms import communications_payload, communications_table
    from crisisctl.output.plain import print_json

    context = app_context(ctx)
    state, playbook = context.service().load(incident)
    if as_json:
        print_json(communications_payload(state, playbook))
    else:
        context.out.print(communications_table(state, playbook))


@comms_app.command("draft")
def draft_command(
    ctx: typer.Context,
    incident: IncidentId,
    communication: CommId,
    locale: LocaleOption = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="FILE", help="Write the text here.")] = None,
    at: AtTime = None,
) -> None:
    """Render the notice with the incident's facts and store the draft; voids earlier approvals of that locale.

    Example: crisisctl comms draft INC-7 customer-notice --locale zh
    """
    from crisisctl.output.safetext import inert
    from crisisctl.render.drafts import make_renderer

    context = app_context(ctx)
    renderer = make_renderer(context.settings.templates, [context.settings.playbooks])
    if output is None:
        state, rendered = context.service().draft(incident, communication, locale, renderer, at=at)
        context.out.print(inert(rendered.text), end="" if rendered.text.endswith("\n") else "\n")
        context.err.print(f"{state.id}: draft of {communication} stored (event {state.last_seq})")
        return
    from crisisctl.cli.outfile import write_private

    # The file is written inside the draft's write: one that cannot be written records nothing.
    state, _ = context.service().draft(
        incident, communication, locale, renderer, at=at, keep=lambda rendered: write_private(output, rendered.text)
    )
    context.err.print(f"{state.id}: draft of {communication} written to {output} (event {state.last_seq})")


@comms_app.command("approve")
def approve_command(
    ctx: typer.Context,
    incident: IncidentId,
    communication: CommId,
    role: Annotated[str, typer.Option("--role", metavar="ROLE", help="The role you approve as; you must hold it.")],
    locale: LocaleOption = None,
    at: AtTime = None,
) -> None:
    """Approve the latest draft as a role you hold in the incident.

    Example: crisisctl --as lee comms approve INC-7 customer-notice --role legal
    """
    context = app_context(ctx)
    state = context.service().approve(incident, communication, locale, role, at=at)
    context.out.print(
        f"{state.id}: {communication} approved by {context.settings.actor} as {role} (event {state.last_seq})"
    )


@comms_app.command("send")
def send_command(
    ctx: typer.Context, incident: IncidentId, communication: CommId, locale: LocaleOption = None, at: AtTime = None
) -> None:
    """Send the approved draft: to the outbox beside the log, and by SMTP when configured.

    Refused (exit 1) until every required role has approved the latest draft.

    Example: crisisctl comms send INC-7 customer-notice --locale en
    """
    from crisisctl.delivery.config import load_config
    from crisisctl.delivery.sender import make_deliverer
    from crisisctl.output.safetext import inert

    context = app_context(ctx)
    deliverer = make_deliverer(load_config(), context.settings.db, context.now())
    state = context.service().send(incident, communication, locale, deliverer, at=at)
    record = next(r for (comm, _), r in state.communications.items() if comm == communication and r.sent())
    delivery = record.sent()
    assert delivery is not None
    context.out.print(f"{state.id}: {communication} sent; {inert(delivery.detail, keep_newlines=False)}")
    context.out.print(f"  outbox: {delivery.outbox}")
