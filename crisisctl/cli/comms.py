"""`crisisctl comms list|show|draft|approve|send|reconcile`: notices drafted, approved, sent exactly once, logged."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.completion import complete_communication
from crisisctl.cli.context import app_context
from crisisctl.cli.params import AtTime, IncidentId, JsonFlag

if TYPE_CHECKING:
    from crisisctl.cli.context import AppContext
    from crisisctl.incident.dispatch import Settlement

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
    from crisisctl.incident.service import incident_now
    from crisisctl.output.comms import (
        COMMUNICATION_COLUMNS,
        communication_plain_rows,
        communications_payload,
        communications_table,
    )
    from crisisctl.output.plain import plain_table, print_json

    context = app_context(ctx)
    state, playbook = context.service().load(incident)
    now = incident_now(state, context.now())
    if as_json:
        print_json(communications_payload(state, playbook, now))
    elif sys.stdout.isatty():
        context.out.print(communications_table(state, playbook, now))
    else:
        print(plain_table(COMMUNICATION_COLUMNS, communication_plain_rows(state, playbook, now)))


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
    import hashlib

    from crisisctl.render.drafts import make_renderer
    from crisisctl.safetext import inert

    context = app_context(ctx)
    renderer = make_renderer(context.settings.templates, [context.settings.playbooks])
    if output is None:
        state, rendered = context.service().draft(incident, communication, locale, renderer, at=at)
        context.out.print(inert(rendered.text), end="" if rendered.text.endswith("\n") else "\n")
        where = "stored"
    else:
        from crisisctl.cli.outfile import write_private

        # The file is written inside the draft's write: one that cannot be written records nothing.
        state, rendered = context.service().draft(
            incident, communication, locale, renderer, at=at, keep=lambda rendered: write_private(output, rendered.text)
        )
        where = f"written to {output}"
    digest = hashlib.sha256(rendered.text.encode("utf-8")).hexdigest()
    context.err.print(f"{state.id}: draft of {communication} {where} (event {state.last_seq})")
    context.err.print(f"  digest: {digest}  (approvers: comms approve ... --digest {digest[:12]})")


DigestOption = Annotated[
    str | None,
    typer.Option(
        "--digest",
        metavar="SHA256",
        help="The digest of the draft you read (printed by `comms draft` and `comms show`; 8+ leading digits do).",
    ),
]


@comms_app.command("show")
def show_command(
    ctx: typer.Context,
    incident: IncidentId,
    communication: CommId,
    locale: LocaleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The latest draft's text and digest, its approvals and deliveries: what an approver reads.

    Example: crisisctl comms show INC-7 customer-notice --locale zh
    """
    from crisisctl.incident.service import incident_now
    from crisisctl.output.comms import communication_detail, print_communication_detail
    from crisisctl.output.plain import print_json

    context = app_context(ctx)
    state, playbook = context.service().load(incident)
    detail = communication_detail(state, playbook, communication, locale, incident_now(state, context.now()))
    if as_json:
        print_json(detail)
    else:
        print_communication_detail(detail)


@comms_app.command("approve")
def approve_command(
    ctx: typer.Context,
    incident: IncidentId,
    communication: CommId,
    role: Annotated[str, typer.Option("--role", metavar="ROLE", help="The role you approve as; you must hold it.")],
    locale: LocaleOption = None,
    digest: DigestOption = None,
    at: AtTime = None,
) -> None:
    """Approve the latest draft as a role you hold, bound to the text you read.

    --digest names that text; a draft made since is refused. Without --digest at a
    terminal, the text is shown and you are asked; elsewhere --digest is required.
    The person who drafted a notice cannot be its only approver (four eyes).

    Example: crisisctl --as lee comms approve INC-7 customer-notice --role legal --digest 3f1c2a9e
    """
    context = app_context(ctx)
    service = context.service()
    if digest is None:
        digest = _read_and_confirm(context, incident, communication, locale, role)
    state = service.approve(incident, communication, locale, role, digest=digest, at=at)
    context.say(f"{state.id}: {communication} approved by {service.actor} as {role} (event {state.last_seq})")


def _read_and_confirm(context: AppContext, incident: str, communication: str, locale: str | None, role: str) -> str:
    """Show the draft at a terminal and ask; the digest of what was shown is what gets approved."""
    from crisisctl.errors import UsageError

    if not (context.stdin_is_tty and sys.stdout.isatty()):  # the text must reach the eyes that answer
        raise UsageError(
            "approving needs --digest: the digest of the draft you read",
            f"read it with `crisisctl comms show {incident} {communication}`, then add --digest SHA256",
        )
    import questionary

    from crisisctl.safetext import inert

    draft = context.service().latest_draft(incident, communication, locale)
    context.out.print(inert(draft.text), end="" if draft.text.endswith("\n") else "\n")
    question = f"Approve this text of {communication} as {role}? (sha256 {draft.sha256[:12]}, drafted by {draft.actor})"
    answer = questionary.confirm(inert(question, keep_newlines=False), default=False).ask()
    if answer is None:
        raise KeyboardInterrupt
    if not answer:
        from crisisctl.errors import RefusedError

        raise RefusedError("not approved", "nothing was recorded")
    return draft.sha256


def _print_settlement(context: AppContext, settlement: Settlement, as_json: bool) -> None:
    from crisisctl.output.comms import settlement_payload
    from crisisctl.output.plain import print_json

    if as_json:
        print_json(settlement_payload(settlement))
        return
    what = settlement.communication + (f" ({settlement.locale})" if settlement.locale else "")
    context.say(f"{settlement.incident}: {what} {settlement.status}; {settlement.detail}")
    context.say(f"  outbox: {settlement.outbox}")
    for step, why in settlement.linked_steps:
        context.say(f"  step {step}: " + ("done" if why is None else f"stays open: {why}"))


@comms_app.command("send")
def send_command(
    ctx: typer.Context,
    incident: IncidentId,
    communication: CommId,
    locale: LocaleOption = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Send the approved draft exactly once: to the outbox beside the log, and by SMTP when configured.

    Refused (exit 1) until every required role has approved the latest draft. The
    intent to send is recorded before anything leaves; if the outcome is lost (a
    crash, a dropped connection), the notice shows as "sending, outcome unknown"
    and `comms reconcile` settles it. A second send of the same draft is refused.

    Example: crisisctl comms send INC-7 customer-notice --locale en
    """
    from crisisctl.cli.wiring import dispatcher

    context = app_context(ctx)
    settlement = dispatcher(context).send(incident, communication, locale, at=at)
    _print_settlement(context, settlement, as_json)


@comms_app.command("reconcile")
def reconcile_command(
    ctx: typer.Context,
    incident: IncidentId,
    communication: Annotated[
        str | None,
        typer.Argument(metavar="[COMM]", help="Only this communication.", autocompletion=complete_communication),
    ] = None,
    locale: LocaleOption = None,
    delivered: Annotated[
        bool, typer.Option("--delivered", help="You checked: it arrived. Records it as sent.")
    ] = False,
    not_delivered: Annotated[
        bool, typer.Option("--not-delivered", help="You checked: it did not arrive. Records a failure; send again.")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Deliver the same message again (same Message-ID, same outbox file).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Settle even though the sending process may still be running.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Settle deliveries whose outcome is unknown (a crash or lost connection during `send`).

    Without a verdict, outbox deliveries are settled by their files, and what only
    a person can tell (an e-mail handed to a server) is listed: exit 1 while any
    stays unknown. With --delivered, --not-delivered or --resend, that verdict
    settles COMM's open delivery. A delivery whose `comms send` may still be
    running (its process is alive here, or it began on another machine less than
    30 minutes ago) is left alone unless --force.

    Example: crisisctl comms reconcile INC-7 customer-notice --delivered
    """
    from crisisctl.cli.wiring import dispatcher
    from crisisctl.errors import UsageError

    chosen = [
        name for name, on in (("delivered", delivered), ("not-delivered", not_delivered), ("resend", resend)) if on
    ]
    if len(chosen) > 1:
        raise UsageError("choose one of --delivered, --not-delivered and --resend", "each settles it differently")
    context = app_context(ctx)
    settlements = dispatcher(context).reconcile(
        incident, communication, locale, chosen[0] if chosen else None, force=force
    )
    if as_json:
        from crisisctl.output.comms import settlement_payload
        from crisisctl.output.plain import print_json

        print_json([settlement_payload(settlement) for settlement in settlements])
    elif not settlements:
        context.say(f"{incident}: no delivery is waiting for an outcome")
    else:
        for settlement in settlements:
            _print_settlement(context, settlement, as_json=False)
    if any(settlement.status == "unknown" for settlement in settlements):
        from crisisctl.errors import ExitCode

        raise typer.Exit(int(ExitCode.NO))
