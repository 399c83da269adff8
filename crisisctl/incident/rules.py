"""Guards that refuse actions, each saying why and what to do; a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crisisctl.errors import RefusedError, UsageError
from crisisctl.incident.describe import value_text
from crisisctl.incident.ids import unknown
from crisisctl.incident.state import IncidentState, StepView, unmet_dependencies
from crisisctl.playbook.model import Playbook, Step

# A stated time may run a little ahead of this machine's clock (another machine's clock,
# a scribe rounding up), but not into the future.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def require_step(playbook: Playbook, step_id: str) -> Step:
    step = playbook.step(step_id)
    if step is None:
        raise unknown("step", step_id, (s.id for s in playbook.steps), "the playbook has no steps")
    return step


def require_role(playbook: Playbook, role_id: str) -> None:
    if playbook.role(role_id) is None:
        raise unknown("role", role_id, (r.id for r in playbook.roles), "the playbook has no roles")


def require_severity(playbook: Playbook, level: str) -> None:
    if level not in [s.id for s in playbook.severities]:
        raise unknown("severity", level, (s.id for s in playbook.severities), "")


def ensure_not_closed(state: IncidentState) -> None:
    if state.status == "closed":
        raise RefusedError(
            f"{state.id} is closed; closed incidents take no more events",
            "declare a new incident, or add to the post-mortem instead",
        )


def ensure_takes_lessons(state: IncidentState) -> None:
    """Asked before the questions of `postmortem --interactive`, so that no answer is typed in vain."""
    if state.status == "closed":
        raise RefusedError(
            f"{state.id} is closed: --interactive records lessons and action items as notes, "
            "which a closed incident no longer takes",
            f"write the report without --interactive; action items can still be added: "
            f"crisisctl action add {state.id} 'TEXT' --owner PERSON",
        )


def ensure_not_before_declaration(state: IncidentState, at: dt.datetime) -> None:
    if at < state.declared_at:
        raise RefusedError(
            f"the stated time {at:%Y-%m-%d %H:%M} UTC is before {state.id} was declared",
            "use a later --at, or +DURATION to count from the declaration",
        )


DRILL_REACH = dt.timedelta(days=366)


def ensure_within_drill(state: IncidentState, at: dt.datetime) -> None:
    """A drill may be scripted ahead of its clock, but not past a year from its start (a typo, not a plan)."""
    if at > state.declared_at + DRILL_REACH:
        raise UsageError(
            f"the stated time {at:%Y-%m-%d %H:%M} UTC is more than a year after the drill started",
            "use +DURATION from the start of the drill, e.g. --at +35m",
        )


def ensure_not_future(at: dt.datetime, now: dt.datetime) -> None:
    if at > now + FUTURE_TOLERANCE:
        raise UsageError(
            f"the stated time {at:%Y-%m-%d %H:%M} UTC is in the future",
            "--at records when something happened; it cannot be later than now",
        )


def check_input_change(
    state: IncidentState, name: str, value: Any, at: dt.datetime, *, repeat_ok: bool = False
) -> None:
    """A change must change something (unless `repeat_ok`: a measurement taken again), and must be the input's
    latest: its history stays in stated-time order."""
    if not repeat_ok and name in state.inputs and state.inputs[name] == value:
        raise RefusedError(f"{name} is already {value_text(value)} in {state.id}", "nothing to change")
    later = [change for change in state.input_changes if change.input == name and change.at > at]
    if later:
        raise RefusedError(
            f"{name} already has a later change (event {later[-1].seq}, stated {later[-1].at:%Y-%m-%d %H:%M} UTC)",
            "a new value must be the latest: use a later --at, or none for now; the history keeps every value",
        )


def check_step_action(
    state: IncidentState,
    step: Step,
    action: str,
    views: list[StepView],
    note: str | None,
    force: bool,
    at: dt.datetime,
) -> None:
    """Refuse a step change, stated at `at`, that breaks the rules; --force lets some through, recorded as forced."""
    view = next(v for v in views if v.step.id == step.id)
    if not step.follow_up:
        ensure_not_closed(state)
    if action in ("skip", "block") and not (note and note.strip()):
        verb = "Skipping" if action == "skip" else "Blocking"
        raise RefusedError(f"{verb} a step needs a reason", f"add --note TEXT saying why {step.id} is {action}ped")
    if view.status == "done":
        raise RefusedError(f"step {step.id} is already done", "record a note if something about it changed")
    if view.status == "in-progress" and action == "start":
        raise RefusedError(
            f"step {step.id} is already in progress", f"mark it done with `step done {state.id} {step.id}`"
        )
    if step.follow_up and action in ("start", "done") and not force:
        ensure_resolved_by(state, step, at)
    if view.status == "not-applicable" and not force:
        raise RefusedError(
            f"step {step.id} does not apply to this incident (its `when` is false for the inputs)",
            "add --force to record it anyway",
        )
    if action == "done" and not force:
        waiting = unmet_dependencies(step, views)
        if waiting:
            raise RefusedError(
                f"step {step.id} depends on {', '.join(waiting)}, not done yet", _waiting_hint(state, views, waiting)
            )


def ensure_resolved_by(state: IncidentState, step: Step, at: dt.datetime) -> None:
    """Follow-up work is started or done once the incident is resolved: at a stated time no earlier than that."""
    if state.resolved_at is None:
        raise RefusedError(
            f"step {step.id} is follow-up work after resolution (`after: resolved`)",
            f"resolve {state.id} first, or add --force (recorded) if it was done already",
        )
    if at < state.resolved_at:
        raise RefusedError(
            f"step {step.id} is follow-up work after resolution (`after: resolved`), and the stated time "
            f"{at:%Y-%m-%d %H:%M:%S} UTC is before {state.id} was resolved ({state.resolved_at:%Y-%m-%d %H:%M:%S} UTC)",
            "use a later --at, or add --force (recorded) if it was done before the resolution",
        )


def _waiting_hint(state: IncidentState, views: list[StepView], waiting: list[str]) -> str:
    """What can be done about unmet dependencies: finish them, unless the incident is closed and they are response
    work, which a closed incident no longer takes."""
    force = "add --force (recorded in the log)"
    if state.status != "closed":
        return f"finish those first, or {force} if they were handled another way"
    follow_up = {view.step.id for view in views if view.step.follow_up}
    stuck = [step for step in waiting if step not in follow_up]
    finishable = [step for step in waiting if step in follow_up]
    if not stuck:
        return f"finish {', '.join(finishable)} first, or {force} if handled another way"
    first = f"finish {', '.join(finishable)} first; " if finishable else ""
    return (
        f"{first}{state.id} is closed, so {', '.join(stuck)} can no longer be done or skipped: "
        f"{force}, with --note saying how {'it was' if len(stuck) == 1 else 'they were'} handled"
    )


def check_link(first: IncidentState, second: IncidentState) -> None:
    """Drills and live incidents are kept apart; two incidents are linked once."""
    if first.drill != second.drill:
        drill, live = (first, second) if first.drill else (second, first)
        raise RefusedError(
            f"{drill.id} is a drill and {live.id} a live incident; they are never linked",
            "link drills with drills and live incidents with live incidents",
        )
    existing = next((link for link in first.links if link.incident == second.id), None)
    if existing is not None:
        raise RefusedError(
            f"{first.id} is already linked to {second.id} ({existing.words} {second.id}, event {existing.seq})",
            "nothing to change",
        )


def check_resolve(state: IncidentState) -> None:
    if state.status != "open":
        raise RefusedError(f"{state.id} is already {state.status}", "only an open incident can be resolved")


def check_close(state: IncidentState, views: list[StepView], force: bool) -> None:
    if state.status == "open":
        raise RefusedError(f"{state.id} is still open", f"resolve it first: crisisctl resolve {state.id}")
    unfinished = [
        v.step.id for v in views if v.status not in ("done", "skipped", "not-applicable") and not v.step.follow_up
    ]
    if unfinished and not force:
        raise RefusedError(
            f"{len(unfinished)} applicable step(s) are neither done nor skipped: {', '.join(unfinished)}",
            "finish or skip them (skip --note says why), or add --force to close anyway (recorded)",
        )
