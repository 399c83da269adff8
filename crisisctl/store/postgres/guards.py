"""The triggers that keep a PostgreSQL log append-only, checked by verify: a guard dropped, disabled or changed,
or a trigger crisisctl never made, is tampering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crisisctl.store.postgres.migrations import APPEND_ONLY_TABLES, FUNCTION_BODIES, function_body

if TYPE_CHECKING:
    from psycopg import Connection

# pg_trigger.tgtype bits: what fires a trigger, and when.
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE = 1, 2, 4, 8, 16, 32
_ROW_CHANGE = _ROW | _BEFORE | _UPDATE | _DELETE

# Every guard as the migrations make it: (table, trigger) -> (tgtype, the function of the log's own it runs).
EXPECTED: dict[tuple[str, str], tuple[int, str]] = {
    **{(table, f"{table}_append_only"): (_ROW_CHANGE, "crisisctl_append_only") for table in APPEND_ONLY_TABLES},
    **{
        (table, f"{table}_never_truncated"): (_BEFORE | _TRUNCATE, "crisisctl_append_only")
        for table in APPEND_ONLY_TABLES
    },
    ("incidents", "incidents_never_truncated"): (_BEFORE | _TRUNCATE, "crisisctl_incident_guard"),
    ("incidents", "incidents_follow_events"): (_ROW_CHANGE, "crisisctl_incident_guard"),
    ("events", "events_checked_insert"): (_ROW | _BEFORE | _INSERT, "crisisctl_event_guard"),
}


def difference(connection: Connection[tuple[Any, ...]]) -> str | None:
    """The first guard that is missing, switched off or changed, or a trigger crisisctl never made, as a
    reason; None when all stand as they were made."""
    rows = connection.execute(
        "SELECT c.relname, t.tgname, t.tgenabled, t.tgtype,"
        " CASE WHEN p.pronamespace = c.relnamespace THEN p.proname END,"
        " t.tgattr::text = '' AND t.tgqual IS NULL AND t.tgnargs = 0 AND t.tgconstraint = 0"
        " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
    ).fetchall()
    found = {
        (str(table), str(name)): (str(enabled), (int(kind), function, bool(plain)))
        for table, name, enabled, kind, function, plain in rows
    }
    rewritten = _rewritten_function(connection)
    if rewritten is not None:
        return rewritten
    for (table, name), (kind, function) in sorted(EXPECTED.items()):
        if (table, name) not in found:
            return f"the trigger {name} is missing from the log's table {table} (a guard was removed)"
        state, made = found[(table, name)]
        if state not in ("O", "A"):  # D: disabled; R: fires only on replicas
            return f"the trigger {name} on the log's table {table} is disabled (a guard was switched off)"
        if made != (kind, function, True):  # other events, columns, a WHEN condition or another function
            return (
                f"the trigger {name} on the log's table {table} differs from the one crisisctl made"
                " (a guard was changed)"
            )
    foreign = sorted(found.keys() - EXPECTED.keys())
    if foreign:
        table, name = foreign[0]
        return f"the log's table {table} has a trigger {name} that crisisctl never made"
    return None


def _rewritten_function(connection: Connection[tuple[Any, ...]]) -> str | None:
    """A guard function whose body or settings differ from what the migrations made: a trigger that still
    stands but lets everything through is as much a removed guard as a dropped one."""
    rows = connection.execute(
        "SELECT p.proname, p.prosrc, p.proconfig FROM pg_proc p"
        " WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = ANY(%s)",
        (list(FUNCTION_BODIES),),
    ).fetchall()
    schema = connection.execute("SELECT current_schema()").fetchone()
    assert schema is not None
    kept = {str(name): (str(source), list(config or [])) for name, source, config in rows}
    for name in sorted(FUNCTION_BODIES):
        if name not in kept:
            return f"the function {name} is missing from the log (a guard was removed)"
        source, config = kept[name]
        if source != function_body(name, str(schema[0])) or not any(c.startswith("search_path=") for c in config):
            return f"the function {name} differs from the one crisisctl made (a guard was rewritten)"
    return None
