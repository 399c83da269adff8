"""Response-time figures across incidents: medians and 90th percentiles, per playbook, category, severity, month."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from msgspec import Struct

from crisisctl.incident.actions import ActionItem
from crisisctl.incident.metrics import IncidentMetrics, judged_steps
from crisisctl.incident.outcomes import Outcome, outcome
from crisisctl.incident.remedies import Remedy, remedy_totals
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.vocabulary import OUTCOME_METRICS


class Measured(Struct, frozen=True):
    """One incident's figures and what they are grouped by. Not the incident's state, which holds every event:
    kept for each of 100,000 incidents, the states took 2.1 GiB."""

    playbook: str
    category: str
    peak_severity: str
    month: str  # of the stated declaration, YYYY-MM
    resolved: bool
    time_to_acknowledge: dt.timedelta | None
    time_to_first_notice: dt.timedelta | None
    time_to_resolve: dt.timedelta | None
    steps_judged: int  # steps with a deadline that came due, and how many of them were done on time
    steps_on_time: int
    outcomes: tuple[Outcome, ...]  # one per OUTCOME_METRICS, in its order
    remedies: tuple[Remedy, ...]
    actions: tuple[ActionItem, ...]

    @classmethod
    def of(cls, state: IncidentState, playbook: Playbook, metrics: IncidentMetrics) -> Measured:
        judged = judged_steps(metrics.steps)
        return cls(
            playbook=playbook.id,
            category=playbook.category,
            peak_severity=peak_severity(state, playbook),
            month=state.declared_at.strftime("%Y-%m"),
            resolved=state.resolved_at is not None,
            time_to_acknowledge=metrics.time_to_acknowledge,
            time_to_first_notice=metrics.time_to_first_notice,
            time_to_resolve=metrics.time_to_resolve,
            steps_judged=len(judged),
            steps_on_time=sum(step.verdict == "on-time" for step in judged),
            outcomes=tuple(outcome(state, playbook, metric) for metric in OUTCOME_METRICS),
            remedies=tuple(state.remedies.values()),
            actions=tuple(state.actions.values()),
        )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of all values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _seconds(delta: dt.timedelta | None) -> float | None:
    return delta.total_seconds() if delta is not None else None


def _spread(values: Iterable[float | None]) -> dict[str, float | None]:
    present = [value for value in values if value is not None]
    if not present:
        return {"median": None, "p90": None}
    return {"median": statistics.median(present), "p90": percentile(present, 0.9)}


def summarise(measured: Sequence[Measured]) -> dict[str, Any]:
    """The figures for one group of incidents; times in seconds from the stated declaration, None without data."""
    judged = sum(m.steps_judged for m in measured)
    return {
        "incidents": len(measured),
        "time_to_acknowledge_s": _spread(_seconds(m.time_to_acknowledge) for m in measured),
        "time_to_first_notice_s": _spread(_seconds(m.time_to_first_notice) for m in measured),
        "time_to_resolve_s": _spread(_seconds(m.time_to_resolve) for m in measured),
        "steps_on_time_ratio": sum(m.steps_on_time for m in measured) / judged if judged else None,
        "resolved": sum(m.resolved for m in measured),
        "outcomes": outcome_figures(measured),
        "remedies": remedy_totals(remedy for m in measured for remedy in m.remedies),
    }


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 9) if values else None  # 0.9, not 0.8999999999999995


def outcome_figures(measured: Sequence[Measured]) -> dict[str, dict[str, Any]]:
    """Per customer outcome: how many incidents measured it (a baseline or a follow-up figure), and over the
    incidents compared (those with both) the mean baseline, the mean latest figure and the mean change: the
    three over the same incidents, so that the change is the difference of the other two."""
    figures = {}
    for index, metric in enumerate(OUTCOME_METRICS):
        found = [m.outcomes[index] for m in measured if m.outcomes[index].measurements]
        compared = [item for item in found if item.change is not None]
        figures[metric] = {
            "incidents_measured": len(found),
            "incidents_compared": len(compared),
            "mean_baseline": _mean([item.baseline for item in compared if item.baseline is not None]),
            "mean_latest": _mean([item.latest for item in compared if item.latest is not None]),
            "mean_change": _mean([item.change for item in compared if item.change is not None]),
        }
    return figures


def peak_severity(state: IncidentState, playbook: Playbook) -> str:
    """The most severe level the incident ever had, by its playbook's own order (first is most severe):
    a sev1 outage brought down to sev3 before it was resolved counts as a sev1."""
    levels = [state.severity, *(level for _, before, after, _ in state.severity_history for level in (before, after))]
    return min(levels, key=playbook.severity_rank)


def _grouped(measured: Sequence[Measured], key_name: str, key: Any) -> list[dict[str, Any]]:
    groups: dict[str, list[Measured]] = {}
    for item in measured:
        groups.setdefault(key(item), []).append(item)
    return [{key_name: name, **summarise(items)} for name, items in sorted(groups.items())]


def stats_report(measured: Sequence[Measured], *, drills: bool, since: dt.date | None) -> dict[str, Any]:
    """Everything `crisisctl stats` shows, in the shape of its --json."""
    return {
        **summarise(measured),
        "drills": drills,
        "since": since.isoformat() if since else None,
        "by_playbook": _grouped(measured, "playbook", lambda m: m.playbook),
        "by_category": _grouped(measured, "category", lambda m: m.category),
        "by_severity": _grouped(measured, "severity", lambda m: m.peak_severity),
        "by_month": _grouped(measured, "month", lambda m: m.month),
    }
