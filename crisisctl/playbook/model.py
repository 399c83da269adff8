"""Frozen models of format v1: what the rest of crisisctl sees of a playbook."""

from __future__ import annotations

import datetime as dt
from typing import Any

from msgspec import Struct

from crisisctl.playbook.conditions import Condition


class Severity(Struct, frozen=True):
    id: str
    name: str
    description: str = ""


DEFAULT_SEVERITIES = (
    Severity("sev1", "Critical"),
    Severity("sev2", "Major"),
    Severity("sev3", "Minor"),
    Severity("sev4", "Low"),
)


class Trigger(Struct, frozen=True):
    id: str
    when: Condition
    description: str = ""
    severity: str | None = None


class Input(Struct, frozen=True):
    id: str
    type: str
    prompt: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()


class Role(Struct, frozen=True):
    id: str
    title: str
    responsibilities: tuple[str, ...] = ()
    required: bool = False


class Step(Struct, frozen=True):
    id: str
    title: str
    phase: str
    role: str
    due: dt.timedelta | None = None
    depends_on: tuple[str, ...] = ()
    when: Condition | None = None
    checklist: tuple[str, ...] = ()
    communication: str | None = None
    description: str = ""
    after: str = "declared"  # "resolved": follow-up work, due counted from the resolution

    @property
    def follow_up(self) -> bool:
        return self.after == "resolved"


class Communication(Struct, frozen=True):
    id: str
    title: str
    audience: str
    channel: str
    template: str
    approvals: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    due: dt.timedelta | None = None
    four_eyes: bool = True  # the drafter may not be a notice's only approver
    every: dt.timedelta | None = None  # numbered updates, the next due this long after the last send
    until: str = "resolved"  # updates are due while the incident is open ("resolved") or not closed ("closed")


class Postmortem(Struct, frozen=True):
    template: str | None = None
    kpis: tuple[str, ...] = ()


class Cadence(Struct, frozen=True):
    """How often a playbook is reviewed or drilled, and when it last was (`last_reviewed`, `last_drilled`)."""

    every: dt.timedelta | None = None
    last: dt.date | None = None


class Playbook(Struct, frozen=True):
    id: str
    version: str
    title: str
    category: str
    roles: tuple[Role, ...]
    steps: tuple[Step, ...]
    summary: str = ""
    owner: str = ""
    tags: tuple[str, ...] = ()
    review: Cadence = Cadence()
    drill: Cadence = Cadence()
    severities: tuple[Severity, ...] = DEFAULT_SEVERITIES
    triggers: tuple[Trigger, ...] = ()
    inputs: tuple[Input, ...] = ()
    communications: tuple[Communication, ...] = ()
    postmortem: Postmortem = Postmortem()
    source: str = ""
    sha256: str = ""
    text: str = ""  # the file as read; equal texts have equal sha256, which is compared first

    def role(self, role_id: str) -> Role | None:
        return next((role for role in self.roles if role.id == role_id), None)

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def communication(self, communication_id: str) -> Communication | None:
        return next((comm for comm in self.communications if comm.id == communication_id), None)

    def follow_up_notice(self, communication_id: str) -> bool:
        """Sent only by follow-up steps (`after: resolved`): its `due` counts from the resolution."""
        senders = [step for step in self.steps if step.communication == communication_id]
        return bool(senders) and all(step.follow_up for step in senders)

    def severity_rank(self, severity_id: str) -> int:
        """Position in the playbook's own severities list; first is most severe."""
        ids = [severity.id for severity in self.severities]
        return ids.index(severity_id) if severity_id in ids else len(ids)
