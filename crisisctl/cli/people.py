"""Warnings for people a command names who are not in the roster (people.yaml beside the playbooks)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from crisisctl.cli.context import AppContext


def roster_warnings(context: AppContext) -> Callable[[Iterable[str]], None]:
    """Read the roster now, before anything is recorded (an invalid one refuses the command), and return
    what warns, on standard error, about names that are nobody's id in it; no roster, no warnings."""
    from crisisctl.output.safetext import inert
    from crisisctl.playbook.roster import load_roster

    roster = load_roster(context.settings.playbooks)

    def warn(names: Iterable[str]) -> None:
        if roster is None:
            return
        for name, hint in roster.unknown_names(names):
            line = f"crisisctl: warning: {name} is not in the roster {roster.file}"
            print(inert(line + (f"; {hint}" if hint else ""), keep_newlines=False), file=sys.stderr)

    return warn
