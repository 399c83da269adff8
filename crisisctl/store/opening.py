"""The log a --db value names: a SQLite file, or a PostgreSQL database for a postgresql:// DSN."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from crisisctl.dsn import is_postgres

if TYPE_CHECKING:
    from crisisctl.incident.port import EventLog


def open_log(
    target: str, on_commit: Callable[[], None] | None = None, notice: Callable[[str], None] | None = None
) -> EventLog:
    """The log, opened lazily; psycopg is imported only for a PostgreSQL DSN. `notice` is told what the user
    should know of a write that succeeded oddly (a commit whose acknowledgement was lost). A team log is reached
    through the user's agent when one is up (crisisctl.store.agent)."""
    if is_postgres(target):
        from crisisctl.store.agent.client import open_team_log

        return open_team_log(target, on_commit, notice)
    from crisisctl.store.log import IncidentLog

    return IncidentLog(Path(target), on_commit)
