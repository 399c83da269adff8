"""IncidentLog: the narrow interface the rest of crisisctl uses to read and write the log."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from crisisctl.errors import LogError, UsageError
from crisisctl.incident.records import (
    EventFacts,
    IncidentListRule,
    IncidentRow,
    NewEvent,
    StoredEvent,
    Verification,
)
from crisisctl.store import eventlog
from crisisctl.store.canonical import parse_json
from crisisctl.store.clientids import ClientIds
from crisisctl.store.copying import TABLES
from crisisctl.store.database import connect, transaction, translate

_INCIDENT_COLUMNS = "id, number, playbook, playbook_version, title, severity, status, drill, declared_at, last_seq"


def _incident(row: tuple[Any, ...]) -> IncidentRow:
    return IncidentRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), row[8], row[9])


def _event_facts(connection: sqlite3.Connection, rule: IncidentListRule) -> Iterator[EventFacts]:
    """The rule's events, by incident then seq; SQLite picks the few fields out of the JSON."""
    fields = ", ".join("json_extract(data, ?)" for _ in rule.data_fields)
    types = ", ".join("?" * len(rule.event_types))
    rows = connection.execute(
        f"SELECT seq, incident, at, type, {fields} FROM events WHERE type IN ({types}) ORDER BY incident, seq",
        (*rule.data_fields, *rule.event_types),
    )
    return ((row[0], row[1], row[2], row[3], row[4:]) for row in rows)


def incident_list_problem(connection: sqlite3.Connection, rule: IncidentListRule) -> tuple[str, str] | None:
    """(incident, reason) for the first incident whose line in the list is not what its events say."""
    newest = connection.execute("SELECT incident, max(seq) FROM events GROUP BY incident ORDER BY incident")
    listed = (_incident(row) for row in connection.execute(f"SELECT {_INCIDENT_COLUMNS} FROM incidents ORDER BY id"))
    from crisisctl.store import listcheck  # verify's alone: other commands need not import it

    return listcheck.first_problem(_event_facts(connection, rule), newest, listed, rule)


class LogWriter:
    """Everything that may happen inside one write transaction."""

    def __init__(self, connection: sqlite3.Connection, ids: ClientIds) -> None:
        self.connection = connection
        self.ids = ids

    def events_of(self, incident: str, after: int = 0) -> list[StoredEvent]:
        return eventlog.events_of(self.connection, incident, after)

    def next_incident_number(self) -> int:
        """One more than any number used so far, in the list or in the events: a number is never reused, even
        when a row was removed from the list behind crisisctl's back. Numbers grow with each declaration, so
        the newest declaration holds the highest one."""
        listed = self.connection.execute("SELECT max(number) FROM incidents").fetchone()[0] or 0
        newest = self.connection.execute(
            "SELECT data FROM events WHERE type = 'incident.declared' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        declared = int(parse_json(newest[0]).get("number", 0)) if newest else 0
        return max(listed, declared) + 1

    def pin_playbook(self, sha256: str, playbook: str, version: str, text: str, data_json: str) -> None:
        """Keep the playbook's text, and its validated data as JSON, once per digest."""
        self.connection.execute(
            "INSERT OR IGNORE INTO playbook_snapshots (sha256, playbook, version, text) VALUES (?, ?, ?, ?)",
            (sha256, playbook, version, text),
        )
        self.connection.execute(
            "INSERT OR IGNORE INTO playbook_models (sha256, data) VALUES (?, ?)", (sha256, data_json)
        )

    def append(self, events: list[NewEvent], recorded_at: str, wall: str | None = None) -> list[StoredEvent]:
        return eventlog.append(self.connection, events, recorded_at, wall, self.ids)

    def newest_recorded_at(self) -> str | None:
        return eventlog.newest_recorded_at(self.connection)

    def server_time(self) -> dt.datetime | None:
        return None  # a file on this machine: its clock is this machine's

    def save_incident(self, row: IncidentRow) -> None:
        """Insert or update the incident's line; an update, never a replace, which the guard triggers refuse."""
        self.connection.execute(
            f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, status = excluded.status,"
            " last_seq = excluded.last_seq",
            (
                row.id,
                row.number,
                row.playbook,
                row.playbook_version,
                row.title,
                row.severity,
                row.status,
                int(row.drill),
                row.declared_at,
                row.last_seq,
            ),
        )


_COPY_BATCH = 4096


class SqliteExport:
    """Rows of one read transaction, a batch at a time."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        _, columns, order = next(entry for entry in TABLES if entry[0] == table)
        cursor = self.connection.execute(f"SELECT {columns} FROM {table} ORDER BY {order}")
        while batch := cursor.fetchmany(_COPY_BATCH):
            yield from batch


class SqliteImport:
    """Rows inserted as they are, a batch at a time, inside the caller's write transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def add(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        _, columns, _ = next(entry for entry in TABLES if entry[0] == table)
        marks = ", ".join("?" for _ in columns.split(","))
        pending, count = iter(rows), 0
        while batch := list(itertools.islice(pending, _COPY_BATCH)):
            self.connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch)
            count += len(batch)
        return count


class IncidentLog:
    """The log file: opened lazily; read-only use never creates it. `on_commit` runs after each write commits."""

    def __init__(self, path: Path, on_commit: Callable[[], None] | None = None) -> None:
        self.path = path
        self._on_commit = on_commit
        self._connection: sqlite3.Connection | None = None
        self._ids = ClientIds()

    @property
    def name(self) -> str:
        return str(self.path)

    def _open(self, create: bool) -> sqlite3.Connection | None:
        if self._connection is None:
            self._connection = connect(self.path, create=create)
        return self._connection

    @property
    def exists(self) -> bool:
        return self._open(create=False) is not None

    @contextlib.contextmanager
    def write(self) -> Iterator[LogWriter]:
        """One atomic write: everything inside commits together or not at all."""
        connection = self._open(create=True)
        assert connection is not None
        with transaction(connection, self.path):
            yield LogWriter(connection, self._ids)
        if self._on_commit is not None:
            self._on_commit()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        try:
            yield self._open(create=False)
        except sqlite3.Error as error:
            raise translate(error, self.path) from None

    def events_of(self, incident: str) -> list[StoredEvent]:
        with self._reading() as connection:
            return eventlog.events_of(connection, incident) if connection else []

    def delivery_events(self) -> list[StoredEvent]:
        with self._reading() as connection:
            return eventlog.delivery_events(connection) if connection else []

    def attachment_events(self) -> list[StoredEvent]:
        with self._reading() as connection:
            return eventlog.attachment_events(connection) if connection else []

    def incident(self, incident_id: str) -> IncidentRow | None:
        with self._reading() as connection:
            if connection is None:
                return None
            row = connection.execute(
                f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,)
            ).fetchone()
            return _incident(row) if row else None

    def incidents(self, *, include_closed: bool, drill: bool | None) -> list[IncidentRow]:
        """Newest first; open and resolved unless include_closed; drills, live or both."""
        with self._reading() as connection:
            if connection is None:
                return []
            clauses, parameters = [], []
            if not include_closed:
                clauses.append("status IN ('open', 'resolved')")  # uses the (status, drill) index
            if drill is not None:
                clauses.append("drill = ?")
                parameters.append(int(drill))
            where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            rows = connection.execute(
                f"SELECT {_INCIDENT_COLUMNS} FROM incidents {where} ORDER BY number DESC", parameters
            )
            return [_incident(row) for row in rows]

    def change_counter(self) -> int:
        """A number that changes whenever anyone commits to the log: cheap polling, no lock taken."""
        with self._reading() as connection:
            if connection is None:
                return 0
            row = connection.execute("SELECT max(seq) FROM events").fetchone()
            return int(row[0] or 0)

    def wait_for_change(self, timeout: float) -> bool:
        time.sleep(timeout)  # a file cannot tell its readers that it changed: they poll
        return True

    def signed_in_user(self) -> str | None:
        return None

    def incident_ids(self, newest: int | None = None) -> list[str]:
        """Incident ids, newest first; `newest` limits how many (suggestions need only recent ones)."""
        with self._reading() as connection:
            if connection is None:
                return []
            limit = "LIMIT ?" if newest is not None else ""
            rows = connection.execute(
                f"SELECT id FROM incidents ORDER BY number DESC {limit}", (newest,) if newest else ()
            )
            return [row[0] for row in rows]

    def playbook_data(self, sha256: str) -> str | None:
        """The pinned playbook's validated data (JSON), or None for logs written before it was kept."""
        with self._reading() as connection:
            if connection is None:
                return None
            row = connection.execute("SELECT data FROM playbook_models WHERE sha256 = ?", (sha256,)).fetchone()
            return row[0] if row else None

    def playbook_text(self, sha256: str) -> str | None:
        with self._reading() as connection:
            if connection is None:
                return None
            row = connection.execute("SELECT text FROM playbook_snapshots WHERE sha256 = ?", (sha256,)).fetchone()
            return row[0] if row else None

    def verify(
        self,
        derive_data: Callable[[str], str | None],
        anchors: Iterable[tuple[int, str]] = (),
        incident_list: IncidentListRule | None = None,
        keep_anchors: Callable[[Iterator[tuple[int, str]]], object] | None = None,
    ) -> Verification:
        """SQLite's own check, the schema, the chain against `anchors` ((seq, hash), oldest first), every
        pinned playbook (`derive_data`: text -> kept data JSON) and, given its rule, the incident list; then,
        if all is well, `keep_anchors` is given the anchors of every event. All in one read transaction, so
        commands recording meanwhile never make the events and the list seem to disagree, and only
        verified events are kept as anchors."""
        with self._reading() as connection:
            if connection is None:
                raise LogError(f"there is no log at {self.path}", "declare an incident first, or pass --db PATH")
            try:
                connection.execute("BEGIN")
                try:
                    result = self._verify(connection, derive_data, anchors, incident_list)
                    if result.ok and keep_anchors is not None:
                        keep_anchors(eventlog.hashes(connection))
                    return result
                finally:
                    connection.execute("COMMIT")
            except sqlite3.Error as error:
                raise translate(error, self.path) from None

    def _verify(
        self,
        connection: sqlite3.Connection,
        derive_data: Callable[[str], str | None],
        anchors: Iterable[tuple[int, str]],
        incident_list: IncidentListRule | None,
    ) -> Verification:
        damage = connection.execute("PRAGMA quick_check").fetchone()[0]
        if damage != "ok":
            raise LogError(
                f"{self.path} is damaged: SQLite's own check fails",
                "restore it from a backup (crisisctl db backup); keep the damaged file as evidence",
            )
        # The structure first: with a guard or a column gone, nothing the tables hold can be trusted.
        from crisisctl.store import schema

        changed = schema.difference(connection)
        if changed is not None:
            return Verification(False, 0, None, None, changed)
        result = eventlog.verify(connection, anchors)
        if not result.ok:
            return result
        snapshot_problem = eventlog.verify_snapshots(connection, derive_data)
        if snapshot_problem is not None:
            seq, reason = snapshot_problem
            return Verification(False, result.events, result.anchor, seq, reason)
        if incident_list is not None:
            listed_problem = incident_list_problem(connection, incident_list)
            if listed_problem is not None:
                incident, reason = listed_problem
                return Verification(False, result.events, result.anchor, None, reason, incident)
        return result

    def backup(self, destination: Path) -> None:
        """A consistent copy through SQLite's online backup, safe while others write."""
        with self._reading() as connection:
            if connection is None:
                raise LogError(f"there is no log at {self.path}", "pass --db PATH to name the log to back up")
            try:
                fd = os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                raise UsageError(f"{destination} already exists", "name a new file; backups never overwrite") from None
            except OSError as error:
                raise UsageError(f"cannot create {destination}: {error.strerror}", "check the folder") from None
            os.close(fd)
            try:
                target = sqlite3.connect(destination)
                try:
                    connection.backup(target)
                finally:
                    target.close()
            except sqlite3.Error as error:
                # A half-written copy (a full disk) is no backup, and would block the next try's name.
                for partial in (destination, Path(f"{destination}-journal")):
                    partial.unlink(missing_ok=True)
                raise translate(error, destination) from None

    @contextlib.contextmanager
    def export(self) -> Iterator[SqliteExport]:
        """One read transaction: what others record meanwhile is not part of the copy."""
        with self._reading() as connection:
            if connection is None:
                raise LogError(f"there is no log at {self.path}", "name an existing log to copy")
            connection.execute("BEGIN")
            try:
                yield SqliteExport(connection)
            finally:
                connection.execute("COMMIT")

    @contextlib.contextmanager
    def restore(self) -> Iterator[SqliteImport]:
        """One write transaction into a log that holds nothing yet (created if need be)."""
        connection = self._open(create=True)
        assert connection is not None
        with transaction(connection, self.path):
            held = connection.execute(
                "SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM incidents)"
                " OR EXISTS (SELECT 1 FROM playbook_snapshots) OR EXISTS (SELECT 1 FROM playbook_models)"
            ).fetchone()[0]
            if held:
                raise UsageError(f"the log {self.path} is not empty", "copy into a new file or an empty database")
            yield SqliteImport(connection)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
