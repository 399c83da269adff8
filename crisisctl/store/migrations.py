"""Append-only, named schema migrations; each runs once, inside the opening transaction.

Never edit a migration once shipped: add `mNNN_what` at the end of MIGRATIONS.
`PRAGMA user_version` records how many have run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

_APPEND_ONLY = """
CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, 'crisisctl log: {table} are append-only; record a correction instead'); END;
CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, 'crisisctl log: {table} are append-only; record a correction instead'); END;
"""


def m001_event_log(db: Database) -> None:
    """Events with their hash chain, pinned playbook texts, and the incident list."""
    db.table("events").create(
        {
            "seq": int,
            "incident": str,
            "at": str,
            "recorded_at": str,
            "type": str,
            "actor": str,
            "data": str,
            "prev_hash": str,
            "hash": str,
        },
        pk="seq",
        not_null={"incident", "at", "recorded_at", "type", "actor", "data", "prev_hash", "hash"},
    )
    db.table("events").create_index(["incident", "seq"])
    db.table("playbook_snapshots").create(
        {"sha256": str, "playbook": str, "version": str, "text": str},
        pk="sha256",
        not_null={"playbook", "version", "text"},
    )
    db.table("incidents").create(
        {
            "id": str,
            "number": int,
            "playbook": str,
            "playbook_version": str,
            "title": str,
            "severity": str,
            "status": str,
            "drill": int,
            "declared_at": str,
            "last_seq": int,
        },
        pk="id",
        not_null={"number", "playbook", "playbook_version", "title", "severity", "status", "drill", "declared_at"},
    )
    db.table("incidents").create_index(["number"], unique=True)
    db.table("incidents").create_index(["status", "drill"])
    for table in ("events", "playbook_snapshots"):
        db.executescript(_APPEND_ONLY.format(table=table))


def m002_playbook_models(db: Database) -> None:
    """The validated data of each pinned playbook as JSON, so commands need not parse YAML again."""
    db.table("playbook_models").create({"sha256": str, "data": str}, pk="sha256", not_null={"data"})
    db.executescript(_APPEND_ONLY.format(table="playbook_models"))


_INCIDENT_GUARDS = """
CREATE TRIGGER incidents_never_deleted BEFORE DELETE ON incidents
BEGIN SELECT RAISE(ABORT, 'crisisctl log: incidents are never deleted; close the incident instead'); END;
CREATE TRIGGER incidents_follow_events BEFORE UPDATE ON incidents
WHEN NEW.id IS NOT OLD.id OR NEW.number IS NOT OLD.number OR NEW.playbook IS NOT OLD.playbook
  OR NEW.playbook_version IS NOT OLD.playbook_version OR NEW.title IS NOT OLD.title
  OR NEW.drill IS NOT OLD.drill OR NEW.declared_at IS NOT OLD.declared_at
  OR NEW.last_seq < OLD.last_seq OR (NEW.last_seq IS OLD.last_seq
    AND (NEW.status IS NOT OLD.status OR NEW.severity IS NOT OLD.severity))
BEGIN SELECT RAISE(ABORT, 'crisisctl log: incidents change only with a newly recorded event'); END;
CREATE INDEX idx_events_declarations ON events (seq) WHERE type = 'incident.declared';
CREATE INDEX idx_events_deliveries ON events (seq)
WHERE type IN ('communication.sending', 'communication.sent', 'communication.delivery_failed');
"""


def m003_incident_guards(db: Database) -> None:
    """The incident list follows the events: rows are never deleted, a declaration never changes, status and
    severity change only with a newer event; and declarations are indexed, so a new incident's number can
    come from the events, as are deliveries, so `verify` finds open ones without reading every event."""
    db.executescript(_INCIDENT_GUARDS)


def m004_client_ids(db: Database) -> None:
    """Each event's client id (the recording invocation's UUID and the event's number in it), unique, so a
    command whose commit was not acknowledged can tell whether it was recorded. Outside the hashed fields:
    it names a delivery attempt, not a fact of the crisis; NULL in events recorded before it existed."""
    db.executescript(
        "ALTER TABLE events ADD COLUMN client_id TEXT;CREATE UNIQUE INDEX idx_events_client_id ON events (client_id);"
    )


MIGRATIONS: list[Callable[[Database], None]] = [
    m001_event_log,
    m002_playbook_models,
    m003_incident_guards,
    m004_client_ids,
]


def migrate(connection: sqlite3.Connection) -> None:
    """Run the migrations this log has not had, in order, inside the caller's transaction."""
    from sqlite_utils import Database

    db = Database(connection)
    done = int(connection.execute("PRAGMA user_version").fetchone()[0])
    for number, migration in enumerate(MIGRATIONS[done:], start=done + 1):
        migration(db)
        connection.execute(f"PRAGMA user_version = {number}")
