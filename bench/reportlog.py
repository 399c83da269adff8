"""The `{report_log}` fixture: two long incidents, of 1,000 and 10,000 events, for the post-mortem rows.

Both are outages handled with the bundled `service-outage` playbook (loaded and pinned as in biglog.py), as a
team records them over a day and a half and over ten days: the declaration through `IncidentService.declare`,
then role assignments and shift handovers, steps started and done in dependency order, two severity changes,
status-page, internal and social updates (each drafted with crisisctl's own renderer and the repo's templates,
approved by whoever holds the approving role at that moment, and sent), the resolution, and notes; most
events are notes, a few of them `lesson:` and `action:` notes. Events go in batches through `IncidentLog.write()`
and `writer.append`, so the hash chain is real, and the `incidents` row is kept in step with
`service.incident_row(fold(...))` after every batch. Both incidents end resolved, not closed: the moment a
post-mortem is written.

Cached in bench/results/ like the big log, under a name made of the crisisctl version, the schema version and
GENERATOR_VERSION: bump it whenever this file changes what it writes. `python bench/reportlog.py` builds it
on its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import biglog

from crisisctl import __version__
from crisisctl.clock import FixedClock, format_time
from crisisctl.incident import communications as comms
from crisisctl.incident import events as ev
from crisisctl.incident.inputs import resolve_inputs
from crisisctl.incident.records import NewEvent, StoredEvent
from crisisctl.incident.service import Declaration, IncidentService, Renderer, incident_row
from crisisctl.incident.state import fold
from crisisctl.playbook.conditions import evaluate
from crisisctl.playbook.model import Playbook
from crisisctl.render.drafts import make_renderer
from crisisctl.store import eventlog
from crisisctl.store.database import connect
from crisisctl.store.log import IncidentLog
from crisisctl.store.schema import EXPECTED_DIGEST

GENERATOR_VERSION = 1
SEED = 20261126
EVENTS_PER_TRANSACTION = 1_000
REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates"
PLAYBOOKS = REPO / "playbooks"
SHIFT = dt.timedelta(hours=12)
LESSON_SHARE = 0.03  # of the notes, each for `lesson:` and `action:` notes

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Outage:
    """One incident to write: how many events, when, for how long, and what the lead typed at `declare`."""

    events: int
    declared: dt.datetime
    duration: dt.timedelta  # declaration to resolution
    title: str
    given: dict[str, str]
    summary: str


OUTAGES = (
    Outage(
        events=1_000,
        declared=dt.datetime(2026, 9, 14, 7, 42, 10, tzinfo=dt.UTC),
        duration=dt.timedelta(hours=30),
        title="Online checkout failing",
        given={
            "affected_service": "online checkout",
            "customer_impact": "pay for orders on the website",
            "affected_regions": "eu-west, eu-central",
            "update_interval_minutes": "30",
            "payments_affected": "true",
            "sla_customers_affected": "true",
        },
        summary="rolled back release 2026.09.14-1 and rebuilt the payment session cache; error rates at baseline",
    ),
    Outage(
        events=10_000,
        declared=dt.datetime(2026, 10, 5, 2, 17, 45, tzinfo=dt.UTC),
        duration=dt.timedelta(days=10),
        title="Payments API degraded across Europe",
        given={
            "affected_service": "payments API",
            "customer_impact": "pay by card in the app or on the website",
            "affected_regions": "eu-west, eu-central, us-east",
            "update_interval_minutes": "60",
            "payments_affected": "true",
            "data_loss_possible": "true",
            "sla_customers_affected": "true",
        },
        summary="storage cluster rebuilt, ledger replayed from the last consistent backup; payments reconciled",
    ),
)

# Who holds each role, shift by shift (12 hours); the first incident lead declares. The customer-service lead
# stays for the whole incident.
ROSTER = {
    "incident-lead": ("alice.ng", "frank.muller", "judy.okafor"),
    "tech-lead": ("bob.smith", "heidi.garcia", "ivan.ng"),
    "comms-lead": ("carol.garcia", "grace.smith"),
    "scribe": ("erin.muller", "dan.ng"),
    "cs-lead": ("dan.okafor",),
}
ENGINEERS = tuple(person for person in biglog.PEOPLE if all(person not in team for team in ROSTER.values()))
REGIONS = ("eu-west", "eu-central", "us-east")
NOTES = (
    "error rate on {service} at {n} % in {region}",
    "p99 latency {n} ms on the {region} edge",
    "rolled back {component} in {region}; watching the error rate",
    "{component} restarted in {region}; no change yet",
    "support reports {n} contacts in the last hour",
    "status page component set to 'major outage' for {region}",
    "payment provider confirms elevated declines on their side",
    "queue depth {n}k and falling",
    "queue depth {n}k and rising again",
    "database connections exhausted; pool size raised to {n}",
    "failover of {component} to us-east started",
    "failover of {component} finished; traffic at {n} %",
    "synthetic checks green in {region}, real-user errors still at {n} %",
    "{person} joined the bridge",
    "{person} left the bridge; handover notes in the channel",
    "deploy freeze extended by 12 hours",
    "vendor escalation opened, reference {n}",
    "customers in {region} still see timeouts at checkout",
    "reconciliation job {n} of 40 finished; no duplicates found",
    "reconciliation job {n} of 40 found duplicate charges; refunds queued",
    "canary of the fix in {region} at {n} % of traffic",
    "fix rolled out to {region}; errors back under 1 %",
    "next decision point at the top of the hour",
    "cache hit ratio {n} % after warm-up",
    "disk latency on storage node {n} above 400 ms",
    "ledger replay at {n} % of the backlog",
)
LESSONS = (
    "lesson: the synthetic checks did not cover {service}",
    "lesson: the runbook for {component} assumed a single region",
    "lesson: the status page took {n} minutes to update because only one person had access",
    "lesson: alerts fired in {region} but paged nobody during the handover",
    "lesson: we lost {n} minutes waiting for the vendor's status page instead of calling them",
    "lesson: the rollback of {component} was not rehearsed and took longer than the fix",
)
ACTIONS = (
    "action: add an alert on checkout success rate (owner: {person})",
    "action: give every comms lead access to the status page (owner: {person})",
    "action: rehearse the failover of {component} every quarter (owner: {person})",
    "action: cap the connection pool of {component} at {n} and alert at 80 % (owner: {person})",
    "action: document the vendor escalation path in the playbook (owner: {person})",
    "action: add {region} to the synthetic checks (owner: {person})",
)
COMPONENTS = ("the payment gateway", "the session cache", "the checkout service", "the storage cluster", "the CDN")
STEP_NOTES = {
    "confirm-impact": "card payments failing for about {n} % of customers; the last release went out 15 minutes before",
    "mitigate": "rolled back, failed the session cache over to us-east and shed batch traffic; errors at baseline",
    "protect-payments": "{n} duplicate charges found and refunded; provider records match ours for the window",
    "check-data-integrity": "ledger replayed from the 02:00 UTC backup; {n} orders repaired, customers listed",
    "confirm-recovery": "error and success rates at baseline for 60 minutes; queues drained",
}


@dataclass(frozen=True)
class ReportLog:
    """A built log and what the benchmark rows need to know about it."""

    path: Path
    events: int
    incidents: dict[str, int]  # incident id: number of events
    build_s: float
    cached: bool = False

    def incident_with(self, events: int) -> str:
        """The id of the incident with this many events."""
        for incident, count in self.incidents.items():
            if count == events:
                return incident
        raise KeyError(f"the report log has no incident of {events:,} events: {self.incidents}")


def cache_key() -> str:
    return f"report-log-{__version__}-schema{EXPECTED_DIGEST[7:19]}-gen{GENERATOR_VERSION}"


def ensure(cache_dir: Path, progress: Progress = lambda message: None) -> ReportLog:
    """The cached log for this crisisctl version, schema and generator; built (some seconds) when missing."""
    path, meta_path = cache_dir / f"{cache_key()}.sqlite3", cache_dir / f"{cache_key()}.json"
    if path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return ReportLog(**{**meta, "path": path, "cached": True})
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob("report-log-*"):  # logs of other versions
        if not stale.name.startswith(cache_key()):
            stale.unlink()
    partial = cache_dir / f"{cache_key()}.partial"
    started = time.perf_counter()
    incidents = build(partial, progress)
    partial.rename(path)
    built = ReportLog(path, sum(incidents.values()), incidents, round(time.perf_counter() - started, 1))
    meta = {key: value for key, value in asdict(built).items() if key not in ("path", "cached")}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return built


# --- What happens in each incident --------------------------------------------------------------------------------


@dataclass
class Planned:
    """One event to write. `actor` is a person, or `@role` for whoever holds the role when it is written;
    the data of communication events is completed then too (the draft's text, the hash it approves)."""

    at: dt.datetime  # the time stated
    recorded: dt.datetime  # when it was recorded: a second or two later, or up to 15 minutes for `--at` notes
    kind: str
    actor: str
    data: dict[str, Any]


def _text(rng: random.Random, pattern: str) -> str:
    return pattern.format(
        n=rng.randint(2, 99),
        service=rng.choice(("online checkout", "payments API", "the mobile app")),
        region=rng.choice(REGIONS),
        component=rng.choice(COMPONENTS),
        person=rng.choice(ENGINEERS),
    )


def _holder(role: str, offset: dt.timedelta) -> str:
    roster = ROSTER[role]
    return roster[int(offset / SHIFT) % len(roster)]


def minutes(value: float) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def _plan(rng: random.Random, playbook: Playbook, outage: Outage, inputs: dict[str, Any]) -> list[Planned]:
    """Every event after the declaration, ordered by when it was recorded."""
    start, duration = outage.declared, outage.duration
    planned: list[Planned] = []

    def add(offset: dt.timedelta, kind: str, actor: str, data: dict[str, Any]) -> None:
        at = start + offset
        planned.append(Planned(at, at + dt.timedelta(seconds=rng.uniform(0.05, 2)), kind, actor, data))

    # Roles: filled in the first minutes, then handed over at every shift change.
    for role, minute in (("tech-lead", 1), ("comms-lead", 2), ("scribe", 3), ("cs-lead", 4)):
        add(minutes(minute), ev.ROLE_ASSIGNED, "@incident-lead", {"role": role, "person": ROSTER[role][0]})
    shift = SHIFT
    while shift < duration + minutes(60):
        for role in ("incident-lead", "tech-lead", "comms-lead", "scribe"):
            person = _holder(role, shift)
            add(shift + minutes(rng.uniform(0, 10)), ev.ROLE_ASSIGNED, person, {"role": role, "person": person})
        shift += SHIFT

    # Steps, in dependency order; those with a notice are done once it is sent.
    steps = {step.id: step for step in playbook.steps if (step.when is None or evaluate(step.when, inputs).holds)}
    timings = {
        "confirm-impact": (minutes(2), minutes(11)),
        "open-bridge": (minutes(3), minutes(8)),
        "first-status-update": (minutes(14), minutes(25)),
        "brief-support": (minutes(16), minutes(28)),
        "mitigate": (minutes(20), duration * 0.6),
        "social-update": (minutes(30), minutes(41)),
        "protect-payments": (duration * 0.6 + minutes(15), duration * 0.85),
        "check-data-integrity": (duration * 0.6 + minutes(20), duration * 0.8),
        "confirm-recovery": (duration * 0.9, duration - minutes(3)),
        "sla-credits": (duration + minutes(40), None),  # started after the resolution, not done yet
    }
    for step_id, (started, done) in timings.items():
        if step_id not in steps:
            continue
        actor = f"@{steps[step_id].role}"
        add(started, ev.STEP_STARTED, actor, {"step": step_id})
        if done is not None:
            data = {"step": step_id}
            if step_id in STEP_NOTES:
                data["note"] = _text(rng, STEP_NOTES[step_id])
            add(done, ev.STEP_DONE, actor, data)

    # Severity: escalated once the impact is confirmed, lowered once the service is restored.
    add(
        minutes(13),
        ev.SEVERITY_CHANGED,
        "@incident-lead",
        {"from": "sev2", "to": "sev1", "note": "over a third of card payments failing; escalating"},
    )
    add(
        duration * 0.6 + minutes(25),
        ev.SEVERITY_CHANGED,
        "@incident-lead",
        {"from": "sev1", "to": "sev2", "note": "service restored; payments being reconciled"},
    )
    add(duration, ev.RESOLVED, "@incident-lead", {"summary": outage.summary})

    # Notices: drafted, approved and sent on a rhythm until the resolution, then once more with the resolved wording.
    rhythms = {
        "status-update": (minutes(17), minutes(int(inputs["update_interval_minutes"]))),
        "internal-update": (minutes(20), dt.timedelta(hours=4)),
        "social-update": (minutes(33), dt.timedelta(hours=12)),
    }
    for number, (comm_id, (first, every)) in enumerate(rhythms.items()):
        communication = next(c for c in playbook.communications if c.id == comm_id)
        drafter = "@cs-lead" if comm_id == "internal-update" else "@comms-lead"
        moments = [first + every * n for n in range(int((duration - first) / every) + 1)]
        for offset in [*moments, duration + minutes(5 * (number + 1))]:
            add(offset, ev.COMM_DRAFTED, drafter, {"communication": comm_id})
            approved = offset + minutes(rng.uniform(1, 4))
            for role in communication.approvals:
                add(approved, ev.COMM_APPROVED, f"@{role}", {"communication": comm_id, "role": role})
            add(approved + minutes(rng.uniform(0.5, 2)), ev.COMM_SENT, drafter, {"communication": comm_id})

    # Notes fill the rest: mostly the scribe's, some by the technical lead and engineers on the bridge.
    notes = outage.events - 1 - len(planned)
    if notes < 0:
        raise ValueError(f"{outage.events} events are too few for {outage.title!r}: {len(planned) + 1} are needed")
    end = (duration + minutes(45)).total_seconds()
    for _ in range(notes):
        at = start + dt.timedelta(seconds=rng.uniform(300, end))
        draw = rng.random()
        pattern = rng.choice(LESSONS if draw < LESSON_SHARE else ACTIONS if draw < 2 * LESSON_SHARE else NOTES)
        actor = rng.choices(("@scribe", "@tech-lead", rng.choice(ENGINEERS)), weights=(6, 2, 2))[0]
        recorded = at + dt.timedelta(seconds=rng.uniform(0.05, 2))
        if rng.random() < 0.1:  # recorded later with --at -10m
            recorded += minutes(rng.uniform(1, 15))
        planned.append(Planned(at, recorded, ev.NOTE_ADDED, actor, {"text": _text(rng, pattern)}))

    return sorted(planned, key=lambda item: item.recorded)


# --- Writing ------------------------------------------------------------------------------------------------------


class Writer:
    """Completes planned events as they are written: actors by role, drafts rendered with the state so far."""

    def __init__(self, playbook: Playbook, renderer: Renderer, history: list[StoredEvent]) -> None:
        self.playbook = playbook
        self.renderer = renderer
        self.history = history
        self.roles = dict(fold(history).roles)
        self.drafts: dict[str, str] = {}  # communication: sha256 of its latest draft

    def event(self, item: Planned) -> NewEvent:
        incident = self.history[0].incident
        actor = self.roles[item.actor[1:]] if item.actor.startswith("@") else item.actor
        data = item.data
        if item.kind.startswith("communication."):
            communication = comms.require_communication(self.playbook, data["communication"])
            locale = comms.resolve_locale(communication, None)
            data = {"communication": communication.id, "locale": locale}
            if item.kind == ev.COMM_DRAFTED:
                rendered = self.renderer(fold(self.history), self.playbook, communication, locale, item.at)
                sha256 = self.drafts[communication.id] = hashlib.sha256(rendered.text.encode("utf-8")).hexdigest()
                data |= {
                    "text": rendered.text,
                    "sha256": sha256,
                    "template": rendered.template,
                    "template_sha256": rendered.template_sha256,
                }
            elif item.kind == ev.COMM_APPROVED:
                data |= {"role": item.data["role"], "draft_sha256": self.drafts[communication.id]}
            else:
                stem = f"{item.at:%Y%m%dT%H%M%SZ}-{communication.id}"
                data |= {
                    "draft_sha256": self.drafts[communication.id],
                    "channel": communication.channel,
                    "outbox": f"/srv/crisisctl/outbox/{incident}/{stem}.{communication.channel}.md",
                    "detail": f"written for the {communication.channel} channel",
                }
                if communication.channel == "email":
                    data["outbox"] = f"/srv/crisisctl/outbox/{incident}/{stem}.eml"
                    data["detail"] = "written to the outbox (no SMTP server configured)"
        elif item.kind == ev.ROLE_ASSIGNED:
            self.roles[data["role"]] = data["person"]
        return NewEvent(incident, format_time(item.at), item.kind, actor, data)


def build(path: Path, progress: Progress) -> dict[str, int]:
    """Write the log at `path` (replacing it); the incidents' ids and sizes."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    playbook = biglog.load_playbook()
    renderer = make_renderer(TEMPLATES, [PLAYBOOKS])
    log = IncidentLog(path)
    sizes: dict[str, int] = {}
    try:
        for number, outage in enumerate(OUTAGES, start=1):
            rng = random.Random(SEED + number)
            inputs, missing = resolve_inputs(playbook, outage.given)
            if missing:
                raise ValueError(f"inputs missing for {outage.title!r}: {[i.id for i in missing]}")
            lead = ROSTER["incident-lead"][0]
            service = IncidentService(log, FixedClock(outage.declared + dt.timedelta(seconds=40)), lead)
            declaration = Declaration(
                playbook, outage.title, "sev2", False, inputs, {"incident-lead": lead}, at=format_time(outage.declared)
            )
            state = service.declare(declaration)
            history = list(state.events)
            writer = Writer(playbook, renderer, history)
            plan = _plan(rng, playbook, outage, inputs)
            for first in range(0, len(plan), EVENTS_PER_TRANSACTION):
                with log.write() as transaction:
                    for item in plan[first : first + EVENTS_PER_TRANSACTION]:
                        (stored,) = transaction.append([writer.event(item)], format_time(item.recorded))
                        history.append(stored)
                    transaction.save_incident(incident_row(fold(history)))
                progress(f"building the report log: {state.id}, {len(history):,}/{outage.events:,} events")
            final = fold(history)
            if len(history) != outage.events or final.status != "resolved":
                raise RuntimeError(f"{state.id}: {len(history)} events, {final.status}; expected {outage.events}")
            sizes[state.id] = outage.events
    finally:
        log.close()
    progress("building the report log: verifying the chain")
    connection = connect(path, create=False)
    assert connection is not None
    try:
        verification = eventlog.verify(connection)
    finally:
        connection.close()
    if not verification.ok or verification.events != sum(sizes.values()):
        raise RuntimeError(f"the generated log is inconsistent: {verification}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build (or find) the cached report log and print where it is.")
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)
    log = ensure(args.cache, lambda message: print(message, file=sys.stderr))
    print(json.dumps({**asdict(log), "path": str(log.path)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
