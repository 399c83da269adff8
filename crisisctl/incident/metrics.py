"""Response-time KPIs of one incident: acknowledgement, first notice, resolution, steps against deadlines, phases."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

from crisisctl.clock import parse_time
from crisisctl.incident import events as ev
from crisisctl.incident.outcomes import outcome
from crisisctl.incident.state import IncidentState, StepView, step_views
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.model import Playbook, Step
from crisisctl.playbook.vocabulary import CUSTOMER_AUDIENCES, PHASES

# Always measured, whatever the playbook lists, because every incident has these moments.
CORE_KPIS = ("time_to_acknowledge", "time_to_first_notice", "time_to_resolve")
KPI_TITLES = {
    "time_to_acknowledge": "Time to acknowledge",
    "time_to_first_notice": "Time to first customer notice",
    "time_to_resolve": "Time to resolve",
    "steps_on_time_ratio": "Steps done on time",
}


class StepOutcome(Struct, frozen=True):
    """One step against its deadline.

    verdict: on-time, late, done (it had no deadline), skipped, not-applicable or not-done.
    late_by: how late a late step finished, or how far past its deadline a not-done step is at `now`.
    """

    step: Step
    status: str
    verdict: str
    holder: str | None
    due_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    late_by: dt.timedelta | None
    note: str
    forced: bool
    actor: str
    applicable_since: dt.datetime | None = None  # when its `when` last began to hold (its deadline counts from it)

    @property
    def overdue(self) -> bool:
        return self.verdict == "not-done" and self.late_by is not None


class PhaseSpan(Struct, frozen=True):
    """From the first work recorded on a phase's applicable steps to the last of them finishing."""

    phase: str
    steps: int
    finished_steps: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started_at is None or self.finished_at is None or self.finished_steps < self.steps:
            return None
        return self.finished_at - self.started_at


class Kpi(Struct, frozen=True):
    """One measure: seconds (unit `seconds`), a fraction (`ratio`) or a figure as recorded (`value`)."""

    id: str
    title: str
    value: float | None
    unit: str
    note: str
    listed: bool


class IncidentMetrics(Struct, frozen=True):
    acknowledged_at: dt.datetime | None
    first_notice_at: dt.datetime | None
    time_to_acknowledge: dt.timedelta | None
    time_to_first_notice: dt.timedelta | None
    time_to_resolve: dt.timedelta | None
    steps: list[StepOutcome]
    phases: list[PhaseSpan]
    steps_on_time_ratio: float | None
    kpis: list[Kpi]


def _earliest(current: dt.datetime | None, candidate: dt.datetime) -> dt.datetime:
    return candidate if current is None or candidate < current else current


def _since(state: IncidentState, moment: dt.datetime | None) -> dt.timedelta | None:
    return None if moment is None else moment - state.declared_at


def measure(state: IncidentState, playbook: Playbook, now: dt.datetime) -> IncidentMetrics:
    """Every measure of one incident from one pass over its events, by stated time (`--at`), not recording time."""
    customer_comms = {comm.id for comm in playbook.communications if comm.audience in CUSTOMER_AUDIENCES}
    acknowledged_at: dt.datetime | None = None
    first_notice_at: dt.datetime | None = None
    first_start: dict[str, dt.datetime] = {}
    for event in state.events:
        kind = event.type
        if kind in (ev.STEP_STARTED, ev.STEP_DONE):
            at = parse_time(event.at)
            acknowledged_at = _earliest(acknowledged_at, at)
            if kind == ev.STEP_STARTED:
                step_id = event.data["step"]
                first_start[step_id] = _earliest(first_start.get(step_id), at)
        elif kind == ev.COMM_SENT and event.data.get("communication") in customer_comms:
            first_notice_at = _earliest(first_notice_at, parse_time(event.at))
    outcomes = [_outcome(view, first_start.get(view.step.id), now) for view in step_views(state, playbook, now)]
    judged = judged_steps(outcomes)
    metrics = IncidentMetrics(
        acknowledged_at=acknowledged_at,
        first_notice_at=first_notice_at,
        time_to_acknowledge=_since(state, acknowledged_at),
        time_to_first_notice=_since(state, first_notice_at),
        time_to_resolve=_since(state, state.resolved_at),
        steps=outcomes,
        phases=_phases(outcomes),
        steps_on_time_ratio=sum(o.verdict == "on-time" for o in judged) / len(judged) if judged else None,
        kpis=[],
    )
    metrics.kpis.extend(_kpis(state, playbook, metrics, now))
    return metrics


def _outcome(view: StepView, started_at: dt.datetime | None, now: dt.datetime) -> StepOutcome:
    status, due_at, record = view.status, view.due_at, view.record
    finished_at = record.at if record is not None and status in ("done", "skipped") else None
    late_by: dt.timedelta | None = None
    if status == "done":
        assert finished_at is not None
        if due_at is None:
            verdict = "done"
        elif finished_at > due_at:
            verdict, late_by = "late", finished_at - due_at
        else:
            verdict = "on-time"
    elif status in ("skipped", "not-applicable"):
        verdict = status
    else:
        verdict = "not-done"
        if due_at is not None and now > due_at:
            late_by = now - due_at
    return StepOutcome(
        step=view.step,
        status=status,
        verdict=verdict,
        holder=view.holder,
        due_at=due_at,
        started_at=started_at,
        finished_at=finished_at,
        late_by=late_by,
        note=record.note if record is not None else "",
        forced=bool(record is not None and record.forced),
        actor=record.actor if record is not None else "",
        applicable_since=view.applicable_since,
    )


def judged_steps(outcomes: list[StepOutcome]) -> list[StepOutcome]:
    """Steps with a deadline that was met or missed, or that has passed with the step still open."""
    return [o for o in outcomes if o.due_at is not None and (o.verdict in ("on-time", "late") or o.overdue)]


def _phases(outcomes: list[StepOutcome]) -> list[PhaseSpan]:
    spans = []
    for phase in PHASES:
        members = [o for o in outcomes if o.step.phase == phase and o.status != "not-applicable"]
        if not members:
            continue
        touched = [moment for o in members for moment in (o.started_at, o.finished_at) if moment is not None]
        finished = [o.finished_at for o in members if o.finished_at is not None]
        spans.append(
            PhaseSpan(
                phase=phase,
                steps=len(members),
                finished_steps=len(finished),
                started_at=min(touched) if touched else None,
                finished_at=max(finished) if finished else None,
            )
        )
    return spans


def _seconds(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _time_kpi(kpi: str, value: dt.timedelta | None, measured: str, missing: str, listed: bool) -> Kpi:
    return Kpi(kpi, KPI_TITLES[kpi], _seconds(value), "seconds", measured if value is not None else missing, listed)


def _kpis(state: IncidentState, playbook: Playbook, metrics: IncidentMetrics, now: dt.datetime) -> list[Kpi]:
    """The core times, then what the playbook's `postmortem.kpis` lists, then the time spent in each phase."""
    listed = set(playbook.postmortem.kpis)
    kpis = []
    for kpi in dict.fromkeys([*CORE_KPIS, *playbook.postmortem.kpis, "steps_on_time_ratio"]):
        if kpi == "time_to_acknowledge":
            measured, missing = "declaration to the first step started or done", "no step started or done yet"
            kpis.append(_time_kpi(kpi, metrics.time_to_acknowledge, measured, missing, kpi in listed))
        elif kpi == "time_to_first_notice":
            measured = "declaration to the first notice sent to customers or key accounts"
            missing = "no notice sent to customers or key accounts yet"
            kpis.append(_time_kpi(kpi, metrics.time_to_first_notice, measured, missing, kpi in listed))
        elif kpi == "time_to_resolve":
            missing = f"not resolved yet ({format_duration(now - state.declared_at)} so far)"
            kpis.append(_time_kpi(kpi, metrics.time_to_resolve, "declaration to resolution", missing, kpi in listed))
        elif kpi == "steps_on_time_ratio":
            judged = judged_steps(metrics.steps)
            on_time = sum(o.verdict == "on-time" for o in judged)
            note = (
                f"{on_time} of {len(judged)} steps whose deadline was met or has passed"
                if judged
                else "no deadline yet"
            )
            kpis.append(Kpi(kpi, KPI_TITLES[kpi], metrics.steps_on_time_ratio, "ratio", note, kpi in listed))
        else:
            kpis.append(_outcome_kpi(state, playbook, kpi, kpi in listed))
    for span in metrics.phases:
        if span.duration is not None:
            note = f"{span.steps} step(s), from the first work recorded to the last step finished"
        elif span.started_at is None:
            note = f"not started ({span.steps} step(s))"
        else:
            note = f"in progress: {span.finished_steps} of {span.steps} step(s) finished"
        title = f"Time in {span.phase}"
        kpis.append(Kpi(f"time_in_{span.phase}", title, _seconds(span.duration), "seconds", note, False))
    return kpis


def _outcome_kpi(state: IncidentState, playbook: Playbook, kpi: str, listed: bool) -> Kpi:
    """Figures the log cannot know (satisfaction, churn): the team records them as facts (`measure`, `set`)."""
    found = outcome(state, playbook, kpi)
    if found.latest is None:
        note = f"not measured yet; record it with `crisisctl measure {state.id} {kpi} VALUE`"
        if found.baseline is not None:
            note = f"baseline {found.baseline:g}; follow-up " + note
        return Kpi(kpi, found.title, None, "value", note, listed)
    if found.baseline is None:
        note = f"latest of {len(found.measurements)} measurement(s); no baseline (`measure --baseline`)"
    else:
        note = f"baseline {found.baseline:g}, change {found.latest - found.baseline:+g} ({found.verdict})"
    return Kpi(kpi, found.title, found.latest, "value", note, listed)
