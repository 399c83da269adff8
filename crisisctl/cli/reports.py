"""`crisisctl postmortem` and `crisisctl export`: the incident as a report or as data, to stdout or a private file."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.cli.context import AppContext, app_context
from crisisctl.cli.outfile import write_private
from crisisctl.cli.params import IncidentId
from crisisctl.errors import UsageError

if TYPE_CHECKING:
    from crisisctl.render.redact import Redaction


class PostmortemFormat(StrEnum):
    md = "md"
    html = "html"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    md = "md"


OutputFile = Annotated[
    Path | None,
    typer.Option("-o", "--output", metavar="FILE", help="Write to this file (readable by you only), not stdout."),
]
RedactFlag = Annotated[
    bool,
    typer.Option(
        "--redact",
        help="Mask e-mail addresses, phone, card and national ID numbers, and config.toml's [redact] patterns; "
        "say so at the top (in CSV, in the last column of every row).",
    ),
]


def _redaction(redact: bool) -> Redaction | None:
    """With --redact, the redaction with config.toml's extra patterns, read (and checked) only then."""
    if not redact:
        return None
    from crisisctl.render.redact import Redaction
    from crisisctl.settings import configured_redactions

    return Redaction(configured_redactions())


def _deliver(context: AppContext, text: str, output: Path | None, what: str) -> None:
    """To the file (then one line naming it), or to stdout as it is; on a terminal user text stays inert."""
    from crisisctl.safetext import inert

    if output is not None:
        write_private(output, text)
        context.out.print(f"{what} written to {inert(str(output), keep_newlines=False)}")
        return
    stream = sys.stdout  # not the rich console: a report piped on needs no rich
    stream.write(inert(text) if stream.isatty() else text)
    stream.flush()


def postmortem_command(
    ctx: typer.Context,
    incident: IncidentId,
    report_format: Annotated[
        PostmortemFormat, typer.Option("--format", help="md (Markdown) or html (one self-contained file).")
    ] = PostmortemFormat.md,
    output: OutputFile = None,
    redact: RedactFlag = False,
    interactive: Annotated[
        bool, typer.Option("--interactive", help="Ask for lessons and action items first (at a terminal).")
    ] = False,
) -> None:
    """Write the post-mortem: timeline, steps against deadlines, notices, KPIs, lessons and actions.

    At any status; while the incident is open the report is marked DRAFT. A playbook's
    `postmortem.template` replaces the built-in report of its kind (md or html). Lessons
    and action items come from notes starting with `lesson:` and `action:`; with
    --interactive they are asked for first and recorded as such notes.

    Example: crisisctl postmortem INC-7 --format html -o INC-7-postmortem.html
    """
    from crisisctl.incident.service import incident_now
    from crisisctl.render.reports import postmortem

    context = app_context(ctx)
    redaction = _redaction(redact)
    if interactive:
        _ask_lessons_and_actions(context, incident)
    state, playbook = context.service().load(incident)
    report = postmortem(
        state,
        playbook,
        incident_now(state, context.now()),
        report_format.value,
        template_dir=context.settings.templates,
        playbook_dir=context.settings.playbooks,
        redact=redaction,
    )
    if report.warning:
        context.err.print(f"note: {report.warning}", style="yellow")
    draft = " (DRAFT: the incident is still open)" if report.draft else ""
    _deliver(context, report.text, output, f"{state.id}: post-mortem{draft}")


def _ask_lessons_and_actions(context: AppContext, incident: str) -> None:
    """Each answer is recorded at once as a `lesson:` or `action:` note; an empty answer moves on."""
    from crisisctl.incident.rules import ensure_takes_lessons

    service = context.service()
    ensure_takes_lessons(service.load(incident)[0])
    if not context.stdin_is_tty:
        raise UsageError(
            "--interactive asks questions and needs a terminal",
            f"record them as notes instead: crisisctl note {incident} 'lesson: ...'",
        )
    import questionary

    for kind, question in (
        ("lesson", "A lesson learned (Enter when done):"),
        ("action", "An action item, with its owner (Enter when done):"),
    ):
        while True:
            answer = questionary.text(question).ask()
            if answer is None:
                raise KeyboardInterrupt
            if not answer.strip():
                break
            service.note(incident, f"{kind}: {answer.strip()}", at=None)


def export_command(
    ctx: typer.Context,
    incident: IncidentId,
    export_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="json (every event with its hashes, and the pinned playbook), csv (the timeline) or md.",
        ),
    ],
    output: OutputFile = None,
    redact: RedactFlag = False,
    bom: Annotated[
        bool,
        typer.Option("--bom", help="With --format csv: start with a UTF-8 byte order mark, so Excel reads UTF-8."),
    ] = False,
) -> None:
    """Export the incident: json for archives and tools, csv for spreadsheets, md for reading.

    Example: crisisctl export INC-7 --format json -o INC-7.json
    """
    from crisisctl.incident.service import incident_now
    from crisisctl.render.reports import export_csv, export_json, export_markdown

    context = app_context(ctx)
    if bom and export_format is not ExportFormat.csv:
        raise UsageError("--bom is for --format csv only", "leave it out, or export with --format csv")
    redaction = _redaction(redact)
    state, playbook = context.service().load(incident)
    now = incident_now(state, context.now())
    if export_format is ExportFormat.json:
        text = export_json(state, playbook, now, redact=redaction)
    elif export_format is ExportFormat.csv:
        text = export_csv(state, redact=redaction, for_terminal=output is None, bom=bom)
    else:
        text = export_markdown(state, playbook, now, redact=redaction)
    _deliver(context, text, output, f"{state.id}: {export_format.value} export")
