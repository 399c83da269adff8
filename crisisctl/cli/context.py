"""AppContext: what every command needs, built once from the global options."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from msgspec import Struct, field

from crisisctl.boundary import Boundary
from crisisctl.errors import UsageError
from crisisctl.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from crisisctl.clock import Clock
    from crisisctl.incident.declaring import PlaybookFolder
    from crisisctl.incident.identity import Identity
    from crisisctl.incident.port import EventLog
    from crisisctl.incident.service import IncidentService
    from crisisctl.incident.state import IncidentState


class AppContext(Struct):
    """Settings, consoles and terminal facts; tests build their own."""

    settings: Settings
    stdin_is_tty: bool = field(default_factory=lambda: sys.stdin.isatty())
    _out: Console | None = None
    _err: Console | None = None
    _log: EventLog | None = None
    clock: Clock | None = None
    boundary: Boundary = field(default_factory=Boundary.unwatched)

    @classmethod
    def create(
        cls,
        *,
        db: str | None,
        playbooks: str,
        templates: str,
        actor: str | None,
        tz: str | None = None,
        boundary: Boundary | None = None,
    ) -> AppContext:
        if db == "":  # an unset variable in a script: never fall back to the real log silently
            raise UsageError("--db is empty", "name a log file, or leave out --db for the default log")
        from crisisctl.settings import display_zone
        from crisisctl.timezones import use_display_zone

        if tz is None:
            use_display_zone(lambda: display_zone(None))
        else:  # looked up before anything is read or written, so that a zone that does not exist changes nothing
            zone = display_zone(tz)
            use_display_zone(lambda: zone)
        settings = Settings(
            playbooks=Path(playbooks),
            templates=Path(templates),
            db_flag=db or None,
            actor_flag=actor,
        )
        return cls(settings, boundary=boundary or Boundary.unwatched())

    @property
    def out(self) -> Console:
        if self._out is None:
            from crisisctl.output.console import make_console

            self._out = make_console()
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from crisisctl.output.console import make_console

            self._err = make_console(stderr=True)
        return self._err

    def say(self, text: str) -> None:
        """One plain line on standard output, made inert; no rich import for a confirmation."""
        from crisisctl.safetext import inert

        print(inert(text, keep_newlines=False))

    def today(self) -> dt.date:
        """Today in the display zone, by the clock events are recorded with (so --tz and a fixed clock agree)."""
        from crisisctl.timezones import display_zone

        return self.now().astimezone(display_zone()).date()

    def now(self) -> dt.datetime:
        return self.get_clock().now()

    def get_clock(self) -> Clock:
        if self.clock is None:
            self.clock = _clock_from_environment()
        return self.clock

    @property
    def log(self) -> EventLog:
        """The log; it tells the boundary once this run has committed a write."""
        if self._log is None:
            from crisisctl.store.opening import open_log

            self._log = open_log(self.settings.db_target, self._committed, self._notice)
        return self._log

    def close(self) -> None:
        """Close the log, if the command opened it: a SQLite log checkpoints its write-ahead file into the
        database file, a team log ends its session or leaves the agent."""
        if self._log is not None:
            log, self._log = self._log, None
            log.close()

    def _committed(self) -> None:
        self.boundary.committed = True

    def _notice(self, text: str) -> None:
        """One line on standard error, beside the command's own output, which stays as scripts expect it."""
        from crisisctl.safetext import inert

        print(f"crisisctl: {inert(text, keep_newlines=False)}", file=sys.stderr)

    def playbook_folder(self) -> PlaybookFolder:
        """The playbook folder, its dates judged by today, its templates checked against the template folder."""
        from crisisctl.incident.declaring import PlaybookFolder
        from crisisctl.render.templatecheck import TemplateChecker

        return PlaybookFolder(self.settings.playbooks, self.today(), TemplateChecker(self.settings.templates).check)

    def service(self) -> IncidentService:
        from crisisctl.incident.service import IncidentService

        return IncidentService(self.log, self.get_clock(), self.identity)

    def incident_states(self, incident: str | None) -> list[IncidentState]:
        """One incident's state, or every incident's (closed ones too), oldest first: for the lists that span
        incidents (action items, remedies)."""
        service = self.service()
        if incident is not None:
            return [service.load(incident)[0]]
        return [service.load(row.id)[0] for row in reversed(self.log.incidents(include_closed=True, drill=None))]

    def identity(self) -> Identity:
        """Who acts. On a team log with a roster (people.yaml beside the playbooks), the person whose database
        user signed in; otherwise `--as`, else the login name. A file log never reads the roster."""
        from crisisctl.incident.identity import resolve_identity
        from crisisctl.settings import login_name

        db_user = self.log.signed_in_user()
        roster = None
        if db_user is not None and _has_roster(self.settings.playbooks):  # its YAML machinery costs 20 ms
            from crisisctl.playbook.roster import load_roster

            roster = load_roster(self.settings.playbooks)
        return resolve_identity(self.settings.actor_flag, login_name(), db_user, roster)


def _has_roster(playbooks: Path) -> bool:
    from crisisctl.playbook.files import ROSTER_FILE

    return (playbooks / ROSTER_FILE).is_file()


def app_context(ctx: typer.Context) -> AppContext:
    """The AppContext of the running command."""
    root = ctx.find_root()
    assert isinstance(root.obj, AppContext)
    return root.obj


# For tests only: real processes with a clock that is wrong on purpose (stepped back, fast). Read here and
# nowhere else; every command that uses it says so on standard error.
ENV_FAKE_NOW = "CRISISCTL_FAKE_NOW"


def _clock_from_environment() -> Clock:
    from crisisctl.clock import FixedClock, SystemClock, to_utc

    fixed = os.environ.get(ENV_FAKE_NOW)
    if not fixed:
        return SystemClock()
    try:
        instant = to_utc(dt.datetime.fromisoformat(fixed))
    except ValueError:
        raise UsageError(f"{ENV_FAKE_NOW}={fixed} is not an ISO 8601 time", f"unset {ENV_FAKE_NOW}") from None
    print(f"crisisctl: the clock is fixed at {fixed} by {ENV_FAKE_NOW} (for tests only)", file=sys.stderr)
    return FixedClock(instant)
