"""Telling the team: each planned notification, to each target that wants it, once. The intent is recorded under
the write lock, where a second `remind` run finds it and stands back; then it is posted and its outcome recorded.
A failure is told again by the next run; an intent with no outcome (a post that may have arrived, or a run cut
short) is never repeated."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from crisisctl.clock import format_time
from crisisctl.incident import events as ev
from crisisctl.incident.notifications import Notification, planned
from crisisctl.incident.records import NewEvent
from crisisctl.incident.service import IncidentService, incident_now
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Playbook
from crisisctl.processes import this_process


class Target(Protocol):
    """A notification target as configured (crisisctl.delivery.config.Target)."""

    @property
    def name(self) -> str: ...

    @property
    def kinds(self) -> tuple[str, ...]: ...

    @property
    def person(self) -> str | None: ...

    def url(self) -> str:
        """Its URL from the environment; refuses (UsageError) a target whose variable is not set."""
        ...


@dataclass(frozen=True)
class PostResult:
    """What a post came to: sent, failed (nothing arrived) or unknown (it may have arrived)."""

    status: Literal["sent", "failed", "unknown"]
    detail: str


Post = Callable[[Target, str, str], PostResult]


@dataclass(frozen=True, slots=True)
class Told:
    """One notification to one target, and how it went: sent, failed (told again next run) or unknown."""

    incident: str
    key: str
    kind: str
    target: str
    title: str
    status: str
    detail: str

    def as_record(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__}


class _Taken(Exception):
    """Another run recorded this notification's intent first."""


def told_so_far(state: IncidentState) -> dict[str, str]:
    """Each notification key's standing: open (intent without outcome), sent or failed."""
    standing: dict[str, str] = {}
    for event in state.events:
        if event.type == ev.NOTIFY_SENDING:
            standing[event.data["key"]] = "open"
        elif event.type in (ev.NOTIFY_SENT, ev.NOTIFY_FAILED):
            standing[event.data["key"]] = "sent" if event.type == ev.NOTIFY_SENT else "failed"
    return standing


def wanted(notification: Notification, target: Target) -> bool:
    """A target takes the kinds it names; a personal target only what is addressed to its person."""
    return notification.kind in target.kinds and (target.person is None or target.person == notification.addressee)


class TeamNotifier:
    """`remind` and `watch --notify` on top of the incident service's one write path."""

    def __init__(
        self, service: IncidentService, targets: Sequence[Target], post: Post, handles: Mapping[str, str]
    ) -> None:
        self.service = service
        self.targets = targets
        self.post = post
        self.handles = handles  # person -> chat handle, from the roster, to mention them

    def run(self, incident_ids: Sequence[str], real_now: dt.datetime) -> list[Told]:
        """One pass over the incidents: what is due to be told, told."""
        told = []
        for incident_id in incident_ids:
            state, playbook = self.service.load(incident_id)
            standing = told_so_far(state)
            for notification in planned(state, playbook, incident_now(state, real_now)):
                for target in self.targets:
                    key = f"{notification.key}@{target.name}"
                    if wanted(notification, target) and standing.get(key) not in ("open", "sent"):
                        outcome = self._tell(state.id, notification, target, key)
                        if outcome is not None:
                            told.append(outcome)
        return told

    def _tell(self, incident_id: str, notification: Notification, target: Target, key: str) -> Told | None:
        attempt = uuid.uuid4().hex
        target.url()  # a target without its URL is refused before anything is recorded
        common: dict[str, Any] = {"key": key, "kind": notification.kind, "target": target.name, "attempt": attempt}

        def intent(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            if told_so_far(state).get(key) in ("open", "sent"):
                raise _Taken
            data = {**common, "title": notification.title, "to": notification.addressee, "process": this_process()}
            return [NewEvent(state.id, format_time(when), ev.NOTIFY_SENDING, self.service.actor, data)]

        try:
            self.service.record(incident_id, None, intent, closed_ok=True)
        except _Taken:
            return None
        result = self.post(target, notification.title, self._body(notification))
        if result.status != "unknown":
            kind = ev.NOTIFY_SENT if result.status == "sent" else ev.NOTIFY_FAILED

            def outcome(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
                data = {**common, "detail": result.detail}
                return [NewEvent(state.id, format_time(when), kind, self.service.actor, data)]

            self.service.record(incident_id, None, outcome, closed_ok=True)
        return Told(incident_id, key, notification.kind, target.name, notification.title, result.status, result.detail)

    def _body(self, notification: Notification) -> str:
        handle = self.handles.get(notification.addressee or "")
        return f"{handle} {notification.body}" if handle else notification.body
