"""The console script: answers --version without loading the CLI, else hands over to it; settles standard output."""

from __future__ import annotations

import errno
import gc
import os
import sys

from crisisctl.boundary import Boundary, forgive_stderr

# Start-up makes some 30,000 container objects (typer and click, msgspec, the domain's records) and few reference
# cycles; at the collector's default first threshold (700) it walked them about 45 times, some 4 ms of every
# command. At this one a read command ends without a collection, and long commands still collect as they go.
FIRST_GC_THRESHOLD = 50_000


def main(argv: list[str] | None = None) -> int:
    """Run one command. Without `argv` (the console script, `python -m crisisctl`) the process is that command:
    the collector is tuned for a short life, and what the command made is left to the operating system at exit."""
    whole_process = argv is None
    if whole_process:
        gc.set_threshold(FIRST_GC_THRESHOLD, *gc.get_threshold()[1:])
    args = sys.argv[1:] if argv is None else argv
    forgive_stderr()
    boundary = Boundary.watch_stdout()
    code = _answer(args, boundary)
    # The last flush is made here, not by Python at exit, where a failure would end as status 120.
    failure = boundary.finish()
    if failure is not None:
        code = _output_failed(failure, boundary.committed)
    elif boundary.unshown:
        _say(
            f"crisisctl: this output's encoding ({boundary.encoding}) cannot show some characters;"
            " they appear as escapes such as \\u00e9",
            "for UTF-8, set a UTF-8 locale, e.g. LC_ALL=C.UTF-8"
            + (", and unset PYTHONIOENCODING" if os.environ.get("PYTHONIOENCODING") else ""),
        )
    if whole_process:
        # Output is flushed and the log closed (AppContext.close): the interpreter's collections at exit would
        # only walk every object once more, about 13 ms. Frozen objects are skipped by them.
        gc.freeze()
    return code


def _answer(args: list[str], boundary: Boundary) -> int:
    if args == ["--version"]:
        from crisisctl import __version__

        print(f"crisisctl {__version__}")
        return 0
    for position, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            # The shell passed bytes that are not UTF-8; they cannot be recorded faithfully.
            # The argument itself is not shown: it may be a note about a customer.
            print(f"crisisctl: argument {position} is not valid UTF-8 text", file=sys.stderr)
            print("  hint: set your terminal to UTF-8 and type it again; nothing was recorded", file=sys.stderr)
            return 2
    from crisisctl.cli import run

    return run(args, boundary)


def _output_failed(failure: OSError, committed: bool) -> int:
    """Exit status and message when standard output could not be written."""
    from crisisctl.errors import ExitCode

    if failure.errno == errno.EPIPE:
        return int(ExitCode.OK)  # the reader stopped reading (`| head`): it had what it wanted
    reason = failure.strerror or str(failure)
    if committed:
        # Exit 0: the command did what was asked. A failure status would invite a retry,
        # and a retry would record the same thing twice.
        _say(
            f"crisisctl: recorded in the log, but the confirmation could not be written to standard output ({reason})",
            "do not run the command again, it would record it twice; `crisisctl timeline INCIDENT` shows the record",
        )
        return int(ExitCode.OK)
    _say(
        f"crisisctl: could not write to standard output ({reason})",
        "check where the output goes: a full disk, a closed terminal",
    )
    return int(ExitCode.LOG)


def _say(message: str, hint: str) -> None:
    """A message on standard error (which drops it if nobody reads: see forgive_stderr)."""
    print(message, file=sys.stderr)
    print(f"  hint: {hint}", file=sys.stderr)
