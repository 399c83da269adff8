"""The log a --db value names: a SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crisisctl.incident.port import EventLog


def open_log(target: str, on_commit: Callable[[], None] | None = None) -> EventLog:
    """The log, opened lazily."""
    from crisisctl.store.log import IncidentLog

    return IncidentLog(Path(target), on_commit)
