"""Customer outcomes: satisfaction, complaint resolution, handling time and churn, before the crisis and after.

crisisctl cannot observe these figures; the team records them as facts (`crisisctl measure`, or `set`): the input
named like the metric holds the latest follow-up measurement, `<metric>_baseline` the figure before the crisis.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from msgspec import Struct

from crisisctl.errors import RefusedError, UsageError
from crisisctl.incident.describe import value_text
from crisisctl.incident.facts import in_stated_order
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Input, Playbook
from crisisctl.playbook.vocabulary import BASELINE_SUFFIX, OUTCOME_METRICS

OUTCOME_TITLES = {
    "customer_satisfaction": "Customer satisfaction",
    "complaint_resolution_rate": "Complaint resolution rate",
    "complaint_handling_time": "Complaint handling time",
    "churn_rate": "Churn rate",
}
# Which way is better: a satisfaction score going up is good news, a churn rate going up is not.
HIGHER_IS_BETTER = {
    "customer_satisfaction": True,
    "complaint_resolution_rate": True,
    "complaint_handling_time": False,
    "churn_rate": False,
}


class Measurement(Struct, frozen=True):
    """One recorded figure: the follow-up value or the baseline, when, by whom and why."""

    at: dt.datetime
    actor: str
    value: float
    baseline: bool
    note: str
    seq: int  # 0: given at declaration


class Outcome(Struct, frozen=True):
    """One outcome metric of one incident: before (baseline), after (latest), and every measurement."""

    metric: str
    title: str
    baseline: float | None
    latest: float | None
    measurements: tuple[Measurement, ...]
    listed: bool  # named in the playbook's `postmortem.kpis`

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.latest is None:
            return None
        return round(self.latest - self.baseline, 9)  # 4.1 - 3.2 is 0.9, not 0.8999999999999995

    @property
    def verdict(self) -> str:
        """better, worse, unchanged, or "" when it cannot be said yet."""
        change = self.change
        if change is None:
            return ""
        if change == 0:
            return "unchanged"
        return "better" if (change > 0) == HIGHER_IS_BETTER[self.metric] else "worse"


def baseline_input(metric: str) -> str:
    return metric + BASELINE_SUFFIX


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def outcome(state: IncidentState, playbook: Playbook, metric: str) -> Outcome:
    """The metric as the incident's facts record it."""
    names = {metric: False, baseline_input(metric): True}
    measurements = []
    for name, is_baseline in names.items():
        value = _number(state.declared_inputs.get(name))
        if value is not None:
            measurements.append(Measurement(state.declared_at, state.declared_by, value, is_baseline, "", 0))
    for change in in_stated_order(state.input_changes):
        value = _number(change.value)
        if change.input in names and value is not None:
            is_baseline = names[change.input]
            measurements.append(Measurement(change.at, change.actor, value, is_baseline, change.note, change.seq))
    return Outcome(
        metric,
        OUTCOME_TITLES[metric],
        _number(state.inputs.get(baseline_input(metric))),
        _number(state.inputs.get(metric)),
        tuple(sorted(measurements, key=lambda m: (m.at, m.seq))),
        metric in playbook.postmortem.kpis,
    )


def outcomes(state: IncidentState, playbook: Playbook) -> list[Outcome]:
    """The outcome metrics the playbook lists or the team measured, in the vocabulary's order."""
    found = [outcome(state, playbook, metric) for metric in OUTCOME_METRICS]
    return [item for item in found if item.listed or item.measurements]


def check_declared_value_stays_latest(state: IncidentState, name: str, at: dt.datetime) -> None:
    """A value stated before the declaration (a baseline, the one kind that may be) must not overtake the value
    the declaration gave."""
    if at < state.declared_at and name in state.declared_inputs:
        raise RefusedError(
            f"{name} already has a later value: {value_text(state.declared_inputs[name])}, given at declaration "
            f"({state.declared_at:%Y-%m-%d %H:%M} UTC)",
            "a new value must be the latest: use a later --at, or none for now; the history keeps every value",
        )


def measured_input(playbook: Playbook, metric: str, baseline: bool) -> Input:
    """The input a measurement is recorded as: the playbook's declaration of it, or a number input.

    A known outcome metric is accepted even where the pinned playbook does not declare it, so that an
    incident declared from an older playbook version can still record its outcomes; other names are refused.
    """
    if metric not in OUTCOME_METRICS:
        from crisisctl.suggest import did_you_mean

        raise UsageError(
            f"`{metric}` is not a customer outcome metric",
            did_you_mean(metric, OUTCOME_METRICS)
            or "measure one of: " + ", ".join(OUTCOME_METRICS) + "; record other facts with `crisisctl set`",
        )
    name = baseline_input(metric) if baseline else metric
    declared = next((item for item in playbook.inputs if item.id == name), None)
    if declared is not None and declared.type not in ("integer", "number"):
        raise UsageError(
            f"the playbook declares the input {name} as {declared.type}, not as a number",
            f"declare `{name}` with `type: number` in the playbook, or record it with `crisisctl set`",
        )
    return declared or Input(name, "number")
