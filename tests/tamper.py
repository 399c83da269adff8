"""Tampering with a log behind crisisctl's back, the same way on either store.

What a careful someone with write access does: on SQLite, open the file, drop the guard triggers and
put them back afterwards; on PostgreSQL, connect as a superuser and switch the triggers off for the
session (`session_replication_role = replica`), which leaves them standing and enabled in the catalog.
Either way the schema afterwards looks untouched, and only the rows tell.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from conftest import Raw, raw

COLUMNS = ("seq", "incident", "at", "recorded_at", "type", "actor", "data", "prev_hash", "hash")


@contextlib.contextmanager
def attacker(target: str) -> Iterator[Raw]:
    """A raw connection on which the guards do not fire."""
    with raw(target) as connection:
        if connection.pg:
            connection.execute("SET session_replication_role = replica")
            yield connection
            return
        triggers = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        assert {"events_append_only_update", "events_append_only_delete"} <= {name for name, _ in triggers}
        for name, _ in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        yield connection
        for _, sql in triggers:
            connection.execute(sql)


def event(target: str, seq: int) -> dict[str, Any]:
    """One stored event's columns, by name."""
    with raw(target) as connection:
        (row,) = connection.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq = ?", (seq,))
    return dict(zip(COLUMNS, row, strict=True))


def alter_event(target: str, seq: int, **columns: object) -> None:
    """Set columns of event `seq` to new values."""
    assignments = ", ".join(f"{column} = ?" for column in columns)
    with attacker(target) as connection:
        connection.execute(f"UPDATE events SET {assignments} WHERE seq = ?", (*columns.values(), seq))


def delete_events(target: str, first: int, last: int | None = None, *, renumber: bool = False) -> None:
    """Remove events `first` to `last` (only `first` without `last`); with `renumber`, close the gap in seq as a
    careful attacker would."""
    last = first if last is None else last
    with attacker(target) as connection:
        (newest,) = connection.execute("SELECT max(seq) FROM events")
        connection.execute("DELETE FROM events WHERE seq BETWEEN ? AND ?", (first, last))
        if renumber:
            gap = last - first + 1
            for seq in range(last + 1, int(newest[0]) + 1):  # one at a time, upwards: seq stays unique
                connection.execute("UPDATE events SET seq = ? WHERE seq = ?", (seq - gap, seq))


def swap_events(target: str, first: int, second: int) -> None:
    """Exchange the contents of two events, each keeping its place (seq)."""
    a, b = event(target, first), event(target, second)
    with attacker(target) as connection:
        rest = ", ".join(f"{column} = ?" for column in COLUMNS[1:])
        connection.execute(f"UPDATE events SET {rest} WHERE seq = ?", (*(b[c] for c in COLUMNS[1:]), first))
        connection.execute(f"UPDATE events SET {rest} WHERE seq = ?", (*(a[c] for c in COLUMNS[1:]), second))


def keep_the_list_in_step(target: str) -> None:
    """Make the incident list's last_seq match the events again, as a careful attacker would after a cut."""
    with attacker(target) as connection:
        connection.execute(
            "UPDATE incidents SET last_seq = (SELECT max(seq) FROM events WHERE events.incident = incidents.id)"
        )


def run(target: str, statement: str) -> None:
    """Any statement, with the guards off."""
    with attacker(target) as connection:
        connection.execute(statement)
