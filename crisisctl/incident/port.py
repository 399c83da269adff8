"""The log as the domain needs it: a narrow port that the SQLite and PostgreSQL stores both implement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from crisisctl.incident.records import IncidentListRule, IncidentRow, NewEvent, StoredEvent, Verification


class LogTransaction(Protocol):
    """Everything that may happen inside one write transaction; all of it commits together or not at all."""

    def events_of(self, incident: str, after: int = 0) -> list[StoredEvent]: ...

    def next_incident_number(self) -> int: ...

    def pin_playbook(self, sha256: str, playbook: str, version: str, text: str, data_json: str) -> None: ...

    def append(self, events: list[NewEvent], recorded_at: str, wall: str | None = None) -> list[StoredEvent]: ...

    def newest_recorded_at(self) -> str | None: ...

    def server_time(self) -> dt.datetime | None:
        """The shared log's own clock (PostgreSQL's), which every laptop records by; None for a local log."""
        ...

    def save_incident(self, row: IncidentRow) -> None: ...


class LogExport(Protocol):
    """One consistent snapshot of a whole log, read a batch at a time: what `db copy` moves."""

    def rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        """The table's rows, in the columns and order `crisisctl.store.copying.TABLES` names."""
        ...


class LogImport(Protocol):
    """One write transaction into a log that holds nothing yet; all of it commits together or not at all."""

    def add(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert the rows as they are (seq, hashes and all); how many."""
        ...


class EventLog(Protocol):
    """The incident log: reads outside any transaction, writes through `write()`."""

    @property
    def name(self) -> str:
        """How messages name the log: its path, or its DSN without the password."""
        ...

    def write(self) -> AbstractContextManager[LogTransaction]: ...

    def events_of(self, incident: str) -> list[StoredEvent]: ...

    def delivery_events(self) -> list[StoredEvent]: ...

    def attachment_events(self) -> list[StoredEvent]:
        """Notes that attached files, across the log (one scan of the events' text, no JSON parsed)."""
        ...

    def incident(self, incident_id: str) -> IncidentRow | None: ...

    def incidents(self, *, include_closed: bool, drill: bool | None) -> list[IncidentRow]: ...

    def incident_ids(self, newest: int | None = None) -> list[str]: ...

    def change_counter(self) -> int: ...

    def wait_for_change(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for another writer; False only when the log knows nothing changed
        (PostgreSQL hears every commit); a log that cannot tell waits and says True (SQLite)."""
        ...

    def signed_in_user(self) -> str | None:
        """The database user whose credentials this run signed in with; None for a file (SQLite)."""
        ...

    def playbook_data(self, sha256: str) -> str | None: ...

    def playbook_text(self, sha256: str) -> str | None: ...

    def verify(
        self,
        derive_data: Callable[[str], str | None],
        anchors: Iterable[tuple[int, str]] = (),
        incident_list: IncidentListRule | None = None,
        keep_anchors: Callable[[Iterator[tuple[int, str]]], object] | None = None,
    ) -> Verification: ...

    def backup(self, destination: Path) -> None: ...

    def export(self) -> AbstractContextManager[LogExport]: ...

    def restore(self) -> AbstractContextManager[LogImport]:
        """Refuses (UsageError) a log that already holds events, incidents or playbooks."""
        ...

    def close(self) -> None: ...
