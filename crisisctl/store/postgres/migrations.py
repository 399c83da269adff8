"""Append-only, named schema migrations of a PostgreSQL log; `crisisctl_schema` keeps one row per migration run.

Never edit a migration once shipped: add `mNNN_what` at the end of MIGRATIONS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from psycopg import Connection

# Refuses a change to rows that are evidence; TRUNCATE has its own statement-level trigger, as it fires none
# of the row triggers.
_GUARDS = """
CREATE FUNCTION crisisctl_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'crisisctl log: % are append-only; record a correction instead', TG_TABLE_NAME;
END $$;
CREATE FUNCTION crisisctl_incident_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'crisisctl log: incidents are never deleted; close the incident instead';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.number IS DISTINCT FROM OLD.number
     OR NEW.playbook IS DISTINCT FROM OLD.playbook OR NEW.playbook_version IS DISTINCT FROM OLD.playbook_version
     OR NEW.title IS DISTINCT FROM OLD.title OR NEW.drill IS DISTINCT FROM OLD.drill
     OR NEW.declared_at IS DISTINCT FROM OLD.declared_at OR NEW.last_seq < OLD.last_seq
     OR (NEW.last_seq IS NOT DISTINCT FROM OLD.last_seq
         AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.severity IS DISTINCT FROM OLD.severity)) THEN
    RAISE EXCEPTION 'crisisctl log: incidents change only with a newly recorded event';
  END IF;
  RETURN NEW;
END $$;
"""

_TABLES = """
CREATE TABLE events (
  seq bigint PRIMARY KEY, incident text NOT NULL, at text NOT NULL, recorded_at text NOT NULL,
  type text NOT NULL, actor text NOT NULL, data text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL
);
CREATE INDEX events_incident_seq ON events (incident, seq);
CREATE INDEX events_declarations ON events (seq) WHERE type = 'incident.declared';
CREATE INDEX events_deliveries ON events (seq)
WHERE type IN ('communication.sending', 'communication.sent', 'communication.delivery_failed');
CREATE TABLE playbook_snapshots (
  sha256 text PRIMARY KEY, playbook text NOT NULL, version text NOT NULL, text text NOT NULL
);
CREATE TABLE playbook_models (sha256 text PRIMARY KEY, data text NOT NULL);
CREATE TABLE incidents (
  id text PRIMARY KEY, number bigint NOT NULL UNIQUE, playbook text NOT NULL, playbook_version text NOT NULL,
  title text NOT NULL, severity text NOT NULL, status text NOT NULL, drill boolean NOT NULL,
  declared_at text NOT NULL, last_seq bigint
);
CREATE INDEX incidents_status_drill ON incidents (status, drill);
"""

APPEND_ONLY_TABLES = ("events", "playbook_snapshots", "playbook_models", "crisisctl_schema")


def _append_only(table: str) -> sql.Composed:
    return sql.SQL(
        "CREATE TRIGGER {row} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION crisisctl_append_only();"
        "CREATE TRIGGER {whole} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION crisisctl_append_only();"
    ).format(
        row=sql.Identifier(f"{table}_append_only"),
        whole=sql.Identifier(f"{table}_never_truncated"),
        table=sql.Identifier(table),
    )


def m001_event_log(connection: Connection[tuple[object, ...]]) -> None:
    """Events with their hash chain, pinned playbooks and their data, the incident list, and their guards."""
    connection.execute(_GUARDS)
    connection.execute(_TABLES)
    for table in APPEND_ONLY_TABLES:
        connection.execute(_append_only(table))
    connection.execute(
        "CREATE TRIGGER incidents_follow_events BEFORE UPDATE OR DELETE ON incidents"
        " FOR EACH ROW EXECUTE FUNCTION crisisctl_incident_guard();"
        "CREATE TRIGGER incidents_never_truncated BEFORE TRUNCATE ON incidents"
        " FOR EACH STATEMENT EXECUTE FUNCTION crisisctl_incident_guard();"
    )
    # Writers may only INSERT and SELECT; the incident list's line is updated through this function, which
    # runs with its owner's rights and can do no more than the guard above allows.
    schema = connection.execute("SELECT current_schema()").fetchone()
    assert schema is not None
    connection.execute(
        sql.SQL(
            "CREATE FUNCTION crisisctl_save_incident(p_id text, p_number bigint, p_playbook text,"
            " p_playbook_version text, p_title text, p_severity text, p_status text, p_drill boolean,"
            " p_declared_at text, p_last_seq bigint) RETURNS void LANGUAGE sql SECURITY DEFINER"
            " SET search_path = pg_catalog, {schema} AS $$"
            " INSERT INTO incidents (id, number, playbook, playbook_version, title, severity, status, drill,"
            " declared_at, last_seq) VALUES (p_id, p_number, p_playbook, p_playbook_version, p_title, p_severity,"
            " p_status, p_drill, p_declared_at, p_last_seq) ON CONFLICT (id) DO UPDATE SET"
            " severity = excluded.severity, status = excluded.status, last_seq = excluded.last_seq $$;"
            "REVOKE ALL ON FUNCTION crisisctl_save_incident FROM PUBLIC;"
        ).format(schema=sql.Identifier(str(schema[0])))
    )


def m002_client_ids(connection: Connection[tuple[object, ...]]) -> None:
    """Each event's client id, unique, as SQLite's m004: outside the hashed fields, NULL in older events."""
    connection.execute("ALTER TABLE events ADD COLUMN client_id text CONSTRAINT events_client_id UNIQUE")


MIGRATIONS = [m001_event_log, m002_client_ids]


def current_version(connection: Connection[tuple[object, ...]]) -> int | None:
    """How many migrations the log has had; None when it has no crisisctl schema at all."""
    row = connection.execute("SELECT to_regclass('crisisctl_schema') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return None
    version = connection.execute("SELECT coalesce(max(version), 0) FROM crisisctl_schema").fetchone()
    return int(version[0]) if version else 0  # type: ignore[call-overload]


def migrate(connection: Connection[tuple[object, ...]]) -> None:
    """Run the migrations this log has not had, in order, inside the caller's transaction."""
    done = current_version(connection)
    if done is None:
        connection.execute(
            "CREATE TABLE crisisctl_schema (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = 0
    for number, migration in enumerate(MIGRATIONS[done:], start=done + 1):
        migration(connection)
        connection.execute("INSERT INTO crisisctl_schema (version, name) VALUES (%s, %s)", (number, migration.__name__))
