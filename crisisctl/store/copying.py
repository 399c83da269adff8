"""Moving a whole log from one store to another row for row: the same seq, fields and hashes on both sides."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

if TYPE_CHECKING:
    from crisisctl.incident.port import EventLog

# (table, columns, order): the playbooks first, so that no moment of the copy has a declaration without its
# playbook; the incident list last, after the events it follows. Both stores have these columns.
TABLES: tuple[tuple[str, str, str], ...] = (
    ("playbook_snapshots", "sha256, playbook, version, text", "sha256"),
    ("playbook_models", "sha256, data", "sha256"),
    ("events", "seq, incident, at, recorded_at, type, actor, data, prev_hash, hash, client_id", "seq"),
    (
        "incidents",
        "id, number, playbook, playbook_version, title, severity, status, drill, declared_at, last_seq",
        "id",
    ),
)


class Copied(Struct):
    """How many rows of each table were copied, and the newest event's (seq, hash): the anchor to check."""

    rows: dict[str, int] = field(default_factory=dict)
    newest: tuple[int, str] | None = None

    def _watch(self, events: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in events:
            self.newest = (int(row[0]), str(row[8]))
            yield row


def copy_rows(source: EventLog, destination: EventLog) -> Copied:
    """Every row of `source`, as of one snapshot, into the empty `destination`, in one transaction there;
    streamed, so memory does not grow with the log."""
    copied = Copied()
    with source.export() as snapshot, destination.restore() as target:
        for table, _, _ in TABLES:
            rows = snapshot.rows(table)
            copied.rows[table] = target.add(table, copied._watch(rows) if table == "events" else rows)
    return copied
