"""Random command sequences through two connections: state is always a replay of the events.

After every step: the incident list (written alongside the events) equals a fresh fold
of the events, as does a fold of the first events caught up with the rest; the hash chain
and the list verify; and a refused command left the log unchanged. On both stores: a new
SQLite file for each example, or the PostgreSQL database emptied; on PostgreSQL the list is
derived by the server (crisisctl_save_incident), so the invariant checks it against the fold.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from budget import examples
from conftest import is_pg, raw
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from crisisctl.clock import FixedClock
from crisisctl.errors import CrisisError
from crisisctl.incident.listing import INCIDENT_LIST_RULE
from crisisctl.incident.records import NewEvent
from crisisctl.incident.service import Declaration, IncidentService, incident_row, playbook_data_json
from crisisctl.incident.state import apply_newer, fold
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.validate import validate_playbook
from crisisctl.playbook.yamlsource import load_file
from crisisctl.store.opening import open_log

BASE = Path(__file__).parent / "corpus" / "base-playbook.yaml"


def _base_playbook() -> Playbook:
    playbook = validate_playbook(load_file(BASE), dt.date(2026, 11, 25)).playbook
    assert playbook is not None, "the corpus's base playbook is valid"
    return playbook


PLAYBOOK = _base_playbook()
assert PLAYBOOK is not None
assert PLAYBOOK is not None
START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)

steps = st.sampled_from(["assess", "notify", "nosuch"])
actions = st.sampled_from(["start", "done", "skip", "block"])
notes = st.one_of(st.none(), st.text(max_size=20))
people = st.sampled_from(["alice", "bob", "chen"])
roles = st.sampled_from(["incident-lead", "comms-lead", "nosuch"])
facts = st.tuples(st.sampled_from(["affected_customers", "nosuch"]), st.sampled_from(["5", "7", "1e3", "many"]))


class IncidentMachine(RuleBasedStateMachine):
    def __init__(self, new_log: Callable[[], str]) -> None:
        super().__init__()
        self.target = new_log()
        self.minutes = 0
        self.logs = [open_log(self.target), open_log(self.target)]
        self.incidents: list[str] = []

    def service(self, which: int) -> IncidentService:
        self.minutes += 1
        clock = FixedClock(START + dt.timedelta(minutes=self.minutes))
        return IncidentService(self.logs[which], clock, actor=f"user{which}")

    def total_events(self) -> int:
        return sum(len(self.logs[0].events_of(incident)) for incident in self.incidents)

    def attempt(self, action: object) -> None:
        """Run a command; if it is refused, the log must be exactly as before."""
        before = self.total_events()
        try:
            action()  # type: ignore[operator]
        except CrisisError:
            event("refused")
            assert self.total_events() == before

    @rule(which=st.integers(0, 1), drill=st.booleans())
    def declare(self, which: int, drill: bool) -> None:
        declaration = Declaration(PLAYBOOK, "Outage", "sev2", drill, {"affected_customers": 5}, {})
        state = self.service(which).declare(declaration)
        self.incidents.append(state.id)

    @precondition(lambda self: self.incidents)
    @rule(
        which=st.integers(0, 1), index=st.integers(0, 20), step=steps, action=actions, note=notes, force=st.booleans()
    )
    def record_step(self, which: int, index: int, step: str, action: str, note: str | None, force: bool) -> None:
        incident = self.incidents[index % len(self.incidents)]
        self.attempt(lambda: self.service(which).step(incident, step, action, note=note, force=force, at=None))

    @precondition(lambda self: self.incidents)
    @rule(which=st.integers(0, 1), index=st.integers(0, 20), role=roles, person=people)
    def assign(self, which: int, index: int, role: str, person: str) -> None:
        incident = self.incidents[index % len(self.incidents)]
        self.attempt(lambda: self.service(which).assign(incident, role, person, at=None))

    @precondition(lambda self: self.incidents)
    @rule(which=st.integers(0, 1), index=st.integers(0, 20), text=st.text(max_size=40))
    def note(self, which: int, index: int, text: str) -> None:
        incident = self.incidents[index % len(self.incidents)]
        self.attempt(lambda: self.service(which).note(incident, text, at=None))

    @precondition(lambda self: self.incidents)
    @rule(which=st.integers(0, 1), index=st.integers(0, 20), fact=facts, note=notes)
    def set_fact(self, which: int, index: int, fact: tuple[str, str], note: str | None) -> None:
        incident = self.incidents[index % len(self.incidents)]
        self.attempt(lambda: self.service(which).set_inputs(incident, dict([fact]), note=note, at=None))

    @precondition(lambda self: self.incidents)
    @rule(which=st.integers(0, 1), index=st.integers(0, 20), level=st.sampled_from(["sev1", "sev2", "sev3", "sev9"]))
    def severity(self, which: int, index: int, level: str) -> None:
        incident = self.incidents[index % len(self.incidents)]
        self.attempt(lambda: self.service(which).change_severity(incident, level, note="why", at=None))

    @precondition(lambda self: self.incidents)
    @rule(which=st.integers(0, 1), index=st.integers(0, 20))
    def resolve(self, which: int, index: int) -> None:
        incident = self.incidents[index % len(self.incidents)]
        self.attempt(lambda: self.service(which).resolve(incident, summary="done", at=None))

    @precondition(lambda self: self.incidents)
    @rule(which=st.integers(0, 1), index=st.integers(0, 20), force=st.booleans())
    def close(self, which: int, index: int, force: bool) -> None:
        incident = self.incidents[index % len(self.incidents)]
        self.attempt(lambda: self.service(which).close(incident, force=force, at=None))

    @rule(which=st.integers(0, 1))
    def reopen(self, which: int) -> None:
        self.logs[which].close()
        self.logs[which] = open_log(self.target)

    @precondition(lambda self: self.incidents)
    @rule(which=st.integers(0, 1), index=st.integers(0, 20))
    def abandoned_transaction(self, which: int, index: int) -> None:
        """A write that dies half-way (after appending) leaves no trace."""
        incident = self.incidents[index % len(self.incidents)]
        before = self.total_events()
        try:
            with self.logs[which].write() as writer:
                writer.append(
                    [NewEvent(incident, "2026-11-25T09:00:00.000000Z", "note.added", "x", {"text": "lost"})], "now"
                )
                raise RuntimeError("crash half-way")
        except RuntimeError:
            pass
        assert self.total_events() == before

    @invariant()
    def state_is_a_replay_of_the_events(self) -> None:
        for incident in self.incidents:
            events = self.logs[1].events_of(incident)
            replayed = fold(events)
            assert self.logs[0].incident(incident) == incident_row(replayed)
            for split in {1, max(1, len(events) // 2), len(events)}:  # catching up on later events is folding them
                assert apply_newer(fold(events[:split]), events[split:]) == replayed
            assert [event.seq for event in events] == sorted(event.seq for event in events)

    @invariant()
    def chain_verifies(self) -> None:
        if self.incidents:
            assert self.logs[0].verify(playbook_data_json, incident_list=INCIDENT_LIST_RULE).ok

    def teardown(self) -> None:
        for log in self.logs:
            log.close()


@pytest.mark.slow
def test_incident_engine(backend: str, tmp_path: Path) -> None:
    numbers = itertools.count()

    def new_log() -> str:
        """An empty place for a new log: another SQLite file, or the database emptied of everything (its
        schema dropped, as the tests' superuser), so that each example's first command creates the log."""
        if not is_pg(backend):
            return str(tmp_path / f"log-{next(numbers)}.sqlite3")
        with raw(backend) as connection:
            connection.script("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        return backend

    run_state_machine_as_test(
        lambda: IncidentMachine(new_log),  # type: ignore[arg-type]  # a factory, as documented; typed as the class
        settings=settings(
            max_examples=examples(40),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
