"""IncidentLog: the narrow interface the rest of crisisctl uses to read and write the log."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crisisctl.errors import LogError, UsageError
from crisisctl.store import eventlog
from crisisctl.store.database import connect, transaction, translate
from crisisctl.store.eventlog import NewEvent, StoredEvent, Verification


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One line of the incident list, kept in step with the events in the same transaction."""

    id: str
    number: int
    playbook: str
    playbook_version: str
    title: str
    severity: str
    status: str
    drill: bool
    declared_at: str
    last_seq: int


_INCIDENT_COLUMNS = "id, number, playbook, playbook_version, title, severity, status, drill, declared_at, last_seq"


def _incident(row: tuple[Any, ...]) -> IncidentRow:
    return IncidentRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), row[8], row[9])


class LogWriter:
    """Everything that may happen inside one write transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def events_of(self, incident: str) -> list[StoredEvent]:
        return eventlog.events_of(self.connection, incident)

    def next_incident_number(self) -> int:
        row = self.connection.execute("SELECT max(number) FROM incidents").fetchone()
        return (row[0] or 0) + 1

    def pin_playbook(self, sha256: str, playbook: str, version: str, text: str, data_json: str) -> None:
        """Keep the playbook's text, and its validated data as JSON, once per digest."""
        self.connection.execute(
            "INSERT OR IGNORE INTO playbook_snapshots (sha256, playbook, version, text) VALUES (?, ?, ?, ?)",
            (sha256, playbook, version, text),
        )
        self.connection.execute(
            "INSERT OR IGNORE INTO playbook_models (sha256, data) VALUES (?, ?)", (sha256, data_json)
        )

    def append(self, events: list[NewEvent], recorded_at: str) -> list[StoredEvent]:
        return eventlog.append(self.connection, events, recorded_at)

    def save_incident(self, row: IncidentRow) -> None:
        self.connection.execute(
            f"INSERT OR REPLACE INTO incidents ({_INCIDENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


class IncidentLog:
    """The log file: opened lazily; read-only use never creates it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

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
            yield LogWriter(connection)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        try:
            yield self._open(create=False)
        except sqlite3.Error as error:
            raise translate(error, self.path) from None

    def events_of(self, incident: str) -> list[StoredEvent]:
        with self._reading() as connection:
            return eventlog.events_of(connection, incident) if connection else []

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

    def verify(self, derive_data: Callable[[str], str | None], anchor: tuple[int, str] | None = None) -> Verification:
        """The chain, SQLite's own check, and every pinned playbook (`derive_data`: text -> kept data JSON)."""
        with self._reading() as connection:
            if connection is None:
                raise LogError(f"there is no log at {self.path}", "declare an incident first, or pass --db PATH")
            try:
                damage = connection.execute("PRAGMA quick_check").fetchone()[0]
                if damage != "ok":
                    raise LogError(
                        f"{self.path} is damaged: SQLite's own check fails",
                        "restore it from a backup (crisisctl db backup); keep the damaged file as evidence",
                    )
                result = eventlog.verify(connection, anchor)
                if not result.ok:
                    return result
                snapshot_problem = eventlog.verify_snapshots(connection, derive_data)
            except sqlite3.Error as error:
                raise translate(error, self.path) from None
            if snapshot_problem is not None:
                seq, reason = snapshot_problem
                return Verification(False, result.events, result.anchor, seq, reason)
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

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
