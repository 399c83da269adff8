"""Inline ignores: `# crisisctl: ignore[rule, ...]` on a line of a playbook silences those warnings there.

Only warnings can be ignored: an error means the playbook cannot run, and a comment must not hide that. Nor can
`ignore-unknown-rule`: it reports the ignore comments themselves, and a comment silencing it would hide its own
typos. A trailing comma, as in `ignore[rule-a, rule-b,]`, is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from msgspec import Struct, field

from crisisctl.errors import Problem
from crisisctl.playbook.rules import WARNING_RULES
from crisisctl.suggest import did_you_mean

# A YAML comment starts at the line's start or after a space; `#` inside a word is not one.
_IGNORE = re.compile(r"(?:^|\s)#\s*crisisctl:\s*ignore\[(?P<rules>[^\]]*)\]")
UNIGNORABLE = "ignore-unknown-rule"
IGNORABLE_RULES = WARNING_RULES - {UNIGNORABLE}


class Ignores(Struct):
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
        parts = match.group("rules").split(",")
        if len(parts) > 1 and not parts[-1].strip():
            parts.pop()  # a trailing comma
        offset = match.start("rules")
        for part in parts:
            rule = part.strip()
            column = offset + len(part) - len(part.lstrip()) + 1
            offset += len(part) + 1
            if rule in IGNORABLE_RULES:
                rules.add(rule)
            else:
                ignores.problems.append(Problem(file, number, column, "", UNIGNORABLE, *_why_not(rule, len(parts))))
        ignores.by_line[number] = frozenset(rules)
    return ignores


def _why_not(rule: str, names: int) -> tuple[str, str]:
    """The message and hint for a name an ignore comment cannot silence, one of `names` in the comment."""
    if rule == UNIGNORABLE:
        return (
            f"`{rule}` cannot be ignored: it reports the ignore comments themselves",
            "fix or remove the names it reports instead",
        )
    if not rule and names == 1:
        return "an ignore comment names no rule", "name the warning rules to ignore: ignore[RULE, ...]"
    if not rule:
        return "an empty name between two commas in an ignore comment", "remove the extra comma"
    return (
        f"`{rule}` in an ignore comment is not a warning crisisctl gives",
        did_you_mean(rule, sorted(IGNORABLE_RULES))
        or "name warning rules (docs/playbook-format.md); errors cannot be ignored",
    )
