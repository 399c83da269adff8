"""Inline ignores: `# crisisctl: ignore[rule, ...]` on a line of a playbook silences those warnings there.

Only warnings can be ignored: an error means the playbook cannot run, and a comment must not hide that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crisisctl.errors import Problem
from crisisctl.playbook.rules import WARNING_RULES
from crisisctl.suggest import did_you_mean

# A YAML comment starts at the line's start or after a space; `#` inside a word is not one.
_IGNORE = re.compile(r"(?:^|\s)#\s*crisisctl:\s*ignore\[(?P<rules>[^\]]*)\]")


@dataclass
class Ignores:
    """The rules silenced on each line of one file."""

    by_line: dict[int, frozenset[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # ignore comments naming unknown rules

    def split(self, warnings: Iterable[Problem]) -> tuple[list[Problem], list[Problem]]:
        """The warnings to show, and those an ignore comment on their line silences."""
        shown: list[Problem] = []
        silenced: list[Problem] = []
        for warning in warnings:
            (silenced if warning.rule in self.by_line.get(warning.line, ()) else shown).append(warning)
        return shown, silenced


def read_ignores(text: str, file: str) -> Ignores:
    """The ignore comments of a file's text; a rule that is no warning is itself reported."""
    ignores = Ignores()
    if "crisisctl:" not in text:
        return ignores
    for number, line in enumerate(text.splitlines(), start=1):
        match = _IGNORE.search(line)
        if match is None:
            continue
        rules: set[str] = set()
        offset = match.start("rules")
        for part in match.group("rules").split(","):
            rule = part.strip()
            column = offset + len(part) - len(part.lstrip()) + 1
            offset += len(part) + 1
            if rule in WARNING_RULES:
                rules.add(rule)
                continue
            ignores.problems.append(
                Problem(
                    file,
                    number,
                    column,
                    "",
                    "ignore-unknown-rule",
                    f"`{rule}` in an ignore comment is not a warning crisisctl gives"
                    if rule
                    else "an ignore comment names no rule",
                    did_you_mean(rule, sorted(WARNING_RULES))
                    or "name warning rules (docs/playbook-format.md); errors cannot be ignored",
                )
            )
        ignores.by_line[number] = frozenset(rules)
    return ignores
