"""The triggers that keep a PostgreSQL log append-only, checked by verify: a dropped or disabled guard is tampering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crisisctl.store.postgres.migrations import APPEND_ONLY_TABLES, FUNCTION_BODIES, function_body

if TYPE_CHECKING:
    from psycopg import Connection

EXPECTED = frozenset(
    {(table, f"{table}_append_only") for table in APPEND_ONLY_TABLES}
    | {(table, f"{table}_never_truncated") for table in (*APPEND_ONLY_TABLES, "incidents")}
    | {("incidents", "incidents_follow_events"), ("events", "events_checked_insert")}
)


def difference(connection: Connection[tuple[Any, ...]]) -> str | None:
    """The first guard that is missing or switched off, as a reason; None when all stand."""
    rows = connection.execute(
        "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
    ).fetchall()
    found = {(str(table), str(name)): str(enabled) for table, name, enabled in rows}
    rewritten = _rewritten_function(connection)
    if rewritten is not None:
        return rewritten
    for table, name in sorted(EXPECTED):
        state = found.get((table, name))
        if state is None:
            return f"the trigger {name} is missing from the log's table {table} (a guard was removed)"
        if state not in ("O", "A"):  # D: disabled; R: fires only on replicas
            return f"the trigger {name} on the log's table {table} is disabled (a guard was switched off)"
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
