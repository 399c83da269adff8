"""Warnings for people a command names who are not in the roster (people.yaml beside the playbooks)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from crisisctl.cli.context import AppContext


def roster_warnings(context: AppContext) -> Callable[[Iterable[str]], None]:
    """Read the roster now, before anything is recorded (an invalid one refuses the command), and return
    what warns, on standard error, about names that are nobody's id in it; no roster, no warnings."""
    from crisisctl.playbook.roster import load_roster

    roster = load_roster(context.settings.playbooks)

    def warn(names: Iterable[str]) -> None:
        if roster is not None:
            print_warnings(roster.warnings(names))

    return warn


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning as one inert line on standard error."""
    from crisisctl.safetext import inert

    for warning in warnings:
        print(inert(f"crisisctl: warning: {warning}", keep_newlines=False), file=sys.stderr)
