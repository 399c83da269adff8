"""Which playbooks' triggers fire for a set of signals, most severe first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct

from crisisctl.playbook.conditions import Comparison, evaluate, explain, names
from crisisctl.playbook.model import Playbook, Trigger


class TriggerMatch(Struct, frozen=True):
    playbook: Playbook
    trigger: Trigger
    severity: str | None
    rank: int
    fired_on: list[Comparison]  # the comparisons that made the trigger fire, with the values given


class CheckResult(Struct, frozen=True):
    matches: list[TriggerMatch]
    missing_metrics: list[str]
    unusable_metrics: list[str]  # given, but not comparable (text or true/false where a number is needed)
    unused_metrics: list[str]  # given, but read by no trigger of any playbook checked
    known_metrics: list[str]  # every metric some trigger reads


def check_signals(playbooks: Sequence[Playbook], signals: Mapping[str, Any]) -> CheckResult:
    """Evaluate every trigger as data; rank by the playbook's own severity order, then listing order."""
    found: list[tuple[int, int, int, TriggerMatch]] = []
    missing: set[str] = set()
    unusable: set[str] = set()
    known: set[str] = set()
    for playbook_index, playbook in enumerate(playbooks):
        for trigger_index, trigger in enumerate(playbook.triggers):
            known |= names(trigger.when)
            result = evaluate(trigger.when, signals)
            missing |= result.missing
            unusable |= result.unusable
            if result.holds:
                severity = trigger.severity or None
                rank = playbook.severity_rank(severity) if severity else len(playbook.severities)
                match = TriggerMatch(playbook, trigger, severity, rank, explain(trigger.when, signals))
                found.append((rank, playbook_index, trigger_index, match))
    found.sort(key=lambda item: item[:3])
    unused = sorted(name for name in signals if name not in known)
    return CheckResult([item[3] for item in found], sorted(missing), sorted(unusable), unused, sorted(known))
