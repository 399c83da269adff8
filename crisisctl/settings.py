"""Where crisisctl reads and writes, and who is acting: flag, then CRISISCTL_* variable, then default."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

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
    db_flag: Path | None = None
    actor_flag: str | None = None

    @property
    def db(self) -> Path:
        return self.db_flag or default_db_path()

    @property
    def actor(self) -> str:
        return self.actor_flag or login_name()
