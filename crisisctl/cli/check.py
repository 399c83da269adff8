"""`crisisctl check`: which playbooks' triggers fire for the current signals."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from crisisctl.cli.context import app_context
from crisisctl.cli.params import JsonFlag
from crisisctl.errors import InvalidFileError, UsageError


def read_signals(source: str) -> dict[str, Any]:
    from crisisctl.playbook.yamlsource import MAX_FILE_BYTES, YMap, YScalar, load_bytes, load_file

    if source == "-":
        try:
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)  # one byte more tells that it is too large
        except OSError as error:
            raise UsageError(
                f"cannot read standard input: {error.strerror or error}", "pass a file instead of -"
            ) from None
        loaded = load_bytes(data, "<stdin>")
    else:
        path = Path(source)
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise UsageError(f"signals file {source} {what}", "pass a YAML or JSON file, or - for standard input")
        loaded = load_file(path, source)
    if loaded.document is None or loaded.problems:
        raise InvalidFileError(f"{loaded.file} is not a valid signals file", loaded.problems)
    document: YMap = loaded.document
    signals: dict[str, Any] = {}
    for name, node in document.items.items():
        if not isinstance(node, YScalar) or isinstance(node.value, dict | list):
            from crisisctl.errors import Problem

            problem = Problem(
                loaded.file,
                node.line,
                node.column,
                name,
                "signal",
                f"signal `{name}` must be a single value",
                "write metric: number",
            )
            raise InvalidFileError(f"{loaded.file} is not a valid signals file", [problem])
        signals[name] = node.value
    return signals


def check_command(
    ctx: typer.Context,
    signals_file: Annotated[
        str, typer.Argument(metavar="SIGNALS", help="YAML or JSON mapping of metric to value; - for stdin.")
    ],
    declare: Annotated[bool, typer.Option("--declare", help="Declare an incident for the most severe match.")] = False,
    inputs: Annotated[
        list[str] | None, typer.Option("--input", metavar="NAME=VALUE", help="With --declare: an input; repeat.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate every playbook's triggers against signals, most severe match first.

    Metrics a trigger needed but the signals lacked are listed: such a leaf is
    false, never an error. Invalid playbooks are skipped with a warning.

    Example: crisisctl check signals.yaml --json   (or: ... | crisisctl check -)
    """
    from crisisctl.cli.incident import declare as declare_command
    from crisisctl.incident.triggers import check_signals
    from crisisctl.output.plain import print_json
    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover

    context = app_context(ctx)
    signals = read_signals(signals_file)
    report = validate_files(discover([context.settings.playbooks]), context.today())
    for result in report.results:
        if result.playbook is None:
            context.err.print(
                f"warning: skipping invalid playbook {result.file} (crisisctl playbook validate)", style="yellow"
            )
    checked = check_signals(report.playbooks, signals)
    if as_json and not declare:
        print_json(
            {
                "matches": [
                    {
                        "playbook": m.playbook.id,
                        "trigger": m.trigger.id,
                        "severity": m.severity,
                        "description": m.trigger.description,
                    }
                    for m in checked.matches
                ],
                "missing_metrics": checked.missing_metrics,
                "unusable_metrics": checked.unusable_metrics,
            },
        )
    elif not as_json:
        from crisisctl.output.triggers import matches_table

        context.out.print(matches_table(checked.matches, checked.missing_metrics, checked.unusable_metrics))
    if declare:
        if not checked.matches:
            context.err.print("no trigger fires: nothing to declare")
            return
        best = checked.matches[0]
        declare_command(
            ctx,
            best.playbook.id,
            title=f"{best.playbook.title}: {best.trigger.description or best.trigger.id}",
            severity=best.severity,
            drill=False,
            inputs=inputs,
            assign=None,
            at=None,
            as_json=as_json,
        )
