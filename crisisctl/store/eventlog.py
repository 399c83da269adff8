"""The append-only event table and its hash chain: append, read, verify."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from crisisctl.store.canonical import HASH_PREFIX, canonical_json, parse_json

GENESIS_HASH = HASH_PREFIX + "0" * 64
_EVENT_COLUMNS = "seq, incident, at, recorded_at, type, actor, data, prev_hash, hash"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One recorded event, as it stands in the log."""

    seq: int
    incident: str
    at: str
    recorded_at: str
    type: str
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def as_record(self) -> dict[str, Any]:
        """Every field, as JSON exports and `timeline --json` show it."""
        return {
            "seq": self.seq,
            "at": self.at,
            "recorded_at": self.recorded_at,
            "type": self.type,
            "actor": self.actor,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def _quote(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def chain_hash(
    seq: int, incident: str, at: str, recorded_at: str, event_type: str, actor: str, data_json: str, prev_hash: str
) -> str:
    """sha256 over the canonical JSON of the event; `data_json` is already canonical.

    Equal to `event_hash` of the same fields as a dict, written out by hand with the
    keys in canonical order because verify runs it a million times.
    """
    fields = actor + at + incident + prev_hash + recorded_at + event_type
    if fields.isascii() and fields.isprintable() and '"' not in fields and "\\" not in fields:
        # One check instead of six: these fields are printable ASCII without quotes almost always.
        text = (
            f'{{"actor":"{actor}","at":"{at}","data":{data_json},"incident":"{incident}",'
            f'"prev_hash":"{prev_hash}","recorded_at":"{recorded_at}","seq":{seq},"type":"{event_type}"}}'
        )
    else:
        text = (
            f'{{"actor":{_quote(actor)},"at":{_quote(at)},"data":{data_json},"incident":{_quote(incident)},'
            f'"prev_hash":{_quote(prev_hash)},"recorded_at":{_quote(recorded_at)},"seq":{seq},'
            f'"type":{_quote(event_type)}}}'
        )
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended."""

    incident: str
    at: str
    type: str
    actor: str
    data: dict[str, Any]


def append(
    connection: sqlite3.Connection, events: Iterable[NewEvent], recorded_at: str, wall: str | None = None
) -> list[StoredEvent]:
    """Append events after the newest one, chaining their hashes; the caller holds the write lock.

    `wall` is the machine's clock when it differs from `recorded_at` (kept from running backwards):
    it is kept in each event's data as `recorded_wall`, so a clock set back shows in the record.
    """
    last = connection.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    stored: list[StoredEvent] = []
    for event in events:
        seq += 1
        data = event.data if wall is None or wall == recorded_at else {**event.data, "recorded_wall": wall}
        data_json = canonical_json(data)
        digest = chain_hash(seq, event.incident, event.at, recorded_at, event.type, event.actor, data_json, prev_hash)
        connection.execute(
            f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, event.incident, event.at, recorded_at, event.type, event.actor, data_json, prev_hash, digest),
        )
        stored.append(
            StoredEvent(seq, event.incident, event.at, recorded_at, event.type, event.actor, data, prev_hash, digest)
        )
        prev_hash = digest
    return stored


def _row_event(row: tuple[Any, ...]) -> StoredEvent:
    return StoredEvent(row[0], row[1], row[2], row[3], row[4], row[5], parse_json(row[6]), row[7], row[8])


def events_of(connection: sqlite3.Connection, incident: str, after: int = 0) -> list[StoredEvent]:
    """The events of one incident recorded after event `after` (every one by default), oldest first."""
    rows = connection.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE incident = ? AND seq > ? ORDER BY seq", (incident, after)
    )
    return [_row_event(row) for row in rows]


# The same words as the partial index of migration m003, so that SQLite reads only these events.
_DELIVERY_EVENTS = "type IN ('communication.sending', 'communication.sent', 'communication.delivery_failed')"


def delivery_events(connection: sqlite3.Connection) -> list[StoredEvent]:
    """Every delivery's intent and outcome, across the log, oldest first."""
    rows = connection.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE {_DELIVERY_EVENTS} ORDER BY seq")
    return [_row_event(row) for row in rows]


def newest_recorded_at(connection: sqlite3.Connection) -> str | None:
    row = connection.execute("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else None


def newest(connection: sqlite3.Connection) -> tuple[int, str] | None:
    row = connection.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of re-deriving the chain."""

    ok: bool
    events: int
    anchor: str | None
    first_bad_seq: int | None = None
    reason: str = ""
    incident: str | None = None  # the incident whose line in the incident list is wrong


def _rows(connection: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    cursor = connection.execute(f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY seq")
    while batch := cursor.fetchmany(4096):
        yield from batch


def verify(connection: sqlite3.Connection, anchors: Iterable[tuple[int, str]] = ()) -> Verification:
    """Recompute every hash and link; name the first event that does not fit, or that differs from its
    anchor (`anchors`: (seq, hash) kept outside the log, oldest first)."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    pending = iter(anchors)
    anchor = next(pending, None)
    for seq, incident, at, recorded_at, event_type, actor, data_json, stored_prev, stored_hash in _rows(connection):
        count += 1
        if seq != expected_seq:
            return Verification(False, count, None, expected_seq, f"event {expected_seq} is missing (next is {seq})")
        if stored_prev != prev_hash:
            return Verification(False, count, None, seq, f"event {seq} does not follow event {seq - 1} (chain broken)")
        if chain_hash(seq, incident, at, recorded_at, event_type, actor, data_json, stored_prev) != stored_hash:
            return Verification(False, count, None, seq, f"event {seq} was altered after it was recorded")
        while anchor is not None and seq == anchor[0]:  # `while`: the same event may be anchored twice
            if stored_hash != anchor[1]:
                return Verification(False, count, None, seq, f"event {seq} differs from its anchor (log rewritten)")
            anchor = next(pending, None)
        prev_hash, expected_seq = stored_hash, seq + 1
    newest_anchor = f"{expected_seq - 1}:{prev_hash}" if count else None
    if anchor is not None:
        return Verification(
            False, count, newest_anchor, anchor[0], f"event {anchor[0]} named by an anchor is missing (log cut short)"
        )
    return Verification(True, count, newest_anchor)


def hashes(connection: sqlite3.Connection) -> Iterator[tuple[int, str]]:
    """(seq, hash) of every event, oldest first: the anchors of the whole log."""
    cursor = connection.execute("SELECT seq, hash FROM events ORDER BY seq")
    while batch := cursor.fetchmany(4096):
        yield from batch


def verify_snapshots(
    connection: sqlite3.Connection, derive_data: Callable[[str], str | None]
) -> tuple[int | None, str] | None:
    """Every pinned playbook text still hashes to its key, its kept data still derives from that text
    (`derive_data` turns a text into the data JSON), and every declaration's playbook is there.

    Returns (seq or None, reason) for the first problem, or None when all is well.
    """
    for sha256, text in connection.execute("SELECT sha256, text FROM playbook_snapshots"):
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
            return None, f"the pinned playbook {sha256[:12]} was altered after it was recorded"
    for sha256, data, text in connection.execute(
        "SELECT m.sha256, m.data, s.text FROM playbook_models m LEFT JOIN playbook_snapshots s USING (sha256)"
    ):
        if text is None or data != derive_data(text):
            return None, f"the kept data of pinned playbook {sha256[:12]} does not match its text"
    missing = connection.execute(
        "SELECT seq FROM events WHERE type = 'incident.declared' AND json_extract(data, '$.playbook_sha256')"
        " NOT IN (SELECT sha256 FROM playbook_snapshots) ORDER BY seq LIMIT 1"
    ).fetchone()
    if missing is not None:
        return missing[0], f"the playbook pinned by event {missing[0]} is missing from the log"
    return None
