"""Connecting to a PostgreSQL log through libpq, and its failures as clean LogErrors naming the masked DSN."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import psycopg
from psycopg import errors

from crisisctl.dsn import masked
from crisisctl.errors import LogError, UsageError
from crisisctl.store.busy import LogBusyError, busy_timeout_ms

if TYPE_CHECKING:
    from psycopg import Connection

# One key for every crisisctl log's append lock; a transaction-level advisory lock ends with its transaction.
APPEND_LOCK = 0x43524953
_RESET_HINT = "nothing of this command was recorded unless `crisisctl timeline` shows it; run it again"
_AUTH_WORDS = ("authentication failed", "no password supplied", "password is required")


def connect(dsn: str) -> Connection[tuple[object, ...]]:
    """A connection in autocommit mode (transactions are explicit); libpq reads PGPASSWORD, ~/.pgpass and
    service files itself. A lock held longer than the busy timeout fails as on SQLite."""
    name = masked(dsn)
    try:
        parameters = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        raise UsageError(
            f"{name} is not a PostgreSQL connection string", "postgresql://USER@HOST:PORT/DATABASE"
        ) from None
    parameters.setdefault("connect_timeout", "10")
    # A connection the agent keeps between commands must notice a network that silently dropped it.
    for keyword, value in (("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3")):
        parameters.setdefault(keyword, value)
    parameters.setdefault("application_name", "crisisctl")
    try:
        connection = psycopg.connect(**parameters, autocommit=True)  # type: ignore[arg-type]
    except psycopg.Error as error:
        raise _refused(error, name) from None
    try:
        connection.execute("SELECT set_config('lock_timeout', %s, false)", (f"{busy_timeout_ms()}ms",))
    except psycopg.Error as error:
        connection.close()
        raise translate(error, name) from None
    return connection


def _refused(error: psycopg.Error, name: str) -> LogError:
    """Why the server could not be reached or would not let us in; libpq's text is read, never shown."""
    text = str(error).lower()
    if any(word in text for word in _AUTH_WORDS):
        return LogError(
            f"cannot sign in to the log {name}: authentication failed",
            "check the user and password (PGPASSWORD, ~/.pgpass, or the service file)",
        )
    if "database" in text and "does not exist" in text:
        return LogError(f"the database of the log {name} does not exist", "create it (createdb) or fix the DSN")
    return LogError(f"cannot reach the log {name}", "check that the server is up, and the host and port")


def translate(error: psycopg.Error, name: str) -> LogError:
    """A psycopg error as the user should read it; never quoting the server's text, which may hold log data
    (or, from libpq, the connection string)."""
    sqlstate = error.sqlstate or ""
    if isinstance(error, errors.LockNotAvailable):
        return LogBusyError(
            f"the log {name} is busy: another crisisctl held it longer than {busy_timeout_ms() / 1000:g} s",
            "try again in a moment; nothing was written",
        )
    if isinstance(error, errors.QueryCanceled):
        return LogError(f"the log {name} did not answer in time (statement timeout)", _RESET_HINT)
    if isinstance(error, errors.InsufficientPrivilege):
        return LogError(
            f"the database user may not do this on the log {name}",
            "a writer role may only add events: ask the log's owner (see `crisisctl db init-team`)",
        )
    if isinstance(error, errors.RaiseException):
        return LogError(f"the log {name} refused a change: its records are append-only", "record a correction")
    if sqlstate.startswith(("57P", "08")) or isinstance(error, errors.OperationalError):
        return LogError(f"the connection to the log {name} was lost", _RESET_HINT)
    return LogError(f"the log {name} failed ({sqlstate or type(error).__name__})", "if it persists, ask its DBA")


@contextlib.contextmanager
def transaction(connection: Connection[tuple[object, ...]], name: str, *, lock: bool) -> Iterator[None]:
    """One transaction; with `lock`, after the append lock, so that writers take turns at the chain's head."""
    try:
        with connection.transaction():
            if lock:
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
            yield
    except psycopg.Error as error:
        raise translate(error, name) from None
