"""Telling the team: each planned notification, to each target that wants it, once. The intent is recorded under
the write lock, where a second `remind` run finds it and stands back; then it is posted and its outcome recorded:
sent, failed (told again by a later run, up to MAX_ATTEMPTS, unless refused for good) or unknown (it may have
arrived: never repeated). See Standing.may_try for an intent whose run was killed while posting."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

from msgspec import Struct, field

from crisisctl.clock import format_time, parse_time
from crisisctl.errors import CrisisError
from crisisctl.incident import events as ev
from crisisctl.incident.notifications import Notification, planned
from crisisctl.incident.records import NewEvent
from crisisctl.incident.service import IncidentService, incident_now
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Playbook
from crisisctl.processes import may_still_run, this_process


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


class PostResult(Struct, frozen=True):
    """What a post came to: sent, failed (nothing arrived) or unknown (it may have arrived). `permanent`: the
    target refused it in a way trying again cannot mend (HTTP 4xx)."""

    status: Literal["sent", "failed", "unknown"]
    detail: str
    permanent: bool = False


Post = Callable[[Target, str, str], PostResult]


class Told(Struct, frozen=True):
    """One notification to one target, and how it went: sent, failed (told again next run) or unknown."""

    incident: str
    key: str
    kind: str
    target: str
    title: str
    status: str
    detail: str

    def as_record(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__struct_fields__}


MAX_ATTEMPTS = 3  # failed posts of one notification to one target before it is given up


class _Taken(Exception):
    """Another run recorded this notification's intent first, or it is no longer due."""


class Standing(Struct):
    """What the log says of one notification to one target."""

    status: str = "new"  # new, open (intent, no outcome yet), sent, failed, unknown
    failures: int = 0
    permanent: bool = False  # the target refused it for good (HTTP 4xx): not tried again
    process: dict[str, Any] = field(default_factory=dict)
    recorded_at: dt.datetime | None = None

    def may_try(self, now: dt.datetime) -> bool:
        """Sent or perhaps arrived: never again. Failed: again, up to MAX_ATTEMPTS, unless refused for good.
        An intent without outcome whose run has ended (killed while posting) is taken over: it may have
        arrived, but a reminder told twice beats one never told."""
        if self.status == "open":
            assert self.recorded_at is not None
            return not may_still_run(self.process, self.recorded_at, now)
        if self.status == "failed":
            return not self.permanent and self.failures < MAX_ATTEMPTS
        return self.status == "new"


def told_so_far(state: IncidentState) -> dict[str, Standing]:
    """Each notification key's standing, from its intents and outcomes."""
    standing: dict[str, Standing] = {}
    for event in state.events:
        if not event.type.startswith("notification."):
            continue
        entry = standing.setdefault(event.data["key"], Standing())
        if event.type == ev.NOTIFY_SENDING:
            entry.status, entry.process = "open", event.data.get("process", {})
            entry.recorded_at = parse_time(event.recorded_at)
        elif event.type == ev.NOTIFY_FAILED:
            entry.status, entry.failures = "failed", entry.failures + 1
            entry.permanent = bool(event.data.get("permanent"))
        else:
            entry.status = "sent" if event.type == ev.NOTIFY_SENT else "unknown"
    return standing


def wanted(notification: Notification, target: Target) -> bool:
    """A target takes the kinds it names; a personal target only what is addressed to its person."""
    return notification.kind in target.kinds and (target.person is None or target.person == notification.addressee)


_OUTCOME_EVENTS = {"sent": ev.NOTIFY_SENT, "failed": ev.NOTIFY_FAILED, "unknown": ev.NOTIFY_UNKNOWN}


class TeamNotifier:
    """`remind` and `watch --notify` on top of the incident service's one write path."""

    def __init__(
        self, service: IncidentService, targets: Sequence[Target], post: Post, handles: Mapping[str, str]
    ) -> None:
        self.service = service
        self.targets = targets
        self.post = post
        self.handles = handles  # person -> chat handle, from the roster, to mention them

    def incidents_to_watch(self) -> list[str]:
        """Every incident not closed, and each closed one whose playbook has follow-up work (`after: resolved`):
        those deadlines count from the resolution, so they fall due after the close. Whether a pinned playbook
        has follow-up work is read once per playbook version."""
        follows: dict[tuple[str, str], bool] = {}
        chosen = []
        for row in self.service.log.incidents(include_closed=True, drill=None):
            key = (row.playbook, row.playbook_version)
            if row.status == "closed" and key not in follows:
                follows[key] = any(step.follow_up for step in self.service.load(row.id)[1].steps)
            if row.status != "closed" or follows[key]:
                chosen.append(row.id)
        return chosen

    def run(self, incident_ids: Sequence[str], real_now: dt.datetime) -> list[Told]:
        """One pass over the incidents: what is due to be told, told."""
        told = []
        for incident_id in incident_ids:
            state, playbook = self.service.load(incident_id)
            standing = told_so_far(state)
            for notification in planned(state, playbook, incident_now(state, real_now)):
                for target in self.targets:
                    key = f"{notification.key}@{target.name}"
                    if wanted(notification, target) and standing.get(key, Standing()).may_try(real_now):
                        outcome = self._tell(state.id, notification, target, key, real_now)
                        if outcome is not None:
                            told.append(outcome)
        return told

    def _tell(
        self, incident_id: str, notification: Notification, target: Target, key: str, real_now: dt.datetime
    ) -> Told | None:
        attempt = uuid.uuid4().hex
        common: dict[str, Any] = {"key": key, "kind": notification.kind, "target": target.name, "attempt": attempt}

        def intent(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            # Checked again under the lock: another run may have told it, or the facts moved on (a step done,
            # a role given to someone else) since this pass planned it.
            if not told_so_far(state).get(key, Standing()).may_try(real_now):
                raise _Taken
            if notification.key not in {n.key for n in planned(state, playbook, incident_now(state, real_now))}:
                raise _Taken
            data = {**common, "title": notification.title, "to": notification.addressee, "process": this_process()}
            return [NewEvent(state.id, format_time(when), ev.NOTIFY_SENDING, self.service.actor, data)]

        try:
            self.service.record(incident_id, None, intent, closed_ok=True)
        except _Taken:
            return None
        try:
            result = self.post(target, notification.title, self._body(notification))
        except CrisisError as error:  # refused before anything was posted (a URL Apprise cannot use)
            result = PostResult("failed", error.message, permanent=True)
        data = {**common, "detail": result.detail, **({"permanent": True} if result.permanent else {})}

        def outcome(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            return [NewEvent(state.id, format_time(when), _OUTCOME_EVENTS[result.status], self.service.actor, data)]

        self.service.record(incident_id, None, outcome, closed_ok=True)
        return Told(incident_id, key, notification.kind, target.name, notification.title, result.status, result.detail)

    def _body(self, notification: Notification) -> str:
        handle = self.handles.get(notification.addressee or "")
        return f"{handle} {notification.body}" if handle else notification.body
