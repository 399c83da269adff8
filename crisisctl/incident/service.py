"""Use cases: load an incident, check the rules, append its events in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from crisisctl.blank import is_blank
from crisisctl.clock import Clock, format_time, parse_at, parse_time
from crisisctl.errors import LogError, RefusedError, UsageError
from crisisctl.incident import communications as comms
from crisisctl.incident import events as ev
from crisisctl.incident import rules
from crisisctl.incident.actions import ActionItem, action_text, next_action_id, parse_due, require_open_action
from crisisctl.incident.evidence import Attachment
from crisisctl.incident.facts import InputChange
from crisisctl.incident.identity import Identity
from crisisctl.incident.ids import INCIDENT_PREFIX, UnknownIdError, normalise_incident_id, unknown_incident
from crisisctl.incident.inputs import parse_inputs
from crisisctl.incident.records import IncidentRow, NewEvent
from crisisctl.incident.remedies import (
    Remedy,
    check_issued_time,
    check_remedy,
    next_remedy_id,
    parse_issued,
    require_remedy,
)
from crisisctl.incident.state import Draft, IncidentState, StepView, apply_newer, fold, step_views
from crisisctl.playbook.build import build_playbook, data_from_json, data_to_json
from crisisctl.playbook.model import Communication, Playbook

if TYPE_CHECKING:
    from crisisctl.incident.port import EventLog, LogTransaction  # a Protocol: about 0.5 ms to create


def pinned_playbook(text: str, sha256: str) -> Playbook:
    """The playbook exactly as it was when the incident was declared, parsed from its pinned text."""
    from crisisctl.playbook.validate import validate_playbook
    from crisisctl.playbook.yamlsource import load_text

    result = validate_playbook(load_text(text, f"pinned:{sha256[:12]}"), dt.date.min)
    if result.playbook is None:
        raise LogError(f"the pinned playbook {sha256[:12]} in the log no longer loads", "run `crisisctl verify`")
    return result.playbook


def playbook_data_json(text: str) -> str | None:
    """The validated data the log keeps beside a pinned playbook text (None if the text is unreadable)."""
    from crisisctl.playbook.yamlsource import load_text, plain_value

    document = load_text(text, "pinned").document
    return data_to_json(plain_value(document)) if document is not None else None


class Declaration(Struct, frozen=True):
    """What an incident lead states when declaring."""

    playbook: Playbook
    title: str
    severity: str
    drill: bool
    inputs: dict[str, Any]
    roles: dict[str, str]
    at: str | None = None
    speed: float = 1.0
    scenario: dict[str, Any] | None = None  # {"id", "sha256", "text"} of a drill's scenario, pinned like the playbook


# What a recording use case adds: given the state, its playbook and the stated time, the events.
EventsFor = Callable[[IncidentState, Playbook, dt.datetime], list[NewEvent]]


class IncidentService:
    """Every change to an incident goes through here, one transaction per command."""

    def __init__(self, log: EventLog, clock: Clock, actor: str | Callable[[], Identity]) -> None:
        self.log = log
        self.clock = clock
        self._actor = actor
        self._identity: Identity | None = None
        self._playbooks: dict[str, Playbook] = {}

    @property
    def identity(self) -> Identity:
        """Who acts, resolved on first use: a read-only command never checks an identity."""
        if self._identity is None:
            self._identity = Identity(self._actor) if isinstance(self._actor, str) else self._actor()
        return self._identity

    @property
    def actor(self) -> str:
        return self.identity.actor

    def playbook_for(self, state: IncidentState) -> Playbook:
        """The pinned playbook: rebuilt from its kept data, or parsed from its text in older logs."""
        sha256 = state.playbook_sha256
        cached = self._playbooks.get(sha256)
        if cached is None:
            text = self.log.playbook_text(sha256)
            if text is None:
                raise LogError(f"the log lacks the playbook pinned by {state.id}", "run `crisisctl verify`")
            data = self.log.playbook_data(sha256)
            if data is not None:
                cached = build_playbook(data_from_json(data), f"pinned:{sha256[:12]}", sha256, text)
            else:
                cached = pinned_playbook(text, sha256)
            self._playbooks[sha256] = cached
        return cached

    def load(self, incident_id: str) -> tuple[IncidentState, Playbook]:
        """The incident's state and its pinned playbook; exit 2 for an unknown id."""
        incident_id = normalise_incident_id(incident_id)
        events = self.log.events_of(incident_id)
        if not events:
            raise self._unknown_incident(incident_id)
        state = fold(events)
        return state, self.playbook_for(state)

    def _unknown_incident(self, incident_id: str) -> UnknownIdError:
        return unknown_incident(incident_id, self.log.incident_ids(newest=2000))

    def declare(self, declaration: Declaration) -> IncidentState:
        playbook = declaration.playbook
        rules.require_severity(playbook, declaration.severity)
        for role in declaration.roles:
            rules.require_role(playbook, role)
        actor = self.actor  # resolved before the lock: a refusal never holds the other writers
        with self.log.write() as writer:
            wall = self.clock.now()
            now = log_time(writer, wall)
            at = parse_at(declaration.at, now, None) if declaration.at else now
            rules.ensure_not_future(at, now)
            number = writer.next_incident_number()
            incident_id = f"{INCIDENT_PREFIX}{number}"
            kept = playbook_data_json(playbook.text)
            assert kept is not None  # the playbook was validated from this very text
            writer.pin_playbook(playbook.sha256, playbook.id, playbook.version, playbook.text, kept)
            data: dict[str, Any] = {
                "number": number,
                "playbook": playbook.id,
                "playbook_version": playbook.version,
                "playbook_sha256": playbook.sha256,
                "title": declaration.title,
                "severity": declaration.severity,
                "drill": declaration.drill,
                "inputs": declaration.inputs,
                "roles": declaration.roles,
            }
            if declaration.drill:
                data["speed"] = declaration.speed
                if declaration.scenario is not None:
                    data["scenario"] = declaration.scenario
            stored = writer.append(
                [NewEvent(incident_id, format_time(at), ev.DECLARED, actor, data)],
                format_time(now),
                format_time(wall),
            )
            state = fold(stored)
            self._playbooks[playbook.sha256] = playbook
            writer.save_incident(incident_row(state))
        return state

    def record(
        self,
        incident_id: str,
        at_text: str | None,
        events_for: EventsFor,
        *,
        closed_ok: bool = False,
        before_declaration_ok: bool = False,
    ) -> IncidentState:
        """The one write path after declaration: rules are checked inside the write lock.

        The history is folded before the lock is taken (a long incident takes a while to fold, and every
        other writer would wait that long); inside, only the events recorded since are read and applied.
        `closed_ok` is for facts that happened regardless, such as the outcome of a delivery that was
        under way when the incident was closed; `before_declaration_ok` for a fact from before the crisis
        (a customer outcome's baseline).
        """
        incident_id, (state, playbook) = normalise_incident_id(incident_id), self.load(incident_id)
        self.identity  # noqa: B018 - resolved before the lock: a refusal never holds the other writers
        with self.log.write() as writer:
            apply_newer(state, writer.events_of(incident_id, after=state.last_seq))
            if not closed_ok:
                rules.ensure_not_closed(state)
            wall = self.clock.now()
            recorded = log_time(writer, wall)
            at = self.stated_time(state, at_text, recorded, before_declaration_ok=before_declaration_ok)
            new_events = events_for(state, playbook, at)
            if new_events:  # none: another writer already recorded what this one would (a drill's injects)
                stored = writer.append(new_events, format_time(recorded), format_time(wall))
                apply_newer(state, stored)
                writer.save_incident(incident_row(state))
        return state

    def stated_time(
        self, state: IncidentState, at_text: str | None, recorded: dt.datetime, *, before_declaration_ok: bool = False
    ) -> dt.datetime:
        """The time an event is stated to have happened (--at), checked against the incident's clock.

        That clock never runs behind the incident's latest recorded time: after a clock that ran fast is
        set right, the incident stays writable, and may be stated up to that time plus the tolerance.
        """
        latest = parse_time(state.events[-1].recorded_at) if state.events else recorded
        now = incident_now(state, max(recorded, latest))
        at = parse_at(at_text, now, state.declared_at) if at_text else now
        if state.drill:  # a scripted drill states drill times ahead of its clock, but within a drill's reach
            rules.ensure_within_drill(state, at)
        else:
            rules.ensure_not_future(at, now)
        if not before_declaration_ok:
            rules.ensure_not_before_declaration(state, at)
        return at

    def step(
        self, incident_id: str, step_id: str, action: str, *, note: str | None, force: bool, at: str | None
    ) -> IncidentState:
        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            step = rules.require_step(playbook, step_id)
            views = step_views(state, playbook, when)
            rules.check_step_action(state, step, action, views, note, force, when)
            data: dict[str, Any] = {"step": step.id}
            if note:
                data["note"] = note
            if force:
                data["forced"] = True
            return [NewEvent(state.id, format_time(when), ev.STEP_EVENT_BY_ACTION[action], self.actor, data)]

        # A closed incident takes no more step events, except on follow-up work (check_step_action says so).
        return self.record(incident_id, at, events_for, closed_ok=True)

    def assign(
        self, incident_id: str, role: str, person: str, *, handover: str | None = None, at: str | None
    ) -> IncidentState:
        """Give a role to a person; with `handover`, the note the previous holder hands over with it."""
        if not person.strip():
            raise UsageError("a role needs a person's name", "crisisctl assign INC ROLE PERSON, e.g. alice")
        if handover is not None and not handover.strip():
            raise UsageError("--handover needs the note handed over", "say what the next holder must know")

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            rules.require_role(playbook, role)
            holder = state.roles.get(role)
            if holder == person:
                raise RefusedError(f"{person} already holds {role} in {state.id}", "nothing to change")
            data: dict[str, Any] = {"role": role, "person": person}
            if handover is not None:
                if not holder:
                    raise RefusedError(
                        f"nobody holds {role} in {state.id}, so there is nothing to hand over",
                        f"assign without --handover: crisisctl assign {state.id} {role} {person}",
                    )
                data["handover"] = {"from": holder, "note": handover}
            return [NewEvent(state.id, format_time(when), ev.ROLE_ASSIGNED, self.actor, data)]

        return self.record(incident_id, at, events_for)

    def unassign(self, incident_id: str, role: str, *, note: str | None, at: str | None) -> IncidentState:
        """Leave a role empty (a required one then shows as unfilled)."""

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            rules.require_role(playbook, role)
            holder = state.roles.get(role)
            if not holder:
                raise RefusedError(f"nobody holds {role} in {state.id}", "nothing to change")
            data = {"role": role, "person": holder} | ({"note": note} if note else {})
            return [NewEvent(state.id, format_time(when), ev.ROLE_UNASSIGNED, self.actor, data)]

        return self.record(incident_id, at, events_for)

    def note(
        self,
        incident_id: str,
        text: str,
        *,
        links: Sequence[str] = (),
        attachments: Sequence[Attachment] = (),
        keep: Callable[[str, Attachment], None] | None = None,
        at: str | None,
    ) -> IncidentState:
        """A note for the timeline, with links and attached files (their digests in the log; `keep` stores
        the bytes inside the write, so a file that cannot be kept records nothing). `action: TEXT` is also
        an action item."""
        if is_blank(text):
            raise UsageError(
                "the note is empty: TEXT has no visible characters",
                "write what happened, e.g. crisisctl note INC-7 'CDN confirms'; nothing was recorded",
            )
        if action_text(text) == "":
            raise UsageError("an `action:` note needs the action's text", "e.g. 'action: rotate the API keys'")

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            data: dict[str, Any] = {"text": text}
            if links:
                data["links"] = list(links)
            if attachments:
                data["attachments"] = [attachment.record() for attachment in attachments]
            if keep is not None:
                for attachment in attachments:
                    keep(state.id, attachment)
            return [NewEvent(state.id, format_time(when), ev.NOTE_ADDED, self.actor, data)]

        return self.record(incident_id, at, events_for)

    def add_action(
        self, incident_id: str, text: str, *, owner: str | None, due: str | None, at: str | None
    ) -> tuple[IncidentState, ActionItem]:
        """A new action item; allowed after the incident is closed (follow-up work outlives it)."""
        if not text.strip():
            raise UsageError("an action item needs its text", "crisisctl action add INC 'rotate the API keys'")
        if owner is not None and not owner.strip():
            raise UsageError("--owner needs a person's name", "e.g. --owner alice, or leave --owner out")
        added: list[str] = []

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            action_id = next_action_id(state.actions.values())
            data: dict[str, Any] = {"action": action_id, "text": text.strip()}
            if owner:
                data["owner"] = owner.strip()
            if due:
                data["due"] = parse_due(due, when)
            added.append(action_id)
            return [NewEvent(state.id, format_time(when), ev.ACTION_ADDED, self.actor, data)]

        state = self.record(incident_id, at, events_for, closed_ok=True)
        return state, state.actions[added[0]]

    def finish_action(
        self, incident_id: str, action_id: str, *, note: str | None, at: str | None
    ) -> tuple[IncidentState, ActionItem]:
        """Mark an action item done; allowed after the incident is closed."""
        finished: list[str] = []

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            item = require_open_action(state.actions, action_id, state.id)
            finished.append(item.id)
            data = {"action": item.id} | ({"note": note} if note else {})
            return [NewEvent(state.id, format_time(when), ev.ACTION_DONE, self.actor, data)]

        state = self.record(incident_id, at, events_for, closed_ok=True)
        return state, state.actions[finished[0]]

    def add_remedy(
        self,
        incident_id: str,
        kind: str,
        *,
        qualifies: str,
        issued: int,
        value: float | None,
        currency: str | None,
        note: str | None,
        at: str | None,
    ) -> tuple[IncidentState, Remedy]:
        """A remedy offered to customers; allowed after the incident is closed (compensation outlives it)."""
        data = check_remedy(kind, qualifies, issued, value, currency)
        added: list[str] = []

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            remedy_id = next_remedy_id(state.remedies.values())
            added.append(remedy_id)
            recorded = {"remedy": remedy_id, **data} | ({"note": note} if note else {})
            return [NewEvent(state.id, format_time(when), ev.REMEDY_ADDED, self.actor, recorded)]

        state = self.record(incident_id, at, events_for, closed_ok=True)
        return state, state.remedies[added[0]]

    def issue_remedy(
        self, incident_id: str, remedy_id: str, issued: str, *, note: str | None, at: str | None
    ) -> tuple[IncidentState, Remedy]:
        """Record how many of a remedy were issued so far (N) or that N more were (+N); also after closing."""
        changed: list[str] = []

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            remedy = require_remedy(state.remedies, remedy_id, state.id)
            total = parse_issued(issued, remedy.issued)
            check_issued_time(remedy, when)
            if total == remedy.issued:
                raise RefusedError(f"{remedy.id} of {state.id} already counts {total} issued", "nothing to change")
            changed.append(remedy.id)
            data = {"remedy": remedy.id, "issued": total, "previous": remedy.issued} | ({"note": note} if note else {})
            return [NewEvent(state.id, format_time(when), ev.REMEDY_ISSUED, self.actor, data)]

        state = self.record(incident_id, at, events_for, closed_ok=True)
        return state, state.remedies[changed[0]]

    def link(
        self, incident_id: str, other_id: str, relation: str, *, note: str | None, at: str | None
    ) -> tuple[IncidentState, IncidentState]:
        """Link two incidents (INC hands over to OTHER, is followed up by it, or is related to it), recorded on
        both in one transaction; allowed on closed incidents, since a follow-up incident comes after the close."""
        from crisisctl.incident.links import RELATIONS

        if relation not in RELATIONS:
            from crisisctl.incident.ids import unknown

            raise unknown("relation", relation, RELATIONS, "")
        first_id, second_id = normalise_incident_id(incident_id), normalise_incident_id(other_id)
        if first_id == second_id:
            raise UsageError(f"{first_id} cannot be linked to itself", "name the other incident, e.g. INC-8")
        (first, _), (second, _) = self.load(first_id), self.load(second_id)
        actor = self.actor  # resolved before the lock: a refusal never holds the other writers
        with self.log.write() as writer:
            for state in (first, second):
                apply_newer(state, writer.events_of(state.id, after=state.last_seq))
            rules.check_link(first, second)
            wall = self.clock.now()
            recorded = log_time(writer, wall)
            when = format_time(self.stated_time(first, at, recorded))
            rules.ensure_not_before_declaration(second, parse_time(when))
            extra = {"note": note} if note else {}
            stored = writer.append(
                [
                    NewEvent(
                        state.id,
                        when,
                        ev.LINKED,
                        actor,
                        {"incident": other.id, "relation": relation, "direction": way} | extra,
                    )
                    for state, other, way in ((first, second, "to"), (second, first, "from"))
                ],
                format_time(recorded),
                format_time(wall),
            )
            for state, event in zip((first, second), stored, strict=True):
                apply_newer(state, [event])
                writer.save_incident(incident_row(state))
        return first, second

    def set_inputs(self, incident_id: str, given: dict[str, str], *, note: str | None, at: str | None) -> FactsRecorded:
        """Record new values of inputs, typed and checked as at declaration, and say which steps that switched
        on or off."""
        if not given:
            raise UsageError("name the fact to change", "crisisctl set INC NAME=VALUE, e.g. affected_customers=12614")
        return self._change_facts(incident_id, lambda playbook: parse_inputs(playbook, given), note=note, at=at)

    def measure(
        self, incident_id: str, metric: str, value: str, *, baseline: bool, note: str | None, at: str | None
    ) -> FactsRecorded:
        """Record a customer outcome (the follow-up figure, or with `baseline` the pre-crisis one) as a fact.

        Outcomes are measured weeks after a crisis, so this is allowed on a closed incident too; a baseline is
        from before the crisis, so it may be stated before the declaration."""
        from crisisctl.incident.inputs import parse_input_value
        from crisisctl.incident.outcomes import measured_input

        def values(playbook: Playbook) -> dict[str, Any]:
            declared = measured_input(playbook, metric, baseline)
            return {declared.id: parse_input_value(declared, value)}

        return self._change_facts(incident_id, values, note=note, at=at, measured=True, baseline=baseline)

    def _change_facts(
        self,
        incident_id: str,
        values_for: Callable[[Playbook], dict[str, Any]],
        *,
        note: str | None,
        at: str | None,
        measured: bool = False,
        baseline: bool = False,
    ) -> FactsRecorded:
        """New values of facts. A measurement (`measured`) is also recorded on a closed incident, and a figure
        measured again is recorded again; a baseline may be stated before the declaration."""
        before: list[StepView] = []
        count: list[int] = []

        from crisisctl.incident.outcomes import check_declared_value_stays_latest  # not loaded by reading commands

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            values = values_for(playbook)
            for name, value in values.items():
                rules.check_input_change(state, name, value, when, repeat_ok=measured)
                check_declared_value_stays_latest(state, name, when)
            before.extend(step_views(state, playbook, when))
            count.append(len(values))
            return self.input_events(state, when, values, note or "")

        state = self.record(incident_id, at, events_for, closed_ok=measured, before_declaration_ok=baseline)
        changes = state.input_changes[-count[0] :]
        after = step_views(state, self.playbook_for(state), changes[-1].at)
        return FactsRecorded(state, changes, *switched_steps(before, after))

    def input_events(
        self, state: IncidentState, when: dt.datetime, values: dict[str, Any], note: str, inject: int | None = None
    ) -> list[NewEvent]:
        """One `input.set` event per changed input, keeping the value it replaces."""
        events = []
        for name, value in values.items():
            data: dict[str, Any] = {"input": name, "value": value, "previous": state.inputs.get(name)}
            if note:
                data["note"] = note
            if inject is not None:
                data["inject"] = inject
            events.append(NewEvent(state.id, format_time(when), ev.INPUT_SET, self.actor, data))
        return events

    def change_severity(self, incident_id: str, level: str, *, note: str, at: str | None) -> IncidentState:
        if not note.strip():
            raise UsageError("a change of severity needs a reason", "add --note TEXT saying why")

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            rules.require_severity(playbook, level)
            if state.severity == level:
                raise RefusedError(f"{state.id} is already {level}", "nothing to change")
            data = {"from": state.severity, "to": level, "note": note}
            return [NewEvent(state.id, format_time(when), ev.SEVERITY_CHANGED, self.actor, data)]

        return self.record(incident_id, at, events_for)

    def draft(
        self,
        incident_id: str,
        communication_id: str,
        locale: str | None,
        render: Renderer,
        *,
        at: str | None,
        keep: Callable[[RenderedDraft], None] | None = None,
    ) -> tuple[IncidentState, RenderedDraft]:
        """Render the notice with the incident's facts and store the text; voids that locale's approvals.

        `keep` is given the draft before it is recorded, inside the write: if it fails (a file that
        cannot be written), nothing is recorded.
        """
        drafted: list[RenderedDraft] = []

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            import hashlib  # here, not at the top: commands that only read never load it

            communication = comms.require_communication(playbook, communication_id)
            chosen = comms.resolve_locale(communication, locale)
            rendered = render(state, playbook, communication, chosen, when)
            if keep is not None:
                keep(rendered)
            drafted.append(rendered)
            data = {
                "communication": communication.id,
                "locale": chosen,
                "text": rendered.text,
                "sha256": hashlib.sha256(rendered.text.encode("utf-8")).hexdigest(),
                "template": rendered.template,
                "template_sha256": rendered.template_sha256,
            }
            return [NewEvent(state.id, format_time(when), ev.COMM_DRAFTED, self.actor, data)]

        state = self.record(incident_id, at, events_for)
        return state, drafted[0]

    def latest_draft(self, incident_id: str, communication_id: str, locale: str | None) -> Draft:
        """The text an approver must read before approving."""
        state, playbook = self.load(incident_id)
        communication = comms.require_communication(playbook, communication_id)
        chosen = comms.resolve_locale(communication, locale)
        return comms.require_draft(communication, chosen, state.communications.get((communication.id, chosen)))

    def approve(
        self,
        incident_id: str,
        communication_id: str,
        locale: str | None,
        role: str,
        *,
        digest: str,
        at: str | None,
    ) -> IncidentState:
        """Approve the latest draft, which must be the text the approver read (`digest`, a sha256 prefix).

        On a team log with a roster the approver is the person the roster names for the signed-in database
        user, so the role holder and the four-eyes rule are checked against people, not against `--as`.
        """
        digest = comms.normalise_digest(digest)
        self.identity.require_vouched()

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            communication = comms.require_communication(playbook, communication_id)
            chosen = comms.resolve_locale(communication, locale)
            rules.require_role(playbook, role)
            record = state.communications.get((communication.id, chosen))
            comms.check_approval(state, communication, chosen, role, self.actor, record, digest)
            assert record is not None and record.draft is not None
            data = {
                "communication": communication.id,
                "locale": chosen,
                "role": role,
                "draft_sha256": record.draft.sha256,
            }
            return [NewEvent(state.id, format_time(when), ev.COMM_APPROVED, self.actor, data)]

        return self.record(incident_id, at, events_for)

    def resolve(self, incident_id: str, *, summary: str | None, at: str | None) -> IncidentState:
        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            rules.check_resolve(state)
            return [NewEvent(state.id, format_time(when), ev.RESOLVED, self.actor, {"summary": summary or ""})]

        return self.record(incident_id, at, events_for)

    def close(self, incident_id: str, *, force: bool, at: str | None) -> IncidentState:
        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            rules.check_close(state, step_views(state, playbook, when), force)
            data = {"forced": True} if force else {}
            return [NewEvent(state.id, format_time(when), ev.CLOSED, self.actor, data)]

        return self.record(incident_id, at, events_for)


class FactsRecorded(Struct, frozen=True):
    """The incident after a change of facts, and the steps the change made applicable or not applicable."""

    state: IncidentState
    changes: list[InputChange]
    now_applicable: list[StepView]
    no_longer_applicable: list[StepView]


def switched_steps(before: list[StepView], after: list[StepView]) -> tuple[list[StepView], list[StepView]]:
    """The steps whose applicability differs between two views of the same playbook's steps."""
    was = {view.step.id: view.applicable_since is not None for view in before}
    on = [view for view in after if view.applicable_since is not None and not was[view.step.id]]
    off = [view for view in after if view.applicable_since is None and was[view.step.id]]
    return on, off


class RenderedDraft(Struct, frozen=True):
    """A notice rendered by the caller: the service records it, it does not render."""

    text: str
    template: str
    template_sha256: str


Renderer = Callable[[IncidentState, Playbook, Communication, str, dt.datetime], RenderedDraft]


def incident_now(state: IncidentState, real_now: dt.datetime) -> dt.datetime:
    """The incident's own clock: real time; for a drill, drill time running `speed` times faster from
    the start, and never behind the latest time a facilitator stated (scripted drills run ahead)."""
    if not state.drill:
        return real_now
    drill_now = state.declared_at + (real_now - state.started_real_at) * state.speed
    stated = [parse_time(event.at) for event in state.events]
    return max([drill_now, *stated])


def log_time(writer: LogTransaction, wall: dt.datetime) -> dt.datetime:
    """The time to record as `recorded_at`: the log's clock (a team log's server; this machine for a
    local log), but never before the log's newest recorded time, so that recorded_at never runs backwards
    when a clock is set back. One laptop's fast clock therefore cannot move a team log's time."""
    clock = writer.server_time() or wall
    newest = writer.newest_recorded_at()
    return max(clock, parse_time(newest)) if newest else clock


def incident_row(state: IncidentState) -> IncidentRow:
    return IncidentRow(
        id=state.id,
        number=state.number,
        playbook=state.playbook_id,
        playbook_version=state.playbook_version,
        title=state.title,
        severity=state.severity,
        status=state.status,
        drill=state.drill,
        declared_at=format_time(state.declared_at),
        last_seq=state.last_seq,
    )
