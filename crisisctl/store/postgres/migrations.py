"""Append-only, named schema migrations of a PostgreSQL log; `crisisctl_schema` keeps one row per migration run.

Never edit a migration once shipped: add `mNNN_what` at the end of MIGRATIONS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg import sql

from crisisctl.store.copying import TABLES

if TYPE_CHECKING:
    from psycopg import Connection

GENESIS = "sha256:" + "0" * 64

# The bodies of crisisctl's functions, by name: created from here, and compared with the server's by verify,
# so a guard rewritten to let everything through is caught like a dropped one. Every table is named with
# its schema ({schema}) and every function fixes its search_path with pg_temp last: a writer's temporary
# objects must never stand in for the log's.
FUNCTION_BODIES = {
    # Refuses a change to rows that are evidence; TRUNCATE has its own statement-level trigger, as it fires
    # none of the row triggers.
    "crisisctl_append_only": """
BEGIN
  RAISE EXCEPTION 'crisisctl log: % are append-only; record a correction instead', TG_TABLE_NAME;
END """,
    "crisisctl_incident_guard": """
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
END """,
    # The owner is trusted as a DBA is (anchors kept outside the log are what catch a DBA); any other
    # signed-in user's event must be the next link of the chain, name that user as db_user, carry JSON and
    # be recorded now by the server's clock.
    "crisisctl_event_guard": """
DECLARE
  newest record;
BEGIN
  IF pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
    RETURN NEW;
  END IF;
  SELECT seq, hash INTO newest FROM {schema}.events ORDER BY seq DESC LIMIT 1;
  IF NEW.seq <> coalesce(newest.seq, 0) + 1 OR NEW.prev_hash <> coalesce(newest.hash, '{genesis}') THEN
    RAISE EXCEPTION 'crisisctl log: an event must follow the newest one in the chain';
  END IF;
  IF (NEW.data::jsonb ->> 'db_user') IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'crisisctl log: an event names the database user who recorded it';
  END IF;
  IF abs(extract(epoch FROM NEW.recorded_at::timestamptz - clock_timestamp())) > 300 THEN
    RAISE EXCEPTION 'crisisctl log: an event is recorded at the server''s time';
  END IF;
  RETURN NEW;
END """,
    # The incident list's line, derived here from the events and never taken from the caller: writers may
    # not write the list, and run this with its owner's rights.
    "crisisctl_save_incident": """
DECLARE
  declared jsonb;
  declared_at text;
  line record;
  since bigint;
  v_severity text;
  v_status text;
  happened record;
BEGIN
  SELECT i.severity, i.status, i.last_seq INTO line FROM {schema}.incidents i WHERE i.id = p_id;
  IF FOUND THEN
    v_severity := line.severity;
    v_status := line.status;
    since := line.last_seq;
  ELSE
    SELECT e.data::jsonb, e.at, e.seq INTO declared, declared_at, since FROM {schema}.events e
      WHERE e.incident = p_id AND e.type = 'incident.declared' ORDER BY e.seq LIMIT 1;
    IF declared IS NULL THEN
      RAISE EXCEPTION 'crisisctl log: % has no declaration', p_id;
    END IF;
    v_severity := declared ->> 'severity';
    v_status := 'open';
  END IF;
  FOR happened IN SELECT e.type, e.data::jsonb AS data FROM {schema}.events e
      WHERE e.incident = p_id AND e.seq > since
        AND e.type IN ('severity.changed', 'incident.resolved', 'incident.closed') ORDER BY e.seq LOOP
    IF happened.type = 'severity.changed' THEN
      v_severity := happened.data ->> 'to';
    ELSIF happened.type = 'incident.resolved' THEN
      v_status := 'resolved';
    ELSE
      v_status := 'closed';
    END IF;
  END LOOP;
  IF declared IS NULL THEN
    UPDATE {schema}.incidents i SET severity = v_severity, status = v_status,
      last_seq = (SELECT max(e.seq) FROM {schema}.events e WHERE e.incident = p_id)
      WHERE i.id = p_id;
  ELSE
    INSERT INTO {schema}.incidents (id, number, playbook, playbook_version, title, severity, status, drill,
        declared_at, last_seq)
      VALUES (p_id, (declared ->> 'number')::bigint, declared ->> 'playbook', declared ->> 'playbook_version',
        declared ->> 'title', v_severity, v_status, (declared ->> 'drill')::boolean, declared_at,
        (SELECT max(e.seq) FROM {schema}.events e WHERE e.incident = p_id));
  END IF;
END """,
}
_SIGNATURES = {
    "crisisctl_append_only": "() RETURNS trigger LANGUAGE plpgsql",
    "crisisctl_incident_guard": "() RETURNS trigger LANGUAGE plpgsql",
    "crisisctl_event_guard": "() RETURNS trigger LANGUAGE plpgsql",
    "crisisctl_save_incident": "(p_id text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER",
}


def function_body(name: str, schema: str) -> str:
    """The body as the server keeps it (`pg_proc.prosrc`) for a log in `schema`."""
    return FUNCTION_BODIES[name].replace("{schema}", _quoted(schema)).replace("{genesis}", GENESIS)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _functions(connection: Connection[tuple[object, ...]], schema: str) -> None:
    for name, signature in _SIGNATURES.items():
        body = function_body(name, schema)
        assert "$body$" not in body
        connection.execute(
            sql.SQL(
                "CREATE FUNCTION {name}{signature}"
                " SET search_path = pg_catalog, {schema}, pg_temp AS $body${body}$body$"
            ).format(
                name=sql.Identifier(schema, name),
                signature=sql.SQL(signature),  # fixed text above, not input
                schema=sql.Identifier(schema),
                body=sql.SQL(body),
            )
        )


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
    row = connection.execute("SELECT current_schema()").fetchone()
    assert row is not None
    schema = str(row[0])
    _functions(connection, schema)
    connection.execute(_TABLES)
    for table in APPEND_ONLY_TABLES:
        connection.execute(_append_only(table))
    connection.execute(
        "CREATE TRIGGER events_checked_insert BEFORE INSERT ON events"
        " FOR EACH ROW EXECUTE FUNCTION crisisctl_event_guard();"
        "CREATE TRIGGER incidents_follow_events BEFORE UPDATE OR DELETE ON incidents"
        " FOR EACH ROW EXECUTE FUNCTION crisisctl_incident_guard();"
        "CREATE TRIGGER incidents_never_truncated BEFORE TRUNCATE ON incidents"
        " FOR EACH STATEMENT EXECUTE FUNCTION crisisctl_incident_guard();"
    )
    connection.execute("REVOKE ALL ON FUNCTION crisisctl_save_incident FROM PUBLIC")


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


def foreign_tables(connection: Connection[tuple[object, ...]]) -> list[str]:
    """Tables with the names crisisctl's tables take, in a database without crisisctl's schema: someone else's."""
    names = [table for table, _, _ in TABLES]
    rows = connection.execute(
        "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NOT NULL", (names,)
    )
    return [str(row[0]) for row in rows]


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
