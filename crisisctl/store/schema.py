"""The log's schema compared with the one crisisctl's migrations build: a dropped guard is tampering too."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3

from crisisctl.store.migrations import migrate

# Quotes differ between sqlite-utils versions ([x], "x"), and whitespace between SQLite versions; neither
# changes what the schema means.
_NOISE = re.compile(r'[\[\]"`]')
_SPACE = re.compile(r"\s+")

Schema = dict[tuple[str, str], tuple[str, str]]  # (type, name) -> (table, normalised SQL)

# digest(expected()): a log whose schema has this digest needs no sqlite-utils (5 MB, 40 ms) to be checked.
# A new migration changes it; tests/test_log_audit.py says so and prints the new value.
EXPECTED_DIGEST = "sha256:7d04c385e667e0307e6f30cb2e0bf4f41b07d67e2fb774e5d07e88fdde717cc8"


def describe(connection: sqlite3.Connection) -> Schema:
    """Every table, index, trigger and view, by type and name; SQLite's own internal objects left out."""
    rows = connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    )
    return {(kind, name): (table, _normalised(sql)) for kind, name, table, sql in rows}


def _normalised(sql: str | None) -> str:
    return _SPACE.sub(" ", _NOISE.sub("", sql or "")).strip()


def digest(schema: Schema) -> str:
    text = json.dumps(sorted(schema.items()), ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def expected() -> Schema:
    """The schema a new log gets, built in memory by the same migrations."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(connection)
        return describe(connection)
    finally:
        connection.close()


def difference(connection: sqlite3.Connection) -> str | None:
    """The first way the log's schema differs from crisisctl's, as a reason; None when it is the same."""
    actual = describe(connection)
    if digest(actual) == EXPECTED_DIGEST:
        return None
    wanted = expected()
    missing, foreign = sorted(wanted.keys() - actual.keys()), sorted(actual.keys() - wanted.keys())
    if missing:
        return f"the {missing[0][0]} {missing[0][1]} is missing from the log (a guard or a structure was removed)"
    if foreign:
        return f"the log has a {foreign[0][0]} {foreign[0][1]} that crisisctl never made"
    changed = sorted(key for key in wanted if actual[key] != wanted[key])
    if changed:
        return f"the {changed[0][0]} {changed[0][1]} differs from the one crisisctl made"
    return None
