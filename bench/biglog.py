"""The `{big_log}` fixture: 100,000 incidents and 1,000,000 events, written with crisisctl's own store code.

The log is what years of use of the bundled `service-outage` playbook would leave behind: that playbook pinned
once in `playbook_snapshots`; incidents declared every few minutes over three years, each with about ten events
(declaration, role assignments, steps started and done, notes, resolution, closure); most closed, a few hundred
resolved or still open. Events of incidents that overlap in time are interleaved in the order they were recorded,
as in a real log. Every event goes through `eventlog.append`, so the hash chain is real and `crisisctl verify`
passes, and the `incidents` table is kept in step with `fold` and `service.incident_row`, as the service does.

Building takes about a minute, so the log is cached in bench/results/ (git-ignored) under a name made of the
crisisctl version, the schema version (the number of migrations) and GENERATOR_VERSION. Bump GENERATOR_VERSION
whenever this file changes what it writes. Run `python bench/biglog.py [--incidents N]` to build one on its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from crisisctl import __version__
from crisisctl.clock import format_time
from crisisctl.incident import events as ev
from crisisctl.incident.ids import INCIDENT_PREFIX
from crisisctl.incident.inputs import resolve_inputs
from crisisctl.incident.records import NewEvent, StoredEvent
from crisisctl.incident.service import incident_row, playbook_data_json
from crisisctl.incident.state import fold
from crisisctl.playbook.catalog import find_playbook
from crisisctl.playbook.conditions import evaluate
from crisisctl.playbook.model import Playbook
from crisisctl.store import eventlog
from crisisctl.store.clientids import ClientIds
from crisisctl.store.database import connect, transaction
from crisisctl.store.log import LogWriter
from crisisctl.store.schema import EXPECTED_DIGEST

GENERATOR_VERSION = 4  # 3: the log keeps each pinned playbook's data (schema 2); 4: rows write to real incidents only
PLAYBOOK_ID = "service-outage"
INCIDENTS = 100_000
EVENTS = 1_000_000
OPEN = 300  # incidents still open at the end of the log; the per-incident rows use them
RESOLVED = 200  # resolved, not yet closed
EVENTS_PER_TRANSACTION = 10_000
SEED = 20261125
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # the last declaration is a week before this
SPAN = dt.timedelta(days=3 * 365)
STEP_FOR_DONE = "postmortem"  # the step `step done ... --force` records; pending in every open incident

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BigLog:
    """A built log and what the benchmark rows need to know about it."""

    path: Path
    incidents: int
    events: int
    open: int
    anchor: str
    read_incident: str  # an open incident that only the read-only rows use
    note_incident: str  # an open incident that the `note` row writes to
    step: str
    step_incidents: tuple[str, ...]  # open incidents with `step` pending: one per `step done --force` run
    build_s: float
    cached: bool = False


def cache_key() -> str:
    return f"big-log-{__version__}-schema{EXPECTED_DIGEST[7:19]}-gen{GENERATOR_VERSION}"


def ensure(cache_dir: Path, progress: Progress = lambda message: None, incidents: int = INCIDENTS) -> BigLog:
    """The cached log for this crisisctl version, schema and generator; built (a minute or so) when missing."""
    name = cache_key() if incidents == INCIDENTS else f"{cache_key()}-{incidents}"
    path, meta_path = cache_dir / f"{name}.sqlite3", cache_dir / f"{name}.json"
    if path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["step_incidents"] = tuple(meta["step_incidents"])
        return BigLog(**{**meta, "path": path, "cached": True})
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob("big-log-*"):  # logs of other versions: about 400 MB each
        if not stale.name.startswith(cache_key()):
            stale.unlink()
    partial = cache_dir / f"{name}.partial"
    started = time.perf_counter()
    built = build(partial, incidents, round(EVENTS * incidents / INCIDENTS), progress)
    built = BigLog(**{**asdict(built), "path": path, "build_s": round(time.perf_counter() - started, 1)})
    partial.rename(path)
    meta = {key: value for key, value in asdict(built).items() if key not in ("path", "cached")}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return built


# --- What happens in each incident --------------------------------------------------------------------------------

SERVICES = (
    "online checkout",
    "mobile app login",
    "customer portal",
    "order tracking",
    "payments API",
    "search",
    "account sign-up",
    "email notifications",
)
IMPACTS = (
    "pay for orders on the website",
    "log in to the mobile app",
    "see their invoices",
    "track their parcels",
    "reset their password",
    "place orders by phone",
)
REGIONS = ("all regions", "eu-west", "eu-central", "us-east", "us-west", "ap-southeast")
PEOPLE = tuple(
    f"{first}.{last}"
    for first in ("alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan", "judy")
    for last in ("ng", "smith", "garcia", "okafor", "muller")
)
NOTES = (
    "error rate back under 1 % after the rollback",
    "CDN provider confirms a misconfiguration on their side",
    "status page updated; next update in 30 minutes",
    "support reports {n} contacts in the last hour",
    "failover to the standby region started",
    "lesson: the synthetic checks did not cover {service}",
    "action: add an alert on checkout success rate (owner: {person})",
    "database connections exhausted; pool size raised from 50 to {n}",
    "deploy freeze announced in #engineering",
    "customers in {region} still see timeouts",
)
SUMMARIES = (
    "rolled back release {n}; error rates at baseline for an hour",
    "failed over to the standby region; root cause in the load balancer configuration",
    "CDN configuration restored by the provider",
    "connection pool resized and the leaking worker fixed",
)


@dataclass
class Planned:
    """One incident's events, with the times they were recorded."""

    number: int
    events: list[tuple[dt.datetime, NewEvent]]


def _text(rng: random.Random, pattern: str) -> str:
    return pattern.format(
        n=rng.randint(12, 900), service=rng.choice(SERVICES), person=rng.choice(PEOPLE), region=rng.choice(REGIONS)
    )


def _sizes(rng: random.Random, statuses: list[str], total: int) -> list[int]:
    """Events per incident, by status, adjusted so that they add up to exactly `total`."""
    bounds = {"open": (3, 12), "resolved": (6, 14), "closed": (6, 14)}
    sizes = [rng.randint(*bounds[status]) for status in statuses]
    excess = sum(sizes) - total
    while excess:
        i = rng.randrange(len(sizes))
        low, high = bounds[statuses[i]]
        step = -1 if excess > 0 else 1
        if low <= sizes[i] + step <= high:
            sizes[i] += step
            excess += step
    return sizes


def _statuses(rng: random.Random, count: int) -> list[str]:
    """Most incidents closed; the open and resolved ones mostly recent, a few forgotten long ago."""
    statuses = ["closed"] * count
    open_count, resolved_count = min(OPEN, count // 4), min(RESOLVED, count // 4)
    recent_from = max(0, count - 4 * (open_count + resolved_count))
    older = range(recent_from)
    stale_open, stale_resolved = (open_count // 6, resolved_count // 4) if recent_from else (0, 0)
    fresh = rng.sample(range(recent_from, count), open_count + resolved_count - stale_open - stale_resolved)
    stale = rng.sample(older, stale_open + stale_resolved)
    for i in fresh[open_count - stale_open :] + stale[stale_open:]:
        statuses[i] = "resolved"
    for i in fresh[: open_count - stale_open] + stale[:stale_open]:
        statuses[i] = "open"
    return statuses


def _plan(
    rng: random.Random, playbook: Playbook, number: int, declared: dt.datetime, status: str, size: int
) -> Planned:
    """`size` events a team would record, in an order the service accepts (dependencies first, or forced)."""
    incident = f"{INCIDENT_PREFIX}{number}"
    person = rng.choice(PEOPLE)
    given = {
        "affected_service": rng.choice(SERVICES),
        "customer_impact": rng.choice(IMPACTS),
        "payments_affected": rng.choice(("true", "false", "false")),
        "data_loss_possible": rng.choice(("true", "false", "false", "false")),
        "sla_customers_affected": rng.choice(("true", "false")),
    }
    if rng.random() < 0.5:
        given["affected_regions"] = ", ".join(rng.sample(REGIONS[1:], rng.randint(1, 3)))
    inputs, _ = resolve_inputs(playbook, given)
    severity = rng.choices([s.id for s in playbook.severities], weights=(2, 4, 3, 1))[0]
    title = f"{given['affected_service'].capitalize()} {rng.choice(('down', 'degraded', 'failing'))}"
    data = {
        "number": number,
        "playbook": playbook.id,
        "playbook_version": playbook.version,
        "playbook_sha256": playbook.sha256,
        "title": title,
        "severity": severity,
        "drill": rng.random() < 0.05,
        "inputs": inputs,
        "roles": {"incident-lead": person},
    }
    if data["drill"]:
        data["speed"] = 1.0  # as the service records a drill declared outside `crisisctl drill`
    events: list[tuple[str, dict[str, Any]]] = [(ev.DECLARED, data)]
    tail: list[tuple[str, dict[str, Any]]] = []
    if status != "open":
        tail.append((ev.RESOLVED, {"summary": _text(rng, rng.choice(SUMMARIES))}))
    slots = size - 1 - len(tail) - (status == "closed")  # for assignments, notes and steps
    roles = [role.id for role in playbook.roles if role.id != "incident-lead"]
    assigned = rng.sample(roles, min(rng.randint(1, 3), slots))
    for role in assigned:
        events.append((ev.ROLE_ASSIGNED, {"role": role, "person": rng.choice(PEOPLE)}))
    notes = min(rng.choice((0, 1, 1, 2)), slots - len(assigned))
    budget = slots - len(assigned) - notes  # step events
    done: set[str] = set()
    applicable = [
        step
        for step in playbook.steps
        if (step.when is None or evaluate(step.when, inputs).holds) and step.id != STEP_FOR_DONE
    ]
    if status != "open":
        applicable += [step for step in playbook.steps if step.id == STEP_FOR_DONE]
    for step in applicable:
        if budget <= 0:
            break
        step_data: dict[str, Any] = {"step": step.id}
        if any(dep not in done for dep in step.depends_on):
            step_data["forced"] = True
        if budget >= 2 and rng.random() < 0.4:
            events.append((ev.STEP_STARTED, {"step": step.id}))
            budget -= 1
        if rng.random() < 0.2:
            step_data["note"] = _text(rng, rng.choice(NOTES))
        events.append((ev.STEP_DONE, step_data))
        done.add(step.id)
        budget -= 1
    notes += max(0, budget)  # steps ran out: the rest are notes
    for _ in range(notes):
        events.insert(rng.randint(1, len(events)), (ev.NOTE_ADDED, {"text": _text(rng, rng.choice(NOTES))}))
    if status == "closed":
        finished = all(step.id in done for step in applicable)
        tail.append((ev.CLOSED, {} if finished else {"forced": True}))
    events += tail
    assert len(events) == size, (number, status, size, len(events))

    planned, at = [], declared
    for i, (kind, event_data) in enumerate(events):
        if i:
            gap = rng.expovariate(1 / (3600 * 24 if kind == ev.CLOSED else 1500))
            at += dt.timedelta(seconds=2 + min(gap, 5 * 24 * 3600))  # after the previous one was recorded
        recorded = at + dt.timedelta(seconds=rng.uniform(0.05, 2))
        stated = at
        if i and rng.random() < 0.1:  # recorded later with --at -10m
            stated = max(declared, at - dt.timedelta(minutes=rng.uniform(1, 15)))
        planned.append((recorded, NewEvent(incident, format_time(stated), kind, rng.choice(PEOPLE), event_data)))
    return Planned(number, planned)


def _recorded_order(
    rng: random.Random, playbook: Playbook, count: int, total: int
) -> Iterator[tuple[dt.datetime, NewEvent]]:
    """Every planned event, in the order it was recorded: overlapping incidents interleave."""
    statuses = _statuses(rng, count)
    sizes = _sizes(rng, statuses, total)
    start = END - dt.timedelta(days=7) - SPAN
    offsets = sorted(rng.uniform(0, SPAN.total_seconds()) for _ in range(count))
    pending: list[tuple[dt.datetime, int, int, NewEvent]] = []
    for number, (offset, status, size) in enumerate(zip(offsets, statuses, sizes, strict=True), start=1):
        declared = start + dt.timedelta(seconds=offset)
        while pending and pending[0][0] < declared:
            recorded, _, _, event = heapq.heappop(pending)
            yield recorded, event
        for order, (recorded, event) in enumerate(_plan(rng, playbook, number, declared, status, size).events):
            heapq.heappush(pending, (recorded, number, order, event))
    while pending:
        recorded, _, _, event = heapq.heappop(pending)
        yield recorded, event


# --- Writing ------------------------------------------------------------------------------------------------------


def load_playbook() -> Playbook:
    folder = Path(__file__).resolve().parent.parent / "playbooks"
    return find_playbook(folder, PLAYBOOK_ID, END.date())


def build(path: Path, incidents: int, events: int, progress: Progress) -> BigLog:
    """Write the log at `path` (replacing it) in transactions of EVENTS_PER_TRANSACTION events."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    rng = random.Random(SEED)
    playbook = load_playbook()
    connection = connect(path, create=True)
    assert connection is not None
    # A cache file that is thrown away if the build fails: no need to wait for the disk at each commit.
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -65536")
    histories: dict[str, list[StoredEvent]] = {}
    written = 0
    batch: list[tuple[dt.datetime, NewEvent]] = []

    def flush() -> None:
        nonlocal written
        with transaction(connection, path):
            writer = LogWriter(connection, ClientIds())
            if written == 0:
                data = playbook_data_json(playbook.text)
                assert data is not None
                writer.pin_playbook(playbook.sha256, playbook.id, playbook.version, playbook.text, data)
            touched: dict[str, None] = {}
            for recorded, event in batch:
                (stored,) = writer.append([event], format_time(recorded))
                histories.setdefault(event.incident, []).append(stored)
                touched[event.incident] = None
            for incident in touched:
                state = fold(histories[incident])
                writer.save_incident(incident_row(state))
                if state.status == "closed":
                    del histories[incident]
        written += len(batch)
        batch.clear()
        progress(f"building the big log: {written:,}/{events:,} events")

    for item in _recorded_order(rng, playbook, incidents, events):
        batch.append(item)
        if len(batch) == EVENTS_PER_TRANSACTION:
            flush()
    if batch:
        flush()

    progress("building the big log: verifying the chain")
    verification = eventlog.verify(connection)
    counted = connection.execute("SELECT count(*), sum(status = 'open') FROM incidents").fetchone()
    if not verification.ok or verification.events != events or counted[0] != incidents:
        raise RuntimeError(f"the generated log is inconsistent: {verification}, {counted[0]} incidents")
    # The rows use real incidents: a drill's clock would put today more than a year after its start.
    open_ids = [
        row[0]
        for row in connection.execute("SELECT id FROM incidents WHERE status = 'open' AND NOT drill ORDER BY number")
    ]
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    os.chmod(path, 0o600)
    read_incident = open_ids[-2]  # recent and open, like the incident someone is working on
    note_incident = open_ids[-1]
    return BigLog(
        path=path,
        incidents=incidents,
        events=events,
        open=counted[1],
        anchor=verification.anchor or "",
        read_incident=read_incident,
        note_incident=note_incident,
        step=STEP_FOR_DONE,
        step_incidents=tuple(open_ids[:-2]),
        build_s=0.0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build (or find) the cached big log and print where it is.")
    parser.add_argument("--incidents", type=int, default=INCIDENTS, help="incidents (events: ten times as many)")
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)
    log = ensure(args.cache, lambda message: print(message, file=sys.stderr), args.incidents)
    print(json.dumps({**asdict(log), "path": str(log.path), "step_incidents": len(log.step_incidents)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
