"""The triggers that keep a PostgreSQL log append-only, checked by verify: a dropped or disabled guard is tampering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crisisctl.store.postgres.migrations import APPEND_ONLY_TABLES

if TYPE_CHECKING:
    from psycopg import Connection

EXPECTED = frozenset(
    {(table, f"{table}_append_only") for table in APPEND_ONLY_TABLES}
    | {(table, f"{table}_never_truncated") for table in (*APPEND_ONLY_TABLES, "incidents")}
    | {("incidents", "incidents_follow_events")}
)


def difference(connection: Connection[tuple[Any, ...]]) -> str | None:
    """The first guard that is missing or switched off, as a reason; None when all stand."""
    rows = connection.execute(
        "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
    ).fetchall()
    found = {(str(table), str(name)): str(enabled) for table, name, enabled in rows}
    for table, name in sorted(EXPECTED):
        state = found.get((table, name))
        if state is None:
            return f"the trigger {name} is missing from the log's table {table} (a guard was removed)"
        if state not in ("O", "A"):  # D: disabled; R: fires only on replicas
            return f"the trigger {name} on the log's table {table} is disabled (a guard was switched off)"
    return None
