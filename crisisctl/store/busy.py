"""How long a writer waits for the log's lock, on every store; apart from database.py so PostgreSQL skips sqlite3."""

from __future__ import annotations

import os

from crisisctl.errors import LogError

DEFAULT_BUSY_TIMEOUT_MS = 10_000
ENV_BUSY_TIMEOUT = "CRISISCTL_BUSY_TIMEOUT_MS"


class LogBusyError(LogError):
    """Another writer held the log past the busy timeout."""


def busy_timeout_ms() -> int:
    raw = os.environ.get(ENV_BUSY_TIMEOUT)
    if raw is None:
        return DEFAULT_BUSY_TIMEOUT_MS
    try:
        return max(0, int(raw))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT_MS
