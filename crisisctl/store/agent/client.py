"""A team log reached through the user's agent: the same port as PostgresLog, each call one round trip over a
local socket, so a command pays neither psycopg's import nor a sign-in. Without an agent (or when it goes away
before a write began) the command connects by itself, and starts an agent for the next one."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from crisisctl.dsn import masked
from crisisctl.errors import CrisisError, LogError
from crisisctl.incident.records import IncidentListRule, IncidentRow, NewEvent, StoredEvent, Verification
from crisisctl.store.agent import place
from crisisctl.store.agent.wire import AgentGone, Channel

if TYPE_CHECKING:
    from crisisctl.incident.port import EventLog, LogExport, LogImport
    from crisisctl.store.postgres.log import PostgresLog

T = TypeVar("T")
_SPAWN_PAUSE = 10.0  # seconds between attempts to start an agent that did not come up
_HELLO_SECONDS = 2.0  # an agent that does not greet in this time is passed by
_LOST = "nothing of this command was recorded unless `crisisctl timeline` shows it; run it again"


def open_team_log(dsn: str, on_commit: Callable[[], None] | None, notice: Callable[[str], None] | None) -> EventLog:
    """Through the agent when there is one; otherwise directly (and an agent is started for the next command)."""
    channel = _reach(dsn) if place.enabled() else None
    if channel is not None:
        return AgentLog(dsn, channel, on_commit, notice)
    from crisisctl.store.postgres.log import PostgresLog

    return PostgresLog(dsn, on_commit, notice)


def _reach(dsn: str) -> Channel | None:
    folder = place.private_folder()
    if folder is None:
        return None
    path = place.socket_path(folder)
    if path is None or len(os.fsencode(path)) > 100:  # no working folder, or beyond what a socket address holds
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(_HELLO_SECONDS)
    try:
        connection.connect(os.fspath(path))
    except OSError:
        connection.close()
        _start_agent(path)
        return None
    channel = Channel(connection)
    try:
        channel.call("hello", dsn)
    except (AgentGone, CrisisError):  # an agent that is ending, stopped or stuck: this command goes alone
        channel.close()
        return None
    connection.settimeout(None)  # a write may wait for the append lock as long as the busy timeout
    return channel


def _start_agent(path: Path) -> None:
    """Start the agent in its own session, detached. The marker stays until the agent listens, so an agent on
    its way up is not started twice, and one that cannot start is tried again only after a pause."""
    marker = path.with_suffix(".started")
    with contextlib.suppress(OSError):
        if time.time() - marker.stat().st_mtime < _SPAWN_PAUSE:
            return
    try:
        marker.touch()
    except OSError:
        return
    import subprocess

    subprocess.Popen(
        # -P: the working folder (which may be an untrusted clone) is not put on the module path
        [sys.executable, "-P", "-m", "crisisctl.store.agent.server", os.fspath(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def _events(rows: list[list[Any]]) -> list[StoredEvent]:
    return [StoredEvent(*row) for row in rows]


def _row(row: list[Any] | None) -> IncidentRow | None:
    return IncidentRow(*row) if row is not None else None


class AgentWriter:
    """The write transaction the agent holds for this command; a failure inside it has already ended it."""

    def __init__(self, channel: Channel, name: Callable[[], str]) -> None:
        self._channel = channel
        self._name = name  # read only for a message: naming a DSN needs psycopg
        self.open = True
        self.first_client_id: str | None = None

    def _call(self, operation: str, *arguments: Any) -> Any:
        try:
            return self._channel.call(f"w.{operation}", *arguments)
        except AgentGone:
            self.open = False
            raise LogError(f"the connection to the log {self._name()} was lost", _LOST) from None
        except BaseException:
            self.open = False
            raise

    def events_of(self, incident: str, after: int = 0) -> list[StoredEvent]:
        return _events(self._call("events_of", incident, after))

    def next_incident_number(self) -> int:
        return int(self._call("next_incident_number"))

    def pin_playbook(self, sha256: str, playbook: str, version: str, text: str, data_json: str) -> None:
        self._call("pin_playbook", sha256, playbook, version, text, data_json)

    def append(self, events: list[NewEvent], recorded_at: str, wall: str | None = None) -> list[StoredEvent]:
        answer = self._call("append", events, recorded_at, wall)
        self.first_client_id = self.first_client_id or answer["first_client_id"]
        return _events(answer["events"])

    def newest_recorded_at(self) -> str | None:
        answer = self._call("newest_recorded_at")
        return str(answer) if answer is not None else None

    def server_time(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self._call("server_time"))

    def save_incident(self, row: IncidentRow) -> None:
        self._call("save_incident", row)


class AgentLog:
    """The port over the agent. What is rare or long (verify, copies, watching) goes directly to the server."""

    def __init__(
        self,
        dsn: str,
        channel: Channel,
        on_commit: Callable[[], None] | None,
        notice: Callable[[str], None] | None,
    ) -> None:
        self._dsn = dsn
        self._channel: Channel | None = channel
        self._on_commit = on_commit
        self._notice = notice
        self._own: PostgresLog | None = None

    @property
    def name(self) -> str:
        return masked(self._dsn)

    def _direct(self) -> PostgresLog:
        if self._own is None:
            from crisisctl.store.postgres.log import PostgresLog

            self._own = PostgresLog(self._dsn, self._on_commit, self._notice)
        return self._own

    def _drop_channel(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def _read(self, direct: Callable[[PostgresLog], T], decode: Callable[[Any], T], operation: str, *args: Any) -> T:
        """A read through the agent; if the agent has gone, the same read directly (reads may be repeated)."""
        if self._channel is not None:
            try:
                return decode(self._channel.call(operation, *args))
            except AgentGone:
                self._drop_channel()
        return direct(self._direct())

    @contextlib.contextmanager
    def write(self) -> Iterator[AgentWriter | Any]:
        channel = self._channel
        if channel is not None:
            try:
                channel.call("begin")
            except AgentGone:  # before the transaction began: nothing was done, so the command goes alone
                self._drop_channel()
                channel = None
        if channel is None:
            with self._direct().write() as own:
                yield own
            return
        writer = AgentWriter(channel, lambda: self.name)
        try:
            yield writer
        except BaseException:
            if writer.open:
                with contextlib.suppress(AgentGone, CrisisError):
                    channel.call("rollback")
            raise
        if not writer.open:
            raise LogError(f"the write to the log {self.name} had already failed", "run the command again")
        self._commit(channel, writer)

    def _commit(self, channel: Channel, writer: AgentWriter) -> None:
        try:
            answer = channel.call("commit")
        except AgentGone:
            self._drop_channel()
            self._settle(writer.first_client_id)
        else:
            for text in answer["notices"]:
                if self._notice is not None:
                    self._notice(text)
        if self._on_commit is not None:
            self._on_commit()

    def _settle(self, client_id: str | None) -> None:
        """The agent went away while it committed: whether the server recorded the events, asked as a command
        that lost its own connection in COMMIT asks (PostgresLog.settle)."""
        if client_id is None:
            raise LogError(f"the connection to the log {self.name} was lost while the command committed", _LOST)
        self._direct().settle(client_id)

    def events_of(self, incident: str) -> list[StoredEvent]:
        return self._read(lambda log: log.events_of(incident), _events, "events_of", incident)

    def delivery_events(self) -> list[StoredEvent]:
        return self._read(lambda log: log.delivery_events(), _events, "delivery_events")

    def attachment_events(self) -> list[StoredEvent]:
        return self._direct().attachment_events()  # verify's: it connects by itself anyway

    def incident(self, incident_id: str) -> IncidentRow | None:
        return self._read(lambda log: log.incident(incident_id), _row, "incident", incident_id)

    def incidents(self, *, include_closed: bool, drill: bool | None) -> list[IncidentRow]:
        return self._read(
            lambda log: log.incidents(include_closed=include_closed, drill=drill),
            lambda rows: [IncidentRow(*row) for row in rows],
            "incidents",
            include_closed,
            drill,
        )

    def incident_ids(self, newest: int | None = None) -> list[str]:
        return self._read(lambda log: log.incident_ids(newest), list, "incident_ids", newest)

    def change_counter(self) -> int:
        return self._read(lambda log: log.change_counter(), int, "change_counter")

    def signed_in_user(self) -> str | None:
        return self._read(lambda log: log.signed_in_user(), _text, "signed_in_user")

    def playbook_data(self, sha256: str) -> str | None:
        return self._read(lambda log: log.playbook_data(sha256), _text, "playbook_data", sha256)

    def playbook_text(self, sha256: str) -> str | None:
        return self._read(lambda log: log.playbook_text(sha256), _text, "playbook_text", sha256)

    def wait_for_change(self, timeout: float) -> bool:
        return self._direct().wait_for_change(timeout)

    def verify(
        self,
        derive_data: Callable[[str], str | None],
        anchors: Iterable[tuple[int, str]] = (),
        incident_list: IncidentListRule | None = None,
        keep_anchors: Callable[[Iterator[tuple[int, str]]], object] | None = None,
    ) -> Verification:
        return self._direct().verify(derive_data, anchors, incident_list, keep_anchors)

    def backup(self, destination: Path) -> None:
        self._direct().backup(destination)

    def export(self) -> contextlib.AbstractContextManager[LogExport]:
        return self._direct().export()

    def restore(self) -> contextlib.AbstractContextManager[LogImport]:
        return self._direct().restore()

    def close(self) -> None:
        self._drop_channel()
        if self._own is not None:
            self._own.close()


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
