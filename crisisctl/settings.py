"""Where crisisctl reads and writes, and who is acting: flag, then CRISISCTL_* variable, then default."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from crisisctl.dsn import is_postgres, masked

ENV_DB = "CRISISCTL_DB"
ENV_PLAYBOOKS = "CRISISCTL_PLAYBOOKS"
ENV_TEMPLATES = "CRISISCTL_TEMPLATES"
ENV_USER = "CRISISCTL_USER"


def default_db_path() -> Path:
    """The log in the user's data directory, by platform convention."""
    import platformdirs

    return platformdirs.user_data_path("crisisctl", appauthor=False) / "incidents.sqlite3"


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


@dataclass(frozen=True)
class Settings:
    """Resolved paths and actor for one command."""

    playbooks: Path
    templates: Path
    db_flag: str | None = None
    actor_flag: str | None = None

    @property
    def db_target(self) -> str:
        """The log: a SQLite file's path or a postgresql:// DSN."""
        return self.db_flag or str(default_db_path())

    @property
    def db_name(self) -> str:
        """The log as messages and files name it: never with a password."""
        return masked(self.db_target)

    @property
    def db(self) -> Path:
        """The SQLite file, or for a PostgreSQL log the local place its side files (the outbox) are named after."""
        if not is_postgres(self.db_target):
            return Path(self.db_target)
        import hashlib

        digest = hashlib.sha256(self.db_name.encode("utf-8")).hexdigest()[:16]
        return default_db_path().parent / "team" / f"postgresql-{digest}"
