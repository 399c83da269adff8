"""Inline ignores: `# crisisctl: ignore[rule, ...]` on a line of a playbook silences those warnings there.

Only warnings can be ignored: an error means the playbook cannot run, and a comment must not hide that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crisisctl.errors import Problem
from crisisctl.suggest import did_you_mean

# Every warning `playbook validate` gives, with what it says (SARIF shows the descriptions).
WARNING_RULES: dict[str, str] = {
    "review-overdue": "the playbook's review is overdue",
    "libyaml-missing": "YAML is read without the C speed-up",
    "unknown-role": "the roster names a role no playbook declares",
    "due-before-dependency": "a step is due before a step it waits for",
    "notice-due-before-step": "a notice is due before the step that sends it can be done",
    "regulator-clock": "a regulator's notification clock cannot be met, or is not set",
    "notice-locale-missing": "a listed locale has no template of its own",
    "notice-input-unset": "a notice shows None or fails while an optional input is not set",
    "sms-length": "an SMS notice is longer than the segments allowed",
    "drill-banner": "a notice drafted in a drill does not say so at its top",
    "ignore-unknown-rule": "an ignore comment names a rule that is not a warning",
}

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
                    did_you_mean(rule, WARNING_RULES)
                    or "name warning rules (docs/playbook-format.md); errors cannot be ignored",
                )
            )
        ignores.by_line[number] = frozenset(rules)
    return ignores
