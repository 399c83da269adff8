"""A perfect team plays a drill: the best the playbook allows, to prove it can meet its scenario's expectations.

The team does every step the moment the rules let it (applicable, dependencies done), drafts, approves and
sends every notice when its step is ready (a notice of no step at the start), in every locale, and the
facilitator fires each inject at its drill time. What the rules refuse is kept with the reason; an expectation
such a team still misses is one the playbook cannot meet, whatever the people.

The team resolves the incident at the earliest moment a real team could call the crisis over: once every inject
has fired (the scenario is still playing until its last inject) and, after the work that inject calls for, every
response step that applies (not `after: resolved`) is done. That is the time of the last inject (the start, if
there is none), when the team has finished what the rules let it; if a response step is never done (the rules
refused it or its notice), the team never resolves. Once resolved, it does the follow-up work at that same moment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import partial

from msgspec import Struct, field

from crisisctl.clock import format_time
from crisisctl.errors import CrisisError, Problem
from crisisctl.incident.dispatch import Courier, NoticeDispatcher
from crisisctl.incident.drills import ExpectationResult, fire_injects, score_drill
from crisisctl.incident.events import FINISHED_STEP_STATUSES
from crisisctl.incident.service import IncidentService, Renderer
from crisisctl.incident.state import IncidentState, next_steps, step_views, unmet_dependencies
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.model import Communication, Playbook
from crisisctl.playbook.scenario import Scenario

FACILITATOR = "facilitator"
RESOLUTION = "a perfect team: every response step that applies done, every inject fired"


class Refusal(Struct, frozen=True):
    """An action the perfect team tried and the rules (or the templates) refused."""

    what: str  # "step stop-sales", "communication recall-notice (zh)"
    at: dt.timedelta
    message: str


class Verdict(Struct, frozen=True):
    """What a perfect team achieved: the drill's score, each expectation, and why the missed ones were missed."""

    incident: str
    score: int
    expectations: list[ExpectationResult]
    reasons: dict[tuple[str, str], str]  # (kind, target) of a missed expectation -> why
    refusals: list[Refusal]

    @property
    def passed(self) -> bool:
        return all(result.met for result in self.expectations)


class ScenarioOutcome(Struct):
    """One scenario's result: a verdict, or the reason it could not be played."""

    file: str
    scenario: str | None = None
    playbook: str | None = None
    verdict: Verdict | None = None
    error: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict is not None and self.verdict.passed


def holders(playbook: Playbook, scenario: Scenario) -> dict[str, str]:
    """Who holds each role: the scenario's casting, else a person of its own per role."""
    return {role.id: scenario.roles.get(role.id) or f"{role.id}-holder" for role in playbook.roles}


class PerfectTeam:
    """Plays one drill incident (already started) to its scenario's horizon."""

    def __init__(
        self,
        acting: Callable[[str], IncidentService],
        renderer: Renderer,
        courier: Courier,
        scenario: Scenario,
    ) -> None:
        self.acting = acting
        self.renderer = renderer
        self.courier = courier
        self.scenario = scenario
        self.refusals: list[Refusal] = []
        self.resolved_at: dt.timedelta | None = None
        self._tried: set[tuple[str, dt.timedelta]] = set()

    def play(self, incident: str) -> Verdict:
        facilitator = self.acting(FACILITATOR)
        state, playbook = facilitator.load(incident)
        people = holders(playbook, self.scenario)
        for role, person in people.items():
            if state.roles.get(role) != person:
                facilitator.assign(incident, role, person, at=self._at(state, dt.timedelta(0)))
        moments = sorted({dt.timedelta(0), *(inject.at for inject in self.scenario.injects)})
        for moment in moments:
            state, playbook = facilitator.load(incident)
            fire_injects(facilitator, state, self.scenario, moment)
            self._act(incident, moment, people)
        state, playbook = facilitator.load(incident)
        if not unfinished_response(state, playbook):
            self.resolved_at = moments[-1]
            facilitator.resolve(incident, summary=RESOLUTION, at=self._at(state, moments[-1]))
            self._act(incident, moments[-1], people)
            state, playbook = facilitator.load(incident)
        horizon = max([moments[-1], *(item.by for item in self.scenario.expectations)])
        score = score_drill(state, playbook, self.scenario, state.declared_at + horizon)
        missed = [result for result in score.expectations if not result.met]
        reasons = {(result.kind, result.target): self._why(state, playbook, result) for result in missed}
        return Verdict(incident, score.score, score.expectations, reasons, self.refusals)

    def _act(self, incident: str, moment: dt.timedelta, people: dict[str, str]) -> None:
        """Every notice without a step, then every step that is ready, until nothing more can be done now."""
        state, playbook = self.acting(FACILITATOR).load(incident)
        linked = {step.communication for step in playbook.steps if step.communication}
        for communication in playbook.communications:
            if communication.id not in linked:
                self._send(incident, state, communication, moment, people)
        progress = True
        while progress:
            progress = False
            state, playbook = self.acting(FACILITATOR).load(incident)
            for view in next_steps(state, playbook, state.declared_at + moment):
                step = view.step
                notice = playbook.communication(step.communication) if step.communication else None
                if notice is not None:  # its send does the step, once every locale is out
                    progress = self._send(incident, state, notice, moment, people) or progress
                else:
                    done = partial(self._done, self.acting(people[step.role]), incident, step.id, state, moment)
                    progress = self._attempt(f"step {step.id}", moment, done) or progress

    def _done(
        self, service: IncidentService, incident: str, step: str, state: IncidentState, moment: dt.timedelta
    ) -> None:
        service.step(incident, step, "done", note=None, force=False, at=self._at(state, moment))

    def _send(
        self,
        incident: str,
        state: IncidentState,
        communication: Communication,
        moment: dt.timedelta,
        people: dict[str, str],
    ) -> bool:
        """Each locale's version not yet out; whether any was sent now."""
        sent = False
        for locale in communication.locales or ("",):
            record = state.communications.get((communication.id, locale))
            if record is not None and any(delivery.ok for delivery in record.deliveries):
                continue
            what = f"communication {communication.id}" + (f" ({locale})" if locale else "")
            send = partial(self._send_locale, incident, state, communication, locale or None, moment, people)
            sent = self._attempt(what, moment, send) or sent
        return sent

    def _send_locale(
        self,
        incident: str,
        state: IncidentState,
        communication: Communication,
        locale: str | None,
        moment: dt.timedelta,
        people: dict[str, str],
    ) -> None:
        at = self._at(state, moment)
        facilitator = self.acting(FACILITATOR)
        _, drafted = facilitator.draft(incident, communication.id, locale, self.renderer, at=at)
        digest = hashlib.sha256(drafted.text.encode("utf-8")).hexdigest()  # what each approver reads
        for role in communication.approvals:
            self.acting(people[role]).approve(incident, communication.id, locale, role, digest=digest, at=at)
        NoticeDispatcher(facilitator, self.courier).send(incident, communication.id, locale, at=at)

    def _attempt(self, what: str, moment: dt.timedelta, action: Callable[[], None]) -> bool:
        """Try an action once at this moment (a later fact may let it through); a refusal is kept, never raised."""
        if (what, moment) in self._tried:
            return False
        self._tried.add((what, moment))
        try:
            action()
        except CrisisError as refused:
            self.refusals.append(Refusal(what, moment, refused.message))
            return False
        return True

    def _why(self, state: IncidentState, playbook: Playbook, result: ExpectationResult) -> str:
        """Why a perfect team missed an expectation, in the playbook's terms."""
        target = result.target
        refused = self._refused(result.kind, target)
        if refused is not None:
            return f"refused at +{format_duration(refused.at)}: {refused.message}"
        step_id = target if result.kind == "step" else _step_of(playbook, target)
        step = playbook.step(step_id) if step_id is not None else None
        notice = self._refused("communication", step.communication) if step and step.communication else None
        if notice is not None:
            return f"its notice was refused at +{format_duration(notice.at)}: {notice.message}"
        follow_up = step is not None and step.follow_up
        if result.at is not None:
            late = f"done only at +{format_duration(result.at)}, after +{format_duration(result.by)}"
            if follow_up and self.resolved_at is not None:
                return (
                    f"{late}: follow-up work waits for the resolution, which a perfect team reaches at "
                    f"+{format_duration(self.resolved_at)} (every response step that applies done, every inject fired)"
                )
            return late
        if step_id is None:
            return "not done"
        by = state.declared_at + result.by
        views = step_views(state, playbook, by)
        view = next(view for view in views if view.step.id == step_id)
        if view.applicable_since is None:
            return f"step {step_id} does not apply with the scenario's inputs (its `when` is false)"
        if view.applicable_since > by:
            return f"step {step_id} applies only from +{format_duration(view.applicable_since - state.declared_at)}"
        waiting = unmet_dependencies(view.step, views)
        if waiting:
            return f"step {step_id} is {view.status}: it waits for {', '.join(waiting)}"
        if follow_up and self.resolved_at is None:
            unfinished = unfinished_response(state, playbook)
            return (
                f"step {step_id} is follow-up work: it waits for the resolution, which a perfect team reaches once "
                f"every response step that applies is done, and {', '.join(unfinished)} "
                f"{'is' if len(unfinished) == 1 else 'are'} not"
            )
        return f"step {step_id} is {view.status}"

    def _refused(self, kind: str, target: str) -> Refusal | None:
        """The first refusal of that step, or of that communication in any locale."""
        named = f"{kind} {target}"
        return next((r for r in self.refusals if r.what == named or r.what.startswith(f"{named} (")), None)

    @staticmethod
    def _at(state: IncidentState, moment: dt.timedelta) -> str:
        return format_time(state.declared_at + moment)


def unfinished_response(state: IncidentState, playbook: Playbook) -> list[str]:
    """The response steps (not follow-up work) that apply and are neither done nor skipped."""
    return [
        view.step.id
        for view in step_views(state, playbook, state.declared_at)
        if not view.step.follow_up and view.status not in FINISHED_STEP_STATUSES
    ]


def _step_of(playbook: Playbook, communication: str) -> str | None:
    return next((step.id for step in playbook.steps if step.communication == communication), None)
