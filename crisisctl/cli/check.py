"""`crisisctl check`: which playbooks' triggers fire for the current signals."""

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.params import JsonFlag, pairs
from crisisctl.errors import UsageError

if TYPE_CHECKING:
    from crisisctl.incident.state import IncidentState
    from crisisctl.incident.triggers import CheckResult


def check_command(
    ctx: typer.Context,
    signals_file: Annotated[
        str, typer.Argument(metavar="SIGNALS", help="YAML or JSON mapping of metric to value; - for stdin.")
    ],
    declare: Annotated[bool, typer.Option("--declare", help="Declare an incident for the most severe match.")] = False,
    inputs: Annotated[
        list[str] | None, typer.Option("--input", metavar="NAME=VALUE", help="With --declare: an input; repeat.")
    ] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", help="With --declare: a short title (default: the playbook's and the trigger's)."),
    ] = None,
    assign: Annotated[
        list[str] | None,
        typer.Option("--assign", metavar="ROLE=PERSON", help="With --declare: who holds a role; repeat."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="With --declare: when it began, ISO 8601 or -15m (that long ago). Default: now.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate every playbook's triggers against signals, most severe match first.

    Each match shows the values that made it fire. Metrics a trigger needed but
    the signals lacked are listed: such a leaf is false, never an error. Signals
    that no trigger reads are warned about, with the closest metric a trigger
    does read. Invalid playbooks are skipped with a warning.

    Example: crisisctl check signals.yaml --json   (or: ... | crisisctl check -)
    """
    from crisisctl.cli.signals import read_signals
    from crisisctl.incident.triggers import check_signals
    from crisisctl.output.payloads import check_payload
    from crisisctl.output.plain import print_readable_json
    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover

    if not declare:
        _refuse_declare_flags(inputs=inputs, title=title, assign=assign, at=at)
    context = app_context(ctx)
    signals = read_signals(signals_file)
    report = validate_files(discover([context.settings.playbooks]), context.today())
    for result in report.results:
        if result.playbook is None:
            context.err.print(
                f"warning: skipping invalid playbook {result.file} (crisisctl playbook validate)", style="yellow"
            )
    checked = check_signals(report.playbooks, signals)
    _warn_unused(context, checked)
    if not as_json:
        from crisisctl.output.triggers import matches_plain, matches_table

        shown = (checked.matches, checked.missing_metrics, checked.unusable_metrics)
        if sys.stdout.isatty():
            context.out.print(matches_table(*shown))
        else:
            print(matches_plain(*shown))
    state = _declare_best(context, checked, title=title, inputs=inputs, assign=assign, at=at) if declare else None
    if as_json:
        from crisisctl.output.incidents import incident_summary_payload

        print_readable_json((incident_summary_payload(state) if state else {}) | check_payload(checked))
    elif state:
        from crisisctl.cli.declaring import say_declared

        say_declared(context, state)


def _declare_best(
    context: AppContext,
    checked: "CheckResult",
    *,
    title: str | None,
    inputs: list[str] | None,
    assign: list[str] | None,
    at: str | None,
) -> "IncidentState | None":
    """Declare from the most severe match, as `declare` would with the same flags; None when nothing fires."""
    from crisisctl.cli.declaring import declare_at_terminal
    from crisisctl.incident.declaring import DeclareRequest

    if not checked.matches:
        context.err.print("no trigger fires: nothing to declare")
        return None
    best = checked.matches[0]
    request = DeclareRequest(
        best.playbook.id,
        title=title or f"{best.playbook.title}: {best.trigger.description or best.trigger.id}",
        severity=best.severity,
        inputs=pairs(inputs, "--input"),
        roles=pairs(assign, "--assign"),
        at=at,
    )
    return declare_at_terminal(context, request)


def _refuse_declare_flags(**flags: object) -> None:
    """Flags that only shape a declaration mean nothing without --declare: a script that passes them expects one."""
    given = [f"--{name}" for name, value in flags.items() if value]
    if given:
        raise UsageError(
            f"{' and '.join(given)} only {'applies' if len(given) == 1 else 'apply'} with --declare;"
            " nothing was checked or declared",
            "add --declare to open an incident for the most severe match, or leave them out",
        )


def _warn_unused(context: AppContext, checked: "CheckResult") -> None:
    """On standard error: signals no trigger reads, each likely typo with the closest metric a trigger reads."""
    from crisisctl.suggest import did_you_mean, listing

    unexplained = []
    for name in checked.unused_metrics:
        hint = did_you_mean(name, checked.known_metrics)
        if hint:
            context.err.print(f"warning: signal `{name}` is read by no playbook's trigger; {hint}", style="yellow")
        else:
            unexplained.append(name)
    if unexplained:
        context.err.print(f"warning: signals no playbook's trigger reads: {listing(unexplained)}", style="yellow")
