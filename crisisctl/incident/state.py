"""An incident's state, folded from its events, and the facts derived from it with its playbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crisisctl.clock import parse_time
from crisisctl.incident import events as ev
from crisisctl.playbook.conditions import evaluate
from crisisctl.playbook.model import Playbook, Step
from crisisctl.store.eventlog import StoredEvent


@dataclass
class StepRecord:
    """What the team recorded about one step."""

    status: str = "pending"
    at: dt.datetime | None = None
    actor: str = ""
    note: str = ""
    forced: bool = False


@dataclass
class IncidentState:
    """Everything the events say about one incident."""

    id: str
    number: int
    playbook_id: str
    playbook_version: str
    playbook_sha256: str
    title: str
    severity: str
    drill: bool
    declared_at: dt.datetime
    declared_by: str
    status: str = "open"
    inputs: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    steps: dict[str, StepRecord] = field(default_factory=dict)
    summary: str = ""
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    last_seq: int = 0
    events: list[StoredEvent] = field(default_factory=list)


def fold(events: Sequence[StoredEvent]) -> IncidentState:
    """Replay an incident's events, oldest first, into its state."""
    if not events or events[0].type != ev.DECLARED:
        raise ValueError("an incident's history starts with its declaration")
    first = events[0]
    data = first.data
    state = IncidentState(
        id=first.incident,
        number=int(data["number"]),
        playbook_id=data["playbook"],
        playbook_version=data["playbook_version"],
        playbook_sha256=data["playbook_sha256"],
        title=data["title"],
        severity=data["severity"],
        drill=bool(data["drill"]),
        declared_at=parse_time(first.at),
        declared_by=first.actor,
        inputs=dict(data.get("inputs", {})),
        roles=dict(data.get("roles", {})),
    )
    for event in events:
        _apply(state, event)
    state.events = list(events)
    return state


def _apply(state: IncidentState, event: StoredEvent) -> None:
    state.last_seq = event.seq
    data = event.data
    kind = event.type
    if kind in ev.STEP_STATUS_BY_EVENT:
        state.steps[data["step"]] = StepRecord(
            ev.STEP_STATUS_BY_EVENT[kind],
            parse_time(event.at),
            event.actor,
            data.get("note", ""),
            bool(data.get("forced")),
        )
    elif kind == ev.ROLE_ASSIGNED:
        state.roles[data["role"]] = data["person"]
    elif kind == ev.SEVERITY_CHANGED:
        state.severity = data["to"]
    elif kind == ev.RESOLVED:
        state.status = "resolved"
        state.summary = data.get("summary", "")
        state.resolved_at = parse_time(event.at)
    elif kind == ev.CLOSED:
        state.status = "closed"
        state.closed_at = parse_time(event.at)


def typed_inputs(state: IncidentState, playbook: Playbook) -> dict[str, Any]:
    """Inputs as their declared types (dates come back from JSON as text)."""
    values = dict(state.inputs)
    for declared in playbook.inputs:
        value = values.get(declared.id)
        if declared.type == "date" and isinstance(value, str):
            values[declared.id] = dt.date.fromisoformat(value)
    return values


@dataclass(frozen=True, slots=True)
class StepView:
    """A step as the team sees it now."""

    step: Step
    status: str
    due_at: dt.datetime | None
    overdue: bool
    holder: str | None
    record: StepRecord | None


def is_applicable(step: Step, inputs: dict[str, Any]) -> bool:
    return step.when is None or evaluate(step.when, inputs).holds


def step_views(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[StepView]:
    """Every step with its status, deadline and owner, in playbook order."""
    inputs = typed_inputs(state, playbook)
    views = []
    for step in playbook.steps:
        record = state.steps.get(step.id)
        status = "pending" if is_applicable(step, inputs) else "not-applicable"
        if record is not None:
            status = record.status
        due_at = state.declared_at + step.due if step.due is not None else None
        overdue = due_at is not None and status not in ev.FINISHED_STEP_STATUSES and now > due_at
        views.append(StepView(step, status, due_at, overdue, state.roles.get(step.role), record))
    return views


def unmet_dependencies(step: Step, views: Sequence[StepView]) -> list[str]:
    """The steps this one waits for that are neither done, skipped nor not applicable."""
    status_by_id = {view.step.id: view.status for view in views}
    return [dep for dep in step.depends_on if status_by_id.get(dep) not in ev.FINISHED_STEP_STATUSES]


def next_steps(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[StepView]:
    """Steps that can be worked on now (applicable, unfinished, not blocked, dependencies met), soonest due first."""
    views = step_views(state, playbook, now)
    ready = [
        view for view in views if view.status in ("pending", "in-progress") and not unmet_dependencies(view.step, views)
    ]
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(ready, key=lambda view: view.due_at or far_future)


def unfilled_required_roles(state: IncidentState, playbook: Playbook) -> list[str]:
    return [role.id for role in playbook.roles if role.required and not state.roles.get(role.id)]
