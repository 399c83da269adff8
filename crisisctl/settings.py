"""Where crisisctl reads and writes, and who is acting: flag, then CRISISCTL_* variable, then (for the log)
config.toml's `db`, then default."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from crisisctl.dsn import is_postgres, masked
from crisisctl.errors import UsageError

ENV_DB = "CRISISCTL_DB"
ENV_PLAYBOOKS = "CRISISCTL_PLAYBOOKS"
ENV_TEMPLATES = "CRISISCTL_TEMPLATES"
ENV_USER = "CRISISCTL_USER"
ENV_CONFIG = "CRISISCTL_CONFIG"


def default_db_path() -> Path:
    """The log in the user's data directory, by platform convention."""
    import platformdirs

    return platformdirs.user_data_path("crisisctl", appauthor=False) / "incidents.sqlite3"


def config_file() -> tuple[Path, bool]:
    """The configuration file, and whether the user named it (then it must exist)."""
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit), True
    import platformdirs

    return platformdirs.user_config_path("crisisctl", appauthor=False) / "config.toml", False


def configured_db() -> str | None:
    """config.toml's `db`: a team's log named once per laptop instead of on every command."""
    path, _ = config_file()
    if not path.is_file():
        return None  # a named file that is missing is reported by whoever needs more of it
    import tomllib

    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("db")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read the configuration {path}: {error}", "see docs/team.md") from None
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise UsageError(
            f"{path}: db must be a log file's path or a postgresql:// address",
            'db = "postgresql://ana@db.example/crisis"',
        )
    return value


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

    @cached_property
    def db_target(self) -> str:
        """The log: a SQLite file's path or a postgresql:// DSN."""
        return self.db_flag or configured_db() or str(default_db_path())

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
