"""PostgresLog: the incident log on a PostgreSQL server, behind the same port as the SQLite log."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from crisisctl.dsn import masked
from crisisctl.errors import LogError, UsageError
from crisisctl.incident.records import (
    EventFacts,
    IncidentListRule,
    IncidentRow,
    NewEvent,
    StoredEvent,
    Verification,
)
from crisisctl.store.canonical import parse_json
from crisisctl.store.chain import GENESIS_HASH, link, verify_rows
from crisisctl.store.clientids import ClientIds
from crisisctl.store.copying import TABLES
from crisisctl.store.postgres import guards
from crisisctl.store.postgres.connection import APPEND_LOCK, connect, transaction, translate
from crisisctl.store.postgres.migrations import MIGRATIONS, current_version, foreign_tables, migrate
from crisisctl.store.rows import event_from_row
from crisisctl.store.snapshots import MODELS_SQL, SNAPSHOTS_SQL, snapshot_problem

if TYPE_CHECKING:
    from psycopg import Connection

    PgConnection = Connection[tuple[Any, ...]]

_EVENT_COLUMNS = "seq, incident, at, recorded_at, type, actor, data, prev_hash, hash"
_INCIDENT_COLUMNS = "id, number, playbook, playbook_version, title, severity, status, drill, declared_at, last_seq"
_BATCH = 4096
# Every append notifies this channel inside its transaction; PostgreSQL delivers it at commit, to `watch`.
CHANGE_CHANNEL = "crisisctl_events"


def _incident(row: tuple[Any, ...]) -> IncidentRow:
    return IncidentRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), row[8], row[9])


def _events_of(connection: PgConnection, incident: str, after: int = 0) -> list[StoredEvent]:
    rows = connection.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE incident = %s AND seq > %s ORDER BY seq", (incident, after)
    )
    return [event_from_row(row) for row in rows]


def _delivery_events(connection: PgConnection) -> list[StoredEvent]:
    """Every delivery's intent and outcome, through the partial index of the same words."""
    rows = connection.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE type IN "
        "('communication.sending', 'communication.sent', 'communication.delivery_failed') ORDER BY seq"
    )
    return [event_from_row(row) for row in rows]


def _attachment_events(connection: PgConnection) -> list[StoredEvent]:
    rows = connection.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE type = 'note.added' AND strpos(data, '\"attachments\"') > 0"
        " ORDER BY seq"
    )
    return [event_from_row(row) for row in rows]


class PostgresWriter:
    """Everything that may happen inside one write transaction, which holds the append lock."""

    def __init__(self, connection: PgConnection, db_user: str, ids: ClientIds) -> None:
        self.connection = connection
        self.db_user = db_user
        self.ids = ids
        self.first_client_id: str | None = None  # what to look for if the commit is not acknowledged

    def events_of(self, incident: str, after: int = 0) -> list[StoredEvent]:
        return _events_of(self.connection, incident, after)

    def next_incident_number(self) -> int:
        """One more than any number used so far, in the list or in the events (see the SQLite log)."""
        listed = self.connection.execute("SELECT coalesce(max(number), 0) FROM incidents").fetchone()
        newest = self.connection.execute(
            "SELECT data FROM events WHERE type = 'incident.declared' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        declared = int(parse_json(newest[0]).get("number", 0)) if newest else 0
        return max(int(listed[0]) if listed else 0, declared) + 1

    def pin_playbook(self, sha256: str, playbook: str, version: str, text: str, data_json: str) -> None:
        self.connection.execute(
            "INSERT INTO playbook_snapshots (sha256, playbook, version, text) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (sha256) DO NOTHING",
            (sha256, playbook, version, text),
        )
        self.connection.execute(
            "INSERT INTO playbook_models (sha256, data) VALUES (%s, %s) ON CONFLICT (sha256) DO NOTHING",
            (sha256, data_json),
        )

    def append(self, events: list[NewEvent], recorded_at: str, wall: str | None = None) -> list[StoredEvent]:
        """Append after the newest event; the database user who signed in is recorded in each event's data as
        `db_user`, hashed with the rest, beside the actor the command claims (`--as`)."""
        last = self.connection.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        newest = (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)
        linked = link(events, newest, recorded_at, wall, {"db_user": self.db_user})
        client_ids = self.ids.take(len(linked))
        if self.first_client_id is None and client_ids:
            self.first_client_id = client_ids[0]
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO events ({_EVENT_COLUMNS}, client_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (e.seq, e.incident, e.at, e.recorded_at, e.type, e.actor, data_json, e.prev_hash, e.hash, cid)
                    for (e, data_json), cid in zip(linked, client_ids, strict=True)
                ],
            )
        self.connection.execute("SELECT pg_notify(%s, %s)", (CHANGE_CHANNEL, str(linked[-1][0].seq)))
        return [event for event, _ in linked]

    def newest_recorded_at(self) -> str | None:
        row = self.connection.execute("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return str(row[0]) if row else None

    def server_time(self) -> dt.datetime | None:
        row = self.connection.execute("SELECT clock_timestamp()").fetchone()
        assert row is not None
        moment = row[0]
        assert isinstance(moment, dt.datetime)
        return moment.astimezone(dt.UTC)

    def save_incident(self, row: IncidentRow) -> None:
        """The server derives the line from the events itself (crisisctl_save_incident); only its id is passed."""
        self.connection.execute("SELECT crisisctl_save_incident(%s)", (row.id,))


class PostgresExport:
    """Rows of one REPEATABLE READ snapshot, through server-side cursors."""

    def __init__(self, connection: PgConnection) -> None:
        self.connection = connection

    def rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        _, columns, order = next(entry for entry in TABLES if entry[0] == table)
        return _streamed(self.connection, f"SELECT {columns} FROM {table} ORDER BY {order}")


class PostgresImport:
    """Rows written with COPY, inside the caller's transaction, which holds the append lock."""

    def __init__(self, connection: PgConnection) -> None:
        self.connection = connection

    def add(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        _, columns, _ = next(entry for entry in TABLES if entry[0] == table)
        count = 0
        with self.connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count


class PostgresLog:
    """A log in a PostgreSQL database: connected lazily; read-only use never creates its schema."""

    def __init__(
        self,
        dsn: str,
        on_commit: Callable[[], None] | None = None,
        notice: Callable[[str], None] | None = None,
        *,
        connector: Callable[[str], PgConnection] = connect,
    ) -> None:
        self._dsn = dsn
        self._on_commit = on_commit
        self._notice = notice
        self._connect = connector
        self._connection: PgConnection | None = None
        self._listener: PgConnection | None = None
        self._ready = False
        self._db_user = ""
        self._ids = ClientIds()

    @property
    def name(self) -> str:
        return masked(self._dsn)

    def _open(self, create: bool) -> PgConnection | None:
        """The connection, with the schema migrated; None when the database holds no log and create is False."""
        if self._connection is None:
            self._connection = self._connect(self._dsn)
        if not self._ready:
            try:
                self._prepare(self._connection, create)
            except psycopg.Error as error:
                raise translate(error, self.name) from None
        return self._connection if self._ready else None

    def _prepare(self, connection: PgConnection, create: bool) -> None:
        user = connection.execute("SELECT session_user").fetchone()
        self._db_user = str(user[0]) if user else ""
        version = current_version(connection)
        if version is None and foreign_tables(connection):
            raise LogError(
                f"the database of {self.name} holds tables crisisctl did not make "
                f"({', '.join(foreign_tables(connection))}): it is not a crisisctl log",
                "point --db at a crisisctl log, or at a new, empty database (createdb)",
            )
        if version is None and not create:
            return
        if version is None or version < len(MIGRATIONS):
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
                migrate(connection)
        elif version > len(MIGRATIONS):
            raise LogError(
                f"the log {self.name} was written by a newer crisisctl (schema {version})",
                "upgrade crisisctl to read it",
            )
        self._ready = True

    @contextlib.contextmanager
    def write(self) -> Iterator[PostgresWriter]:
        """One atomic write: everything inside commits together or not at all. A connection lost during the
        COMMIT leaves it unknown whether the server committed; the events' client ids settle it."""
        connection = self._open(create=True)
        assert connection is not None
        writer = PostgresWriter(connection, self._db_user, self._ids)
        committing = False
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
                yield writer
                committing = True
        except psycopg.Error as error:
            # Only a connection lost in COMMIT is ambiguous: any other failure there is the server's no.
            lost = connection.broken or (error.sqlstate or "").startswith(("08", "57P"))
            if not (committing and lost and writer.first_client_id):
                raise translate(error, self.name) from None
            self.settle(writer.first_client_id)
        if self._on_commit is not None:
            self._on_commit()

    def settle(self, client_id: str) -> None:
        """Whether the unacknowledged commit recorded `client_id`: asked on a new connection after taking the
        append lock, which the old transaction held until it ended, so the answer cannot change afterwards.
        Returns when it was recorded; raises LogError (exit 4) when it was not, or cannot be known."""
        lost = f"the connection to the log {self.name} was lost while the command committed"
        self.close()
        try:
            connection = self._open(create=False)
            if connection is None:
                raise LogError(lost)
            with transaction(connection, self.name, lock=True):
                row = connection.execute(
                    "SELECT EXISTS (SELECT 1 FROM events WHERE client_id = %s)", (client_id,)
                ).fetchone()
        except LogError:
            raise LogError(
                f"{lost}; whether it was recorded is unknown (the log cannot be asked now)",
                "once the log answers, `crisisctl timeline INCIDENT` shows whether it was; run it again only if not"
                f" (its events' client ids begin {client_id.split('/')[0]})",
            ) from None
        if not (row and row[0]):
            raise LogError(f"{lost}; nothing was recorded (checked after reconnecting)", "run it again")
        if self._notice is not None:
            self._notice(f"{lost}; it was recorded (the acknowledgement was lost; checked after reconnecting)")

    @contextlib.contextmanager
    def _reading(self) -> Iterator[PgConnection | None]:
        try:
            yield self._open(create=False)
        except psycopg.Error as error:
            raise translate(error, self.name) from None

    def events_of(self, incident: str) -> list[StoredEvent]:
        with self._reading() as connection:
            return _events_of(connection, incident) if connection else []

    def delivery_events(self) -> list[StoredEvent]:
        with self._reading() as connection:
            return _delivery_events(connection) if connection else []

    def attachment_events(self) -> list[StoredEvent]:
        with self._reading() as connection:
            return _attachment_events(connection) if connection else []

    def incident(self, incident_id: str) -> IncidentRow | None:
        with self._reading() as connection:
            if connection is None:
                return None
            row = connection.execute(
                f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = %s", (incident_id,)
            ).fetchone()
            return _incident(row) if row else None

    def incidents(self, *, include_closed: bool, drill: bool | None) -> list[IncidentRow]:
        """Newest first; open and resolved unless include_closed; drills, live or both."""
        with self._reading() as connection:
            if connection is None:
                return []
            rows = connection.execute(
                f"SELECT {_INCIDENT_COLUMNS} FROM incidents"
                " WHERE (%s OR status IN ('open', 'resolved')) AND (%s::boolean IS NULL OR drill = %s::boolean)"
                " ORDER BY number DESC",
                (include_closed, drill, drill),
            )
            return [_incident(row) for row in rows]

    def change_counter(self) -> int:
        with self._reading() as connection:
            if connection is None:
                return 0
            row = connection.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
            return int(row[0]) if row else 0

    def wait_for_change(self, timeout: float) -> bool:
        """True when a writer committed since the last call, heard on a connection of its own that LISTENs;
        the first call only starts listening and says True, since writes before it went unheard."""
        try:
            if self._listener is None:
                self._listener = connect(self._dsn)
                self._listener.execute(f"LISTEN {CHANGE_CHANNEL}")
                return True
            return any(True for _ in self._listener.notifies(timeout=timeout, stop_after=1))
        except psycopg.Error as error:
            raise translate(error, self.name) from None

    def signed_in_user(self) -> str | None:
        with self._reading():
            return self._db_user

    def incident_ids(self, newest: int | None = None) -> list[str]:
        with self._reading() as connection:
            if connection is None:
                return []
            rows = connection.execute("SELECT id FROM incidents ORDER BY number DESC LIMIT %s", (newest,))
            return [str(row[0]) for row in rows]

    def playbook_data(self, sha256: str) -> str | None:
        with self._reading() as connection:
            if connection is None:
                return None
            row = connection.execute("SELECT data FROM playbook_models WHERE sha256 = %s", (sha256,)).fetchone()
            return str(row[0]) if row else None

    def playbook_text(self, sha256: str) -> str | None:
        with self._reading() as connection:
            if connection is None:
                return None
            row = connection.execute("SELECT text FROM playbook_snapshots WHERE sha256 = %s", (sha256,)).fetchone()
            return str(row[0]) if row else None

    def verify(
        self,
        derive_data: Callable[[str], str | None],
        anchors: Iterable[tuple[int, str]] = (),
        incident_list: IncidentListRule | None = None,
        keep_anchors: Callable[[Iterator[tuple[int, str]]], object] | None = None,
    ) -> Verification:
        """The guards, the chain against `anchors`, the pinned playbooks and the incident list, in one snapshot
        (REPEATABLE READ), read through server-side cursors so memory stays flat; then `keep_anchors`."""
        with self._reading() as connection:
            if connection is None:
                raise LogError(f"there is no log at {self.name}", "declare an incident first, or pass --db")
            with transaction(connection, self.name, lock=False):
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                result = self._verify(connection, derive_data, anchors, incident_list)
                if result.ok and keep_anchors is not None:
                    with contextlib.closing(_flowing(connection, "SELECT seq, hash FROM events ORDER BY seq")) as rows:
                        keep_anchors(rows)
                return result

    def _verify(
        self,
        connection: PgConnection,
        derive_data: Callable[[str], str | None],
        anchors: Iterable[tuple[int, str]],
        incident_list: IncidentListRule | None,
    ) -> Verification:
        changed = guards.difference(connection)
        if changed is not None:
            return Verification(False, 0, None, None, changed)
        with contextlib.closing(_flowing(connection, f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY seq")) as rows:
            result = verify_rows(rows, anchors)
        if not result.ok:
            return result
        snapshot_problem = _snapshot_problem(connection, derive_data)
        if snapshot_problem is not None:
            seq, reason = snapshot_problem
            return Verification(False, result.events, result.anchor, seq, reason)
        if incident_list is not None:
            listed_problem = _incident_list_problem(connection, incident_list)
            if listed_problem is not None:
                incident, reason = listed_problem
                return Verification(False, result.events, result.anchor, None, reason, incident)
        return result

    def backup(self, destination: Path) -> None:
        raise UsageError(
            f"`db backup` copies a SQLite log; {self.name} is a PostgreSQL log",
            "back it up with pg_dump (see docs/team.md)",
        )

    @contextlib.contextmanager
    def export(self) -> Iterator[PostgresExport]:
        """One snapshot: what others record meanwhile is not part of the copy."""
        with self._reading() as connection:
            if connection is None:
                raise LogError(f"there is no log at {self.name}", "name an existing log to copy")
            with transaction(connection, self.name, lock=False):
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield PostgresExport(connection)

    @contextlib.contextmanager
    def restore(self) -> Iterator[PostgresImport]:
        """One transaction into a log that holds nothing yet (its schema created if need be), holding the
        append lock, so that no one records into it while it fills."""
        connection = self._open(create=True)
        assert connection is not None
        with transaction(connection, self.name, lock=True):
            held = connection.execute(
                "SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM incidents)"
                " OR EXISTS (SELECT 1 FROM playbook_snapshots) OR EXISTS (SELECT 1 FROM playbook_models)"
            ).fetchone()
            if held is None or held[0]:
                raise UsageError(f"the log {self.name} is not empty", "copy into a new file or an empty database")
            yield PostgresImport(connection)

    def lost_connection(self) -> bool:
        """Whether the connection broke (the server restarted, or ended it) since it was opened."""
        return self._connection is not None and (self._connection.broken or self._connection.closed)

    def detach(self) -> PgConnection | None:
        """The open connection, handed over instead of closed when it is sound and between transactions (for
        the agent's pool); None when there is none worth keeping. Either way, this log holds none afterwards."""
        connection, self._connection, self._ready = self._connection, None, False
        self.close()
        if connection is None or connection.broken or connection.closed:
            return None
        if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            connection.close()
            return None
        return connection

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self._ready = False


def _flowing(connection: PgConnection, query: str) -> Generator[Any, None, None]:
    """Rows the server sends on while this process works on earlier ones, a chunk at a time: about twice as fast
    as a server-side cursor's round trips for the whole chain, but only one such query may run at a time, so
    the caller closes it (which ends the query) before the next."""
    with connection.cursor() as cursor:
        yield from cursor.stream(query, size=_BATCH)


def _streamed(connection: PgConnection, query: str, parameters: tuple[Any, ...] = ()) -> Iterator[Any]:
    """Rows through a server-side cursor, a batch at a time (inside the caller's transaction)."""
    with connection.cursor(name=f"crisisctl_{hashlib.sha256(query.encode()).hexdigest()[:12]}") as cursor:
        cursor.itersize = _BATCH
        cursor.execute(query, parameters)
        yield from cursor


def _snapshot_problem(
    connection: PgConnection, derive_data: Callable[[str], str | None]
) -> tuple[int | None, str] | None:
    """The pinned playbooks' check (crisisctl.store.snapshots) on this log."""

    def first_unpinned_declaration() -> int | None:
        row = connection.execute(
            "SELECT seq FROM events WHERE type = 'incident.declared' AND (data::jsonb ->> 'playbook_sha256')"
            " NOT IN (SELECT sha256 FROM playbook_snapshots) ORDER BY seq LIMIT 1"
        ).fetchone()
        return int(row[0]) if row else None

    return snapshot_problem(
        connection.execute(SNAPSHOTS_SQL),
        connection.execute(MODELS_SQL),
        first_unpinned_declaration,
        derive_data,
    )


def _incident_list_problem(connection: PgConnection, rule: IncidentListRule) -> tuple[str, str] | None:
    """The incident list against the events; ids ordered by code point (COLLATE "C") as Python compares them."""
    # Each event's data parsed once (the LATERAL, kept from being inlined by OFFSET 0), and its fields sent as
    # one JSON array, parsed once here: a cast and a jsonb result per field cost twice as long on 1M events.
    fields = ", ".join("jsonb_path_query_first(parsed.data, %s::jsonpath)" for _ in rule.data_fields)
    facts: Iterator[EventFacts] = (
        (row[0], row[1], row[2], row[3], tuple(json.loads(row[4])))
        for row in _streamed(
            connection,
            f"SELECT seq, incident, at, type, jsonb_build_array({fields})::text FROM events"
            " CROSS JOIN LATERAL (SELECT data::jsonb AS data OFFSET 0) parsed WHERE type = ANY(%s)"
            ' ORDER BY incident COLLATE "C", seq',
            (*rule.data_fields, list(rule.event_types)),
        )
    )
    newest = _streamed(
        connection, 'SELECT incident, max(seq) FROM events GROUP BY incident ORDER BY incident COLLATE "C"'
    )
    listed = (
        _incident(row)
        for row in _streamed(connection, f'SELECT {_INCIDENT_COLUMNS} FROM incidents ORDER BY id COLLATE "C"')
    )
    from crisisctl.store import listcheck  # verify's alone: other commands need not import it

    return listcheck.first_problem(facts, newest, listed, rule)
