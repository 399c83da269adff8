"""The append-only event table and its hash chain: append, read, verify."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from crisisctl.incident.records import NewEvent, StoredEvent, Verification
from crisisctl.store.clientids import ClientIds
from crisisctl.store.rows import event_from_row

_EVENT_COLUMNS = "seq, incident, at, recorded_at, type, actor, data, prev_hash, hash"


def append(
    connection: sqlite3.Connection,
    events: Iterable[NewEvent],
    recorded_at: str,
    wall: str | None = None,
    ids: ClientIds | None = None,
) -> list[StoredEvent]:
    """Append events after the newest one, chaining their hashes, each with its client id from `ids`
    (NULL without); the caller holds the write lock."""
    from crisisctl.store.chain import GENESIS_HASH, link  # writes hash; reads need no hashlib

    last = connection.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    linked = link(events, (last[0], last[1]) if last else (0, GENESIS_HASH), recorded_at, wall)
    client_ids = ids.take(len(linked)) if ids is not None else [None] * len(linked)
    connection.executemany(
        f"INSERT INTO events ({_EVENT_COLUMNS}, client_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (e.seq, e.incident, e.at, e.recorded_at, e.type, e.actor, data_json, e.prev_hash, e.hash, client_id)
            for (e, data_json), client_id in zip(linked, client_ids, strict=True)
        ],
    )
    return [event for event, _ in linked]


def events_of(connection: sqlite3.Connection, incident: str, after: int = 0) -> list[StoredEvent]:
    """The events of one incident recorded after event `after` (every one by default), oldest first."""
    rows = connection.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE incident = ? AND seq > ? ORDER BY seq", (incident, after)
    )
    return [event_from_row(row) for row in rows]


# The same words as the partial index of migration m003, so that SQLite reads only these events.
_DELIVERY_EVENTS = "type IN ('communication.sending', 'communication.sent', 'communication.delivery_failed')"


def delivery_events(connection: sqlite3.Connection) -> list[StoredEvent]:
    """Every delivery's intent and outcome, across the log, oldest first."""
    rows = connection.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE {_DELIVERY_EVENTS} ORDER BY seq")
    return [event_from_row(row) for row in rows]


def attachment_events(connection: sqlite3.Connection) -> list[StoredEvent]:
    """Notes whose data names attachments (a text scan: about 0.15 s on a million events), oldest first."""
    rows = connection.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE type = 'note.added' AND instr(data, '\"attachments\"') > 0"
        " ORDER BY seq"
    )
    return [event_from_row(row) for row in rows]


def newest_recorded_at(connection: sqlite3.Connection) -> str | None:
    row = connection.execute("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else None


def newest(connection: sqlite3.Connection) -> tuple[int, str] | None:
    row = connection.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def _rows(connection: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    cursor = connection.execute(f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY seq")
    while batch := cursor.fetchmany(4096):
        yield from batch


def verify(connection: sqlite3.Connection, anchors: Iterable[tuple[int, str]] = ()) -> Verification:
    """The chain of every event in the log, checked against `anchors` ((seq, hash), oldest first)."""
    from crisisctl.store.chain import verify_rows

    return verify_rows(_rows(connection), anchors)


def hashes(connection: sqlite3.Connection) -> Iterator[tuple[int, str]]:
    """(seq, hash) of every event, oldest first: the anchors of the whole log."""
    cursor = connection.execute("SELECT seq, hash FROM events ORDER BY seq")
    while batch := cursor.fetchmany(4096):
        yield from batch


def verify_snapshots(
    connection: sqlite3.Connection, derive_data: Callable[[str], str | None]
) -> tuple[int | None, str] | None:
    """The pinned playbooks' check (crisisctl.store.snapshots) on this log."""
    from crisisctl.store.snapshots import MODELS_SQL, SNAPSHOTS_SQL, snapshot_problem

    def first_unpinned_declaration() -> int | None:
        row = connection.execute(
            "SELECT seq FROM events WHERE type = 'incident.declared' AND json_extract(data, '$.playbook_sha256')"
            " NOT IN (SELECT sha256 FROM playbook_snapshots) ORDER BY seq LIMIT 1"
        ).fetchone()
        return int(row[0]) if row else None

    return snapshot_problem(
        connection.execute(SNAPSHOTS_SQL), connection.execute(MODELS_SQL), first_unpinned_declaration, derive_data
    )
