"""Stored events from a store's rows: the read side, which trusts the chain and so needs no hashing.

Kept apart from crisisctl.store.chain so that commands that only read never load hashlib (OpenSSL, about 2 ms).
"""

from __future__ import annotations

from typing import Any

from crisisctl.errors import LogError
from crisisctl.incident.records import StoredEvent
from crisisctl.store.canonical import parse_json


def event_from_row(row: tuple[Any, ...]) -> StoredEvent:
    """A stored event from its columns (seq, incident, at, recorded_at, type, actor, data, prev_hash, hash);
    data that is not JSON is a damaged log, not a crash."""
    try:
        data = parse_json(row[6])
    except ValueError:
        raise LogError(
            f"event {row[0]} of the log is damaged: its data is not JSON",
            "run `crisisctl verify`, and restore the log from a backup",
        ) from None
    return StoredEvent(row[0], row[1], row[2], row[3], row[4], row[5], data, row[7], row[8])
