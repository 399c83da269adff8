"""Drills: the pinned scenario, injects falling due in drill time, and the score."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from crisisctl.clock import format_time, parse_time
from crisisctl.errors import LogError
from crisisctl.incident.describe import value_text
from crisisctl.incident.state import IncidentState, StepView, step_views, unfilled_required_roles
from crisisctl.playbook.conditions import evaluate
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.scenario import Inject, Scenario, build_scenario
from crisisctl.playbook.vocabulary import CUSTOMER_AUDIENCES
from crisisctl.playbook.yamlsource import load_text, plain_value

if TYPE_CHECKING:
    from crisisctl.incident.port import EventLog
    from crisisctl.incident.records import NewEvent
    from crisisctl.incident.service import IncidentService

SCORE_FORMULA = (
    "score = round(100 × (0.6 × expectations met / expectations due so far"
    " + 0.3 × steps done on time / steps due so far"
    " + 0.1 × required roles filled / required roles)); a part with nothing to count counts as 1"
)


def pinned_scenario(state: IncidentState) -> Scenario | None:
    """The scenario exactly as it was when the drill started."""
    if not state.scenario:
        return None
    loaded = load_text(state.scenario["text"], f"pinned:{state.scenario['id']}")
    if loaded.document is None:
        raise LogError(f"the scenario pinned by {state.id} no longer loads", "run `crisisctl verify`")
    return build_scenario(plain_value(loaded.document), loaded)


def last_drills(log: EventLog, until: dt.datetime) -> dict[str, dt.datetime]:
    """Each drilled playbook's newest drill held by `until`: the start of its most recent drill incident then."""
    latest: dict[str, dt.datetime] = {}
    for row in log.incidents(include_closed=True, drill=True):
        started = parse_time(row.declared_at)
        if started > until:
            continue
        latest[row.playbook] = max(latest.get(row.playbook, started), started)
    return latest


def injects_due(scenario: Scenario, elapsed: dt.timedelta) -> list[Inject]:
    return [inject for inject in scenario.injects if inject.at <= elapsed]


def signals_so_far(scenario: Scenario, elapsed: dt.timedelta) -> dict[str, object]:
    signals: dict[str, object] = {}
    for inject in injects_due(scenario, elapsed):
        signals.update(inject.signals)
    return signals


class FiredInject(Struct, frozen=True):
    """An inject whose facts were recorded, with the values it changed."""

    number: int  # counted from 1, in scenario order
    inject: Inject
    values: dict[str, Any]


def inject_facts(inject: Inject) -> str:
    """What an inject sets, in words: `illness_reported=true, units_sold=41000`."""
    return ", ".join(f"{name}={value_text(value)}" for name, value in inject.inputs.items())


def inject_changes(state: IncidentState, inject: Inject) -> dict[str, Any]:
    """The inject's input values that would still change something when stated at its time: not those
    already holding that value, nor those the team changed again after the inject's time."""
    at = state.declared_at + inject.at
    latest = {change.input: change.at for change in state.input_changes}
    return {
        name: value
        for name, value in inject.inputs.items()
        if state.inputs.get(name) != value and latest.get(name, at) <= at
    }


def unfired_injects(state: IncidentState, scenario: Scenario, elapsed: dt.timedelta) -> list[FiredInject]:
    """Injects due by `elapsed` whose facts are not yet recorded, each with the values it changes."""
    fired = {change.inject for change in state.input_changes}
    due = []
    for number, inject in enumerate(scenario.injects, start=1):
        if inject.inputs and inject.at <= elapsed and number not in fired:
            values = inject_changes(state, inject)
            if values:
                due.append(FiredInject(number, inject, values))
    return due


def fire_injects(
    service: IncidentService, state: IncidentState, scenario: Scenario, elapsed: dt.timedelta
) -> list[FiredInject]:
    """Record the facts of every inject due by `elapsed` (drill time since the start), each at its own drill
    time and in its own transaction; whoever acts for `service` is the one recorded (the facilitator).
    Safe to repeat and to run from two screens at once: what is recorded is decided inside the write lock."""
    fired = []
    for pending in unfired_injects(state, scenario, elapsed):
        fired.extend(_fire(service, state, scenario, pending))
    return fired


def _fire(
    service: IncidentService, state: IncidentState, scenario: Scenario, pending: FiredInject
) -> list[FiredInject]:
    recorded: list[FiredInject] = []

    def events_for(now: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
        unfired = unfired_injects(now, scenario, pending.inject.at)
        recorded.extend(item for item in unfired if item.number == pending.number)
        return [
            event
            for item in recorded
            for event in service.input_events(now, when, item.values, item.inject.message, item.number)
        ]

    service.record(state.id, format_time(state.declared_at + pending.inject.at), events_for)
    return recorded


def firing_triggers(playbook: Playbook, signals: dict[str, object]) -> list[str]:
    return [trigger.id for trigger in playbook.triggers if evaluate(trigger.when, signals).holds]


class ExpectationResult(Struct, frozen=True):
    kind: str  # "step" | "communication"
    target: str
    by: dt.timedelta
    met: bool
    at: dt.timedelta | None  # when it happened, from the start of the drill
    due: bool  # its time has come: unmet and due is missed, unmet and not due is still open


class StepResult(Struct, frozen=True):
    step: str
    due: dt.timedelta  # the deadline, from the start of the drill
    done_at: dt.timedelta | None
    status: str  # "on-time" | "late" | "missed" | "pending" (not yet due) | "skipped" | "not-applicable"


class DrillScore(Struct, frozen=True):
    score: int
    formula: str
    elapsed: dt.timedelta
    expectations: list[ExpectationResult]
    steps: list[StepResult]
    first_customer_notice: dt.timedelta | None
    unfilled_roles: list[str]


def _offset(state: IncidentState, moment: dt.datetime | None) -> dt.timedelta | None:
    return moment - state.declared_at if moment is not None else None


def score_drill(state: IncidentState, playbook: Playbook, scenario: Scenario | None, now: dt.datetime) -> DrillScore:
    """Expectations met or missed, steps against their due, the first customer notice, and the score."""
    elapsed = now - state.declared_at
    expectations = [_expectation(state, kind, target, by, elapsed) for kind, target, by in _expected(scenario)]
    steps = [_step_result(state, view, elapsed) for view in step_views(state, playbook, now) if view.due_at is not None]
    customer_comms = {comm.id for comm in playbook.communications if comm.audience in CUSTOMER_AUDIENCES}
    sends = [
        delivery.at
        for (comm_id, _), record in state.communications.items()
        if comm_id in customer_comms
        for delivery in record.deliveries
        if delivery.ok
    ]
    first_notice = _offset(state, min(sends)) if sends else None
    unfilled = unfilled_required_roles(state, playbook)
    required = [role for role in playbook.roles if role.required]
    counted = [result for result in steps if result.status in ("on-time", "late", "missed")]
    judged = [result for result in expectations if result.met or result.due]
    parts = (
        _ratio(sum(result.met for result in judged), len(judged)),
        _ratio(sum(result.status == "on-time" for result in counted), len(counted)),
        _ratio(len(required) - len(unfilled), len(required)),
    )
    score = round(100 * (0.6 * parts[0] + 0.3 * parts[1] + 0.1 * parts[2]))
    return DrillScore(score, SCORE_FORMULA, elapsed, expectations, steps, first_notice, unfilled)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _expected(scenario: Scenario | None) -> list[tuple[str, str, dt.timedelta]]:
    if scenario is None:
        return []
    return [(item.kind, item.target, item.by) for item in scenario.expectations]


def _expectation(
    state: IncidentState, kind: str, target: str, by: dt.timedelta, elapsed: dt.timedelta
) -> ExpectationResult:
    if kind == "step":
        record = state.steps.get(target)
        at = _offset(state, record.at) if record is not None and record.status == "done" else None
    else:
        sends = [
            delivery.at
            for (comm_id, _), record in state.communications.items()
            if comm_id == target
            for delivery in record.deliveries
            if delivery.ok
        ]
        at = _offset(state, min(sends)) if sends else None
    return ExpectationResult(kind, target, by, at is not None and at <= by, at, elapsed >= by)


def _step_result(state: IncidentState, view: StepView, elapsed: dt.timedelta) -> StepResult:
    due = _offset(state, view.due_at)  # from the start; later for a step that a fact switched on later
    assert due is not None  # only steps with a deadline are scored
    if view.status in ("skipped", "not-applicable"):
        return StepResult(view.step.id, due, None, view.status)
    if view.status == "done" and view.record is not None:
        done_at = _offset(state, view.record.at)
        assert done_at is not None
        return StepResult(view.step.id, due, done_at, "on-time" if done_at <= due else "late")
    return StepResult(view.step.id, due, None, "missed" if elapsed > due else "pending")
