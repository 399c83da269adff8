"""The console script: answers --version without loading the CLI, else hands over to it."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
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

    return run(args)
