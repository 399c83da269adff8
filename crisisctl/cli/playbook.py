"""`crisisctl playbook validate|list|show|schema|diff|new`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crisisctl.cli.completion import complete_playbook
from crisisctl.cli.context import AppContext, app_context
from crisisctl.errors import ExitCode

if TYPE_CHECKING:
    from crisisctl.playbook.model import Playbook

playbook_app = typer.Typer(
    help="List, show, validate, compare and create playbooks; print their JSON Schema.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
# Listed here rather than imported, so `crisisctl --help` does not load the format; a test keeps them equal.
CATEGORY_NAMES = (
    "complaint-surge, service-outage, data-leak, product-quality, pr-crisis, customer-churn, "
    "contract-dispute, natural-disaster, market-shock, other"
)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


@playbook_app.command("validate")
def validate_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Playbook files or folders (default: the playbook folder).", show_default=False),
    ] = None,
    report_format: Annotated[
        ReportFormat, typer.Option("--format", help="text, json, github (workflow annotations) or sarif.")
    ] = ReportFormat.text,
    base_dir: Annotated[
        Path | None,
        typer.Option(
            "--base-dir",
            metavar="DIR",
            help="sarif and github: file paths are written relative to this folder (default: the git repository's"
            " root around the current folder, else the current folder).",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check playbooks against format v1; exit 1 if any is invalid.

    Every problem in every file is reported with file:line:column, the field
    path, a rule id and a hint. Drill scenarios (`kind: Scenario`, and the
    scenarios/ folder beside the playbooks) are checked against the playbook
    they name, found among the files given or in the playbook folder. Warnings never fail:
    overdue reviews, deadlines the order of work cannot meet, and notices
    (locales, unset inputs, SMS length, drill banner) as rendered with sample
    facts. `# crisisctl: ignore[RULE]` on a line silences that warning there.

    Example: crisisctl playbook validate playbooks/ --format github
    """
    from crisisctl.errors import UsageError
    from crisisctl.output.paths import repository_root
    from crisisctl.output.problems import REPORTER_BY_NAME, report_github
    from crisisctl.output.sarif import report_sarif
    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover
    from crisisctl.render.templatecheck import TemplateChecker

    context = app_context(ctx)
    named = paths or [context.settings.playbooks]
    files = discover(named, all_kinds=True)
    if not files:  # a wrong path in CI must not pass as "0 files, no errors"
        raise UsageError(
            f"no playbook files in {', '.join(str(path) for path in named)} (playbooks and scenarios are .yaml or"
            " .yml files at the top of a folder or in its scenarios/ folder)",
            "name the folders or files that hold them: crisisctl playbook validate PATH...",
        )
    checker = TemplateChecker(context.settings.templates)
    report = validate_files(
        files,
        context.today(),
        checker.check,
        keep_models=False,
        notice_lint=checker.lint_notices,
        playbook_dir=context.settings.playbooks,
    )
    if report_format in (ReportFormat.sarif, ReportFormat.github):
        reporter = report_sarif if report_format is ReportFormat.sarif else report_github
        reporter(report, context.out, base_dir or repository_root(Path.cwd()))
    else:
        REPORTER_BY_NAME[report_format.value](report, context.out)
    if not report.ok:
        raise typer.Exit(int(ExitCode.NO))


@playbook_app.command("list")
def list_command(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the playbooks in the playbook folder, marking invalid ones.

    Example: crisisctl playbook list --json
    """
    from crisisctl.output.payloads import playbook_summary
    from crisisctl.output.plain import plain_table, print_json
    from crisisctl.output.views import PLAYBOOK_COLUMNS, playbook_plain_rows, playbook_table
    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover

    context = app_context(ctx)
    report = validate_files(discover([context.settings.playbooks]), context.today())
    if as_json:
        rows = []
        for result in report.results:
            entry: dict[str, Any] = (
                playbook_summary(result.playbook)
                if result.playbook
                else {"id": result.playbook_id, "file": result.file}
            )
            entry["valid"] = result.playbook is not None
            entry["problems"] = len(result.problems)
            entry["review_overdue"] = any(w.rule == "review-overdue" for w in result.warnings)
            rows.append(entry)
        print_json(rows)
        return
    table_rows = []
    for result in report.results:
        note = f"invalid: {len(result.problems)} problem(s)" if result.playbook is None else ""
        if any(w.rule == "review-overdue" for w in result.warnings):
            note = (note + "; " if note else "") + "review overdue"
        table_rows.append((result.playbook, result.file, note))
    if sys.stdout.isatty():
        context.out.print(playbook_table(table_rows))
    else:
        print(plain_table(PLAYBOOK_COLUMNS, playbook_plain_rows(table_rows)))


@playbook_app.command("show")
def show_command(
    ctx: typer.Context,
    playbook_id: Annotated[
        str, typer.Argument(metavar="ID", help="The playbook's id.", autocompletion=complete_playbook)
    ],
    as_json: JsonFlag = False,
) -> None:
    """Show one playbook: roles, steps with deadlines and descriptions, communications.

    --json carries every field of the playbook under its name in the file,
    durations as whole seconds (`due` as `due_s`, `every` as `every_s`), dates
    as YYYY-MM-DD, and the file it was read from as `file`.

    Example: crisisctl playbook show data-leak --json
    """
    from crisisctl.output.payloads import playbook_detail
    from crisisctl.output.plain import print_json
    from crisisctl.output.views import playbook_view
    from crisisctl.playbook.catalog import find_playbook

    context = app_context(ctx)
    playbook = find_playbook(context.settings.playbooks, playbook_id, context.today())
    if as_json:
        print_json(playbook_detail(playbook))
    else:
        context.out.print(playbook_view(playbook))


@playbook_app.command("schema")
def schema_command(
    ctx: typer.Context,
    scenario: Annotated[bool, typer.Option("--scenario", help="The drill scenario format instead.")] = False,
    roster: Annotated[bool, typer.Option("--roster", help="The roster format (people.yaml) instead.")] = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the playbook format, of drill scenarios, or of the roster.

    Point your editor at it for completion and checks while writing playbooks.

    Example: crisisctl playbook schema > playbook-v1.json
    """
    from crisisctl.errors import UsageError
    from crisisctl.playbook.format import playbook_json_schema
    from crisisctl.playbook.roster import roster_json_schema
    from crisisctl.playbook.scenario import scenario_json_schema

    if scenario and roster:
        raise UsageError("choose one of --scenario and --roster", "each prints another format's schema")
    schema = scenario_json_schema() if scenario else roster_json_schema() if roster else playbook_json_schema()
    app_context(ctx).out.out(json.dumps(schema, indent=2), highlight=False)


@playbook_app.command("diff")
def diff_command(
    ctx: typer.Context,
    old: Annotated[
        str, typer.Argument(metavar="OLD", help="A playbook file, REV:PATH, or git:REV (NEW's path at REV).")
    ],
    new: Annotated[str, typer.Argument(metavar="NEW", help="A playbook file or REV:PATH.")],
    as_json: JsonFlag = False,
) -> None:
    """What changed between two versions of a playbook; exit 1 if it changed but its version was not raised.

    Compares the meaning, not the text: every field of the top level, of
    review, drill and postmortem, and of each severity, trigger, input, role,
    step and communication (matched by id). Layout, comments, x- keys, a
    duration's unit (2h is 120m) and a default written out (required: false)
    are no change. Order is a change where crisisctl reads it: severities
    (most severe first), triggers (the first listed wins a tie), the first of
    a communication's locales; moving steps, roles, inputs, communications or
    the ids in depends_on and approvals is none. Versions compare by Semantic
    Versioning 2.0 (1.0.0-rc.9 < 1.0.0-rc.10 < 1.0.0; +build ignored).

    OLD and NEW are files, or `REV:PATH`, a file at any git revision
    (HEAD~1:PATH, main:PATH); OLD may be `git:REV`, the file NEW names as it
    was at REV.

    Example: crisisctl playbook diff git:main playbooks/data-leak.yaml
    """
    from crisisctl.output.diffs import diff_payload, diff_view
    from crisisctl.output.plain import print_json
    from crisisctl.playbook.diff import diff_playbooks, version_findings
    from crisisctl.playbook.revisions import read_source

    context = app_context(ctx)
    after = _valid_playbook(context, *read_source(new))  # first: `git:REV` takes its path from NEW
    before = _valid_playbook(context, *read_source(old, new))
    changes = diff_playbooks(before[1], after[1])
    findings = version_findings(before[1], after[1], changes)
    if as_json:
        print_json(diff_payload(before, after, changes, findings))
    else:
        context.out.print(diff_view(before, after, changes, findings))
    if findings:
        raise typer.Exit(int(ExitCode.NO))


def _valid_playbook(context: AppContext, label: str, data: bytes) -> tuple[str, Playbook]:
    """The label and the built model of a playbook; exit 1 listing its problems if it is not valid."""
    from crisisctl.errors import InvalidFileError
    from crisisctl.playbook.validate import validate_playbook
    from crisisctl.playbook.yamlsource import load_bytes

    result = validate_playbook(load_bytes(data, label), context.today())
    if result.playbook is None:
        raise InvalidFileError(f"{label} is not a valid playbook", result.problems)
    return label, result.playbook


@playbook_app.command("new")
def new_command(
    ctx: typer.Context,
    category: Annotated[
        str | None, typer.Option("--category", metavar="CATEGORY", help=f"The kind of crisis: {CATEGORY_NAMES}.")
    ] = None,
    playbook_id: Annotated[
        str | None, typer.Option("--id", metavar="ID", help="The playbook's id (a slug); also its file name.")
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", metavar="TEXT", help="Its title (default: the category's usual one).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", metavar="TEXT", help="Who keeps it up to date: a team or an address.")
    ] = None,
    locales: Annotated[
        list[str] | None,
        typer.Option(
            "--locale",
            metavar="L",
            help="Also write this language version of every notice to customers, key accounts and regulators "
            "(repeatable; zh has built-in Simplified Chinese skeletons, other languages, zh-Hant too, get the "
            "English text to translate). English comes first unless you name it.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")] = False,
) -> None:
    """Write a new playbook for a kind of crisis, with its notice templates, ready to adapt.

    The playbook gets the usual phases, roles, steps and notices of its category,
    with comments, and passes `crisisctl playbook validate` as written. At a
    terminal, crisisctl asks for what the flags leave out; elsewhere --category
    and --id are required. Existing files are never overwritten.

    Example: crisisctl playbook new --category data-leak --id data-leak-cn --locale zh
    """
    from crisisctl.cli.authoring import write_new_playbook

    write_new_playbook(app_context(ctx), category, playbook_id, title, owner, locales, as_json)
