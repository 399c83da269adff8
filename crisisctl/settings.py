"""Where crisisctl reads and writes, who is acting, and the display time zone: flag, then CRISISCTL_* variable,
then (for the log and the zone) config.toml's `db` and `timezone`, then default."""

from __future__ import annotations

import getpass
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from crisisctl.dsn import is_postgres, masked
from crisisctl.errors import UsageError

if TYPE_CHECKING:
    import datetime as dt
    import re

ENV_DB = "CRISISCTL_DB"
ENV_PLAYBOOKS = "CRISISCTL_PLAYBOOKS"
ENV_TEMPLATES = "CRISISCTL_TEMPLATES"
ENV_USER = "CRISISCTL_USER"
ENV_CONFIG = "CRISISCTL_CONFIG"
ENV_TZ = "CRISISCTL_TZ"


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


def _configured(key: str) -> tuple[Path, object]:
    """config.toml's value for `key` (None when the file or the key is missing), and the file's path."""
    path, _ = config_file()
    if not path.is_file():
        return path, None  # a named file that is missing is reported by whoever needs more of it
    import tomllib

    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8")).get(key)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read the configuration {path}: {error}", "see docs/team.md") from None


def configured_db() -> str | None:
    """config.toml's `db`: a team's log named once per laptop instead of on every command."""
    path, value = _configured("db")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise UsageError(
            f"{path}: db must be a log file's path or a postgresql:// address",
            'db = "postgresql://ana@db.example/crisis"',
        )
    return value if isinstance(value, str) else None


def configured_timezone() -> dt.tzinfo | None:
    """config.toml's `timezone`: the zone a laptop's people read times in, named once."""
    from crisisctl.timezones import zone_named

    path, value = _configured("timezone")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{path}: timezone must be an IANA time zone name", 'timezone = "Asia/Shanghai"')
    return zone_named(value, f"timezone in {path}")


def configured_redactions() -> tuple[re.Pattern[str], ...]:
    """config.toml's `[redact] patterns`: regular expressions for what else `--redact` masks (staff numbers,
    customer ids); each is checked here, so a typo is a clear error, never a silent miss."""
    import re

    path, section = _configured("redact")
    if section is None:
        return ()
    example = "under [redact], e.g. patterns = ['EMP-\\d{6}']"
    if not isinstance(section, dict) or set(section) - {"patterns"}:
        raise UsageError(f"{path}: [redact] knows only `patterns`, a list of regular expressions", example)
    patterns = section.get("patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(item, str) and item for item in patterns):
        raise UsageError(f"{path}: [redact] patterns must be a list of non-empty strings", example)
    compiled = []
    for index, text in enumerate(patterns):
        try:
            pattern = re.compile(text)
        except re.error as error:
            raise UsageError(
                f"{path}: [redact] patterns[{index}] is not a valid regular expression: {error}",
                "write it in Python's regular-expression syntax, in a TOML literal string ('...') so that "
                "backslashes stay as written",
            ) from None
        compiled.append(pattern)
    return tuple(compiled)


def display_zone(tz_flag: str | None) -> dt.tzinfo | None:
    """Where times are shown: --tz (or CRISISCTL_TZ), then config.toml's `timezone`, then the system zone (None
    when its IANA name is not known)."""
    from crisisctl.timezones import system_zone, zone_named

    if tz_flag is not None:
        return zone_named(tz_flag, f"--tz or {ENV_TZ}")
    return configured_timezone() or system_zone()


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


class Settings(Struct, frozen=True, dict=True):  # dict=True: room for the cached_property
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
