"""The agent: a process per user and environment that keeps psycopg imported and team-log connections open
between commands, and runs each command's log calls through the same PostgresLog as a command on its own."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crisisctl.errors import CrisisError, LogError
from crisisctl.incident.records import IncidentRow, NewEvent
from crisisctl.store.agent import place
from crisisctl.store.agent.wire import encode, failure
from crisisctl.store.postgres.connection import connect
from crisisctl.store.postgres.log import PostgresLog, PostgresWriter

if TYPE_CHECKING:
    from psycopg import Connection

    PgConnection = Connection[tuple[Any, ...]]

KEEP_PER_LOG = 4  # idle connections kept for one DSN
KEEP_SECONDS = 120.0  # an idle connection older than this is closed (NATs often forget a flow after 4 minutes)


class Pool:
    """Connections between commands, per DSN. A connection is pooled only when sound and between transactions."""

    def __init__(self) -> None:
        self._idle: dict[str, list[tuple[float, PgConnection]]] = {}
        self._lock = threading.Lock()

    def take(self, dsn: str) -> tuple[PgConnection, bool]:
        """An idle connection (True: it was pooled, and may have died since) or a new one."""
        with self._lock:
            idle = self._idle.get(dsn)
            if idle:
                return idle.pop()[1], True
        return connect(dsn), False

    def give(self, dsn: str, connection: PgConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(dsn, [])
            if len(idle) < KEEP_PER_LOG:
                idle.append((time.monotonic(), connection))
                return
        connection.close()

    def drop(self, dsn: str) -> None:
        """Close the idle connections of a log whose server dropped one (they went with it, as after a restart)."""
        with self._lock:
            idle = self._idle.pop(dsn, [])
        for _, connection in idle:
            connection.close()

    def close_older_than(self, seconds: float) -> None:
        cutoff = time.monotonic() - seconds
        with self._lock:
            stale = [c for entries in self._idle.values() for since, c in entries if since < cutoff]
            for dsn, entries in self._idle.items():
                self._idle[dsn] = [(since, c) for since, c in entries if since >= cutoff]
        for connection in stale:
            connection.close()


class _Rollback(Exception):
    """The command gave up its write (it met a refusal of its own); nothing is committed."""


class Session:
    """One command's calls, in order, on one PostgresLog whose connection comes from (and returns to) the pool."""

    def __init__(self, pool: Pool, dsn: str) -> None:
        self.pool = pool
        self.dsn = dsn
        self.notices: list[str] = []
        self.connected = False
        self.reused = False
        self.log = PostgresLog(dsn, notice=self.notices.append, connector=self._connect)
        self.writing: contextlib.AbstractContextManager[PostgresWriter] | None = None
        self.writer: PostgresWriter | None = None

    def _connect(self, dsn: str) -> PgConnection:
        """The session's first connection may come from the pool; any later one (after a lost connection, to
        settle a commit) is new: the pooled ones may have died with the one just lost."""
        if self.connected:
            self.reused = False
            return connect(dsn)
        self.connected = True
        connection, self.reused = self.pool.take(dsn)
        return connection

    def answer(self, operation: str, arguments: list[Any], first: bool) -> Any:
        """The result of one call. The first call on a pooled connection that finds it dead is made again on a
        new one: nothing of it can have happened on a connection the server had already ended."""
        try:
            return self._perform(operation, arguments)
        except LogError:
            if not (first and self.reused and self.log.lost_connection()):
                raise
        self.pool.drop(self.dsn)
        self.log.close()  # the retry's connection is a new one (see _connect)
        return self._perform(operation, arguments)

    def _perform(self, operation: str, arguments: list[Any]) -> Any:
        if operation == "begin":
            self.writing = self.log.write()
            self.writer = self.writing.__enter__()
            return None
        if operation in ("commit", "rollback"):
            self._end(None if operation == "commit" else _Rollback())
            notices, self.notices[:] = list(self.notices), []
            return {"notices": notices}
        if operation.startswith("w."):
            return self._in_write(operation[2:], arguments)
        return _READS[operation](self.log, *arguments)

    def _in_write(self, operation: str, arguments: list[Any]) -> Any:
        if self.writer is None:
            raise LogError("the command wrote outside its transaction")
        writer = self.writer
        try:
            result = _WRITES[operation](writer, *arguments)
        except BaseException as error:
            self._end(error)  # ends the transaction as the command's own would; raises what the command sees
            raise
        if operation == "append":
            return {"events": result, "first_client_id": writer.first_client_id}
        return result

    def _end(self, error: BaseException | None) -> None:
        """Leave the write: commit when `error` is None, else roll back; raise what the write raises."""
        writing, self.writing, self.writer = self.writing, None, None
        if writing is None:
            raise LogError("the command ended a transaction it had not begun")
        if error is None:
            writing.__exit__(None, None, None)
            return
        try:
            writing.__exit__(type(error), error, error.__traceback__)
        except _Rollback:
            return

    def finish(self) -> None:
        """The command is done (or gone): an open write is rolled back, the connection goes back to the pool."""
        if self.writing is not None:
            with contextlib.suppress(Exception):
                self._end(_Rollback())
        connection = self.log.detach()
        if connection is not None:
            self.pool.give(self.dsn, connection)


def _events(rows: list[list[Any]]) -> list[NewEvent]:
    return [NewEvent(*row) for row in rows]


_READS: dict[str, Callable[..., Any]] = {
    "events_of": PostgresLog.events_of,
    "delivery_events": PostgresLog.delivery_events,
    "incident": PostgresLog.incident,
    "incidents": lambda log, closed, drill: log.incidents(include_closed=closed, drill=drill),
    "incident_ids": PostgresLog.incident_ids,
    "change_counter": PostgresLog.change_counter,
    "signed_in_user": PostgresLog.signed_in_user,
    "playbook_data": PostgresLog.playbook_data,
    "playbook_text": PostgresLog.playbook_text,
}
_WRITES: dict[str, Callable[..., Any]] = {
    "events_of": PostgresWriter.events_of,
    "next_incident_number": PostgresWriter.next_incident_number,
    "pin_playbook": PostgresWriter.pin_playbook,
    "append": lambda writer, events, recorded_at, wall: writer.append(_events(events), recorded_at, wall),
    "newest_recorded_at": PostgresWriter.newest_recorded_at,
    "server_time": PostgresWriter.server_time,
    "save_incident": lambda writer, row: writer.save_incident(IncidentRow(*row)),
}


class Agent:
    """Accepts commands on the socket until none has come for the idle time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pool = Pool()
        self.active = 0
        self.last_seen = time.monotonic()
        self._lock = threading.Lock()

    def serve(self) -> None:
        with open(self.path.with_suffix(".lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return  # another agent for this environment is up, or starting
            self.path.unlink(missing_ok=True)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            previous = os.umask(0o177)
            try:
                listener.bind(str(self.path))
            finally:
                os.umask(previous)
            listener.listen(64)
            self.path.with_suffix(".started").unlink(missing_ok=True)  # up: a command may start the next one
            try:
                self._accept(listener)
            finally:
                self.path.unlink(missing_ok=True)  # first, so that no one else connects to a closing socket
                listener.close()
                self.pool.close_older_than(-1.0)

    def _accept(self, listener: socket.socket) -> None:
        idle = place.idle_seconds()
        while True:
            if select.select([listener], [], [], min(idle, 5.0))[0]:
                connection, _ = listener.accept()
                if _same_user(connection):
                    with self._lock:
                        self.active += 1
                    threading.Thread(target=self._converse, args=(connection,), daemon=True).start()
                else:
                    connection.close()
            self.pool.close_older_than(min(idle, KEEP_SECONDS))
            with self._lock:
                if self.active == 0 and time.monotonic() - self.last_seen > idle:
                    return

    def _converse(self, connection: socket.socket) -> None:
        session: Session | None = None
        try:
            with connection, connection.makefile("rb") as reader:
                first = True
                for line in reader:
                    request = _decode(line)
                    if session is None:
                        session = Session(self.pool, str(request["args"][0]))
                        connection.sendall(encode({"ok": {"pid": os.getpid()}}))
                        continue
                    connection.sendall(encode(_reply(session, request, first)))
                    first = False
        except OSError:
            pass  # the command is gone; its write, if any, is rolled back below
        finally:
            if session is not None:
                session.finish()
            with self._lock:
                self.active -= 1
                self.last_seen = time.monotonic()


def _decode(line: bytes) -> dict[str, Any]:
    import json

    document = json.loads(line)
    assert isinstance(document, dict)
    return document


def _reply(session: Session, request: dict[str, Any], first: bool) -> dict[str, Any]:
    try:
        return {"ok": session.answer(str(request["op"]), list(request["args"]), first)}
    except CrisisError as error:
        return failure(error)
    except Exception as error:  # noqa: BLE001 - a bug: the command's crash report carries it
        return {"crash": f"{type(error).__name__}: {error}"}


def _same_user(connection: socket.socket) -> bool:
    """Only this user's processes may use the agent (the folder already keeps others out; this is the lock)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    uid: int = struct.unpack("3i", credentials)[1]
    return uid == os.getuid()


def main(argv: list[str]) -> int:
    Agent(Path(argv[0])).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
