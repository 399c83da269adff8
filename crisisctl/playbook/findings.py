"""A finding about a playbook that validation does not report: the rule it breaks, what was found, what to do."""

from __future__ import annotations

from msgspec import Struct


class Finding(Struct, frozen=True):
    # readiness: drill-overdue | review-overdue | date-in-future | role-understaffed | no-roster | locale-missing |
    # invalid; playbook diff: version-lowered | version-not-bumped
    rule: str
    message: str
    hint: str
