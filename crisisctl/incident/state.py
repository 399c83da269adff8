"""An incident's state, folded from its events, and the facts derived from it with its playbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from msgspec import Struct, field

from crisisctl.clock import parse_time
from crisisctl.incident import events as ev
from crisisctl.incident.actions import ActionItem, action_text, next_action_id
from crisisctl.incident.facts import InputChange, applicable_since, snapshots, typed
from crisisctl.incident.links import Link
from crisisctl.incident.records import StoredEvent
from crisisctl.incident.remedies import Issuance, Remedy, remedy_from
from crisisctl.playbook.model import Playbook, Step


class StepRecord(Struct):
    """What the team recorded about one step."""

    status: str = "pending"
    at: dt.datetime | None = None
    actor: str = ""
    note: str = ""
    forced: bool = False


class Draft(Struct):
    """One rendered version of a communication in one locale."""

    text: str
    sha256: str
    template: str
    template_sha256: str
    at: dt.datetime
    actor: str
    seq: int


class Approval(Struct):
    role: str
    person: str
    at: dt.datetime
    draft_sha256: str


class Delivery(Struct):
    """A send attempt: where the text went, or why it did not."""

    at: dt.datetime
    actor: str
    draft_sha256: str
    ok: bool
    seq: int
    outbox: str = ""
    detail: str = ""
    delivery_id: str = ""  # empty in logs written before deliveries carried an id


class Dispatch(Struct):
    """A delivery that was started: recorded before the text left crisisctl, settled by its outcome."""

    delivery_id: str
    at: dt.datetime
    recorded_at: dt.datetime
    actor: str
    draft_sha256: str
    route: dict[str, Any]
    seq: int
    process: dict[str, Any] = field(default_factory=dict)  # who delivers: host, pid (crisisctl.processes)


class CommunicationRecord(Struct):
    """Drafts, approvals and deliveries of one communication in one locale."""

    draft: Draft | None = None
    approvals: dict[str, Approval] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    dispatches: dict[str, Dispatch] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)  # every version by sha256: what a delivery carried

    def sent(self) -> Delivery | None:
        """The successful delivery of the latest draft, if any."""
        if self.draft is None:
            return None
        draft = self.draft
        return next((d for d in self.deliveries if d.ok and d.seq > draft.seq and d.draft_sha256 == draft.sha256), None)

    def unsettled(self) -> Dispatch | None:
        """A delivery started but with no recorded outcome: in flight, or cut short by a crash."""
        settled = {delivery.delivery_id for delivery in self.deliveries}
        return next((d for d in self.dispatches.values() if d.delivery_id not in settled), None)


class IncidentState(Struct):
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
    started_real_at: dt.datetime
    status: str = "open"
    speed: float = 1.0
    scenario: dict[str, Any] | None = None
    inputs: dict[str, Any] = field(default_factory=dict)  # the latest value of each input
    declared_inputs: dict[str, Any] = field(default_factory=dict)
    input_changes: list[InputChange] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    steps: dict[str, StepRecord] = field(default_factory=dict)
    communications: dict[tuple[str, str], CommunicationRecord] = field(default_factory=dict)
    severity_history: list[tuple[dt.datetime, str, str, str]] = field(default_factory=list)
    notes: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    actions: dict[str, ActionItem] = field(default_factory=dict)  # by id: A1, A2, ... in the order recorded
    remedies: dict[str, Remedy] = field(default_factory=dict)  # by id: R1, R2, ... in the order recorded
    links: list[Link] = field(default_factory=list)  # other incidents this one hands over to, follows, ...
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
        started_real_at=parse_time(first.recorded_at),
        speed=float(data.get("speed", 1.0)),
        scenario=data.get("scenario"),
        inputs=dict(data.get("inputs", {})),
        declared_inputs=dict(data.get("inputs", {})),
        roles=dict(data.get("roles", {})),
    )
    for event in events:
        _apply(state, event)
    state.events = list(events)
    return state


def apply_newer(state: IncidentState, events: Sequence[StoredEvent]) -> IncidentState:
    """The state brought up to date with the incident's events recorded after it was folded (oldest first):
    the state `fold` gives for the whole history, without reading that history again."""
    for event in events:
        if event.incident != state.id or event.seq <= state.last_seq:
            raise ValueError(f"event {event.seq} is not a later event of {state.id}")
        _apply(state, event)
        state.events.append(event)
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
    elif kind == ev.ROLE_UNASSIGNED:
        state.roles.pop(data["role"], None)
    elif kind == ev.SEVERITY_CHANGED:
        state.severity = data["to"]
        state.severity_history.append((parse_time(event.at), data["from"], data["to"], data.get("note", "")))
    elif kind == ev.NOTE_ADDED:
        state.notes.append((parse_time(event.at), event.actor, data["text"]))
        wanted = action_text(data["text"])
        if wanted is not None:
            _add_action(state, event, next_action_id(state.actions.values()), wanted)
    elif kind == ev.ACTION_ADDED:
        _add_action(state, event, data["action"], data["text"])
    elif kind == ev.ACTION_DONE:
        item = state.actions[data["action"]]
        item.status, item.done_at, item.done_by = "done", parse_time(event.at), event.actor
        item.done_note = data.get("note", "")
    elif kind == ev.LINKED:
        at = parse_time(event.at)
        link = Link(
            data["incident"], data["relation"], data["direction"], at, event.actor, data.get("note", ""), event.seq
        )
        state.links.append(link)
    elif kind == ev.REMEDY_ADDED:
        state.remedies[data["remedy"]] = remedy_from(data, parse_time(event.at), event.actor, event.seq)
    elif kind == ev.REMEDY_ISSUED:
        remedy = state.remedies[data["remedy"]]
        remedy.issued = int(data["issued"])
        remedy.issuances.append(
            Issuance(parse_time(event.at), event.actor, remedy.issued, int(data["previous"]), data.get("note", ""))
        )
    elif kind == ev.INPUT_SET:
        # One input's changes are recorded in stated-time order (rules.check_input_change): the newest is the latest.
        state.inputs[data["input"]] = data["value"]
        state.input_changes.append(
            InputChange(
                event.seq,
                parse_time(event.at),
                event.actor,
                data["input"],
                data["value"],
                data.get("previous"),
                data.get("note", ""),
                data.get("inject"),
            )
        )
    elif kind.startswith("communication."):
        _apply_communication(state, event)
    elif kind == ev.RESOLVED:
        state.status = "resolved"
        state.summary = data.get("summary", "")
        state.resolved_at = parse_time(event.at)
    elif kind == ev.CLOSED:
        state.status = "closed"
        state.closed_at = parse_time(event.at)


def _add_action(state: IncidentState, event: StoredEvent, action_id: str, text: str) -> None:
    data = event.data
    state.actions[action_id] = ActionItem(
        action_id, text, data.get("owner", ""), data.get("due", ""), parse_time(event.at), event.actor, event.seq
    )


def _apply_communication(state: IncidentState, event: StoredEvent) -> None:
    data = event.data
    key = (data["communication"], data.get("locale") or "")
    record = state.communications.setdefault(key, CommunicationRecord())
    at = parse_time(event.at)
    if event.type == ev.COMM_DRAFTED:
        record.draft = Draft(
            data["text"], data["sha256"], data["template"], data["template_sha256"], at, event.actor, event.seq
        )
        record.drafts.setdefault(record.draft.sha256, record.draft)
        record.approvals = {}  # a new draft voids this locale's approvals
    elif event.type == ev.COMM_APPROVED:
        record.approvals[data["role"]] = Approval(data["role"], event.actor, at, data["draft_sha256"])
    elif event.type == ev.COMM_SENDING:
        record.dispatches[data["delivery_id"]] = Dispatch(
            data["delivery_id"],
            at,
            parse_time(event.recorded_at),
            event.actor,
            data["draft_sha256"],
            data.get("route", {}),
            event.seq,
            data.get("process", {}),
        )
    elif event.type in ev.COMM_OUTCOMES:
        record.deliveries.append(
            Delivery(
                at,
                event.actor,
                data["draft_sha256"],
                event.type == ev.COMM_SENT,
                event.seq,
                data.get("outbox", ""),
                data.get("detail", ""),
                data.get("delivery_id", ""),
            )
        )


def communication_status(record: CommunicationRecord | None, required: tuple[str, ...]) -> str:
    """pending (nothing drafted), drafted, approved (every required role on the latest draft), sent."""
    if record is None or record.draft is None:
        return "pending"
    if record.sent() is not None:
        return "sent"
    if all(role in record.approvals for role in required):
        return "approved"
    return "drafted"


def default_locale(locales: tuple[str, ...]) -> str:
    """The locale meant when none is named: the first listed, or the one unlocalised version ("")."""
    return locales[0] if locales else ""


def typed_inputs(state: IncidentState, playbook: Playbook) -> dict[str, Any]:
    """The latest inputs as their declared types (dates come back from JSON as text)."""
    return typed(state.inputs, playbook)


class StepView(Struct, frozen=True):
    """A step as the team sees it now."""

    step: Step
    status: str
    due_at: dt.datetime | None
    overdue: bool
    holder: str | None
    record: StepRecord | None
    applicable_since: dt.datetime | None = None  # when its `when` last began to hold; None: it does not


def step_views(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[StepView]:
    """Every step with its status, deadline and owner, in playbook order.

    A step's deadline counts from the moment it became applicable: the declaration, or the change of
    a fact that made its `when` hold. Work recorded on a step that no longer applies stays in the log;
    the step shows as not applicable unless it was finished (done, skipped) or recorded with --force.
    """
    history = snapshots(state.declared_at, state.declared_inputs, state.input_changes, playbook)
    views = []
    for step in playbook.steps:
        record = state.steps.get(step.id)
        since = applicable_since(step.when, history)
        if record is not None and (since is not None or record.forced or record.status in ("done", "skipped")):
            status = record.status
        else:
            status = "pending" if since is not None else "not-applicable"
        due_at = _due_at(state, step, since)
        overdue = due_at is not None and status not in ev.FINISHED_STEP_STATUSES and now > due_at
        views.append(StepView(step, status, due_at, overdue, state.roles.get(step.role), record, since))
    return views


def _due_at(state: IncidentState, step: Step, since: dt.datetime | None) -> dt.datetime | None:
    """The deadline: `due` after the declaration (or the moment the step became applicable); for follow-up work,
    after the resolution, and none before the incident is resolved."""
    if step.due is None:
        return None
    start = since or state.declared_at
    if step.follow_up:
        if state.resolved_at is None:
            return None
        start = max(start, state.resolved_at)
    return start + step.due


def unmet_dependencies(step: Step, views: Sequence[StepView]) -> list[str]:
    """The steps this one waits for that are neither done, skipped nor not applicable."""
    status_by_id = {view.step.id: view.status for view in views}
    return [dep for dep in step.depends_on if status_by_id.get(dep) not in ev.FINISHED_STEP_STATUSES]


def next_steps(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[StepView]:
    """Steps that can be worked on now (applicable, unfinished, not blocked, dependencies met), soonest due first.

    Follow-up work (`after: resolved`) waits for the resolution; on a closed incident it is all that is left."""
    views = step_views(state, playbook, now)
    ready = [
        view
        for view in views
        if view.status in ("pending", "in-progress")
        and not unmet_dependencies(view.step, views)
        and (view.step.follow_up if state.status == "closed" else state.status == "resolved" or not view.step.follow_up)
    ]
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(ready, key=lambda view: view.due_at or far_future)


def unfilled_required_roles(state: IncidentState, playbook: Playbook) -> list[str]:
    return [role.id for role in playbook.roles if role.required and not state.roles.get(role.id)]
