"""The console script: answers --version without loading the CLI, else hands over to it."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from crisisctl import __version__

        print(f"crisisctl {__version__}")
        return 0
    from crisisctl.cli import run

    return run(args)
