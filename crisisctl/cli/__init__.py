"""The typer application and the one boundary where failures become messages and exit codes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from crisisctl import __version__
from crisisctl.boundary import Boundary
from crisisctl.cli.commands import LazyGroup, overview
from crisisctl.cli.context import AppContext
from crisisctl.cli.crash import write_crash_report
from crisisctl.errors import CrisisError, ExitCode, InvalidFileError, UsageError
from crisisctl.settings import ENV_DB, ENV_PLAYBOOKS, ENV_TEMPLATES, ENV_TZ, ENV_USER

app = typer.Typer(
    name="crisisctl",
    cls=LazyGroup,
    help="Run customer-facing crises from versioned playbooks, with a tamper-evident log.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    invoke_without_command=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        print(f"crisisctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=ENV_DB,
            help="The incident log: a SQLite file, or postgresql://USER@HOST/DATABASE for a team log.",
            metavar="PATH|DSN",
        ),
    ] = None,
    playbooks: Annotated[
        str, typer.Option("--playbooks", envvar=ENV_PLAYBOOKS, help="Where playbooks are found.", metavar="DIR")
    ] = "playbooks",
    templates: Annotated[
        str, typer.Option("--templates", envvar=ENV_TEMPLATES, help="Where templates are found.", metavar="DIR")
    ] = "templates",
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar=ENV_USER,
            help="Who is acting; recorded on every event (default: login name). On a team log with a "
            "roster, the signed-in database user decides, and a --as naming someone else is refused.",
            metavar="PERSON",
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            envvar=ENV_TZ,
            help="The time zone times are shown in (tables, notices, reports, exports) and naive --at times are "
            "read in: an IANA name such as Asia/Shanghai or UTC (default: config.toml's timezone, else the "
            "system's). The log keeps UTC; --json stays UTC.",
            metavar="ZONE",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Run customer-facing crises from versioned playbooks, with a tamper-evident log.

    Example: crisisctl playbook validate
    """
    boundary = ctx.obj if isinstance(ctx.obj, Boundary) else None
    ctx.obj = AppContext.create(db=db, playbooks=playbooks, templates=templates, actor=actor, tz=tz, boundary=boundary)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        print(overview(), end="")


def run(args: list[str], boundary: Boundary) -> int:
    """Run one command; every failure ends here as one message and a documented exit code.

    A failed write to standard output is not decided here: the caller settles it after the
    last flush (see crisisctl.entry), so it is never mistaken for a defect.
    """
    try:
        command = typer.main.get_command(app)
        result = command.main(args=args, prog_name="crisisctl", standalone_mode=True, obj=boundary)
    except SystemExit as done:  # typer turns a broken pipe into exit 1; the caller sees the failure
        return _exit_status(done.code)
    except CrisisError as error:
        _print_error(error)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("crisisctl: interrupted; everything already answered is saved", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except OSError as error:
        if boundary.failure is not None:
            return int(ExitCode.LOG)
        if error.filename is None:
            return _internal_error(error, args)
        # A path the system refuses (too long, a folder, a full disk...): the user's to fix, not a defect.
        _print_error(UsageError(f"{error.filename}: {error.strerror or error}", "check the path you gave"))
        return int(ExitCode.USAGE)
    except Exception as error:  # noqa: BLE001 - the one place that turns surprises into a report
        return _internal_error(error, args)
    return int(result) if isinstance(result, int) else 0


def _internal_error(error: BaseException, args: list[str]) -> int:
    report = write_crash_report(error, args)
    print(f"crisisctl: internal error ({type(error).__name__}); details in {report}", file=sys.stderr)
    return int(ExitCode.INTERNAL)


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_error(error: CrisisError) -> None:
    """One line (and a hint) on standard error; bold red only on a terminal without NO_COLOR."""
    import os

    from crisisctl.safetext import inert

    colour = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    red, cyan, plain = ("\x1b[1;31m", "\x1b[36m", "\x1b[0m") if colour else ("", "", "")
    print(f"{red}crisisctl: {inert(error.message, keep_newlines=False)}{plain}", file=sys.stderr)
    if isinstance(error, InvalidFileError):
        from crisisctl.output.console import make_console
        from crisisctl.output.problems import report_text
        from crisisctl.playbook.catalog import CatalogReport

        report_text(CatalogReport(files=1, problems=error.problems), make_console(stderr=True))
    if error.hint:
        print(f"{cyan}  hint: {inert(error.hint, keep_newlines=False)}{plain}", file=sys.stderr)
