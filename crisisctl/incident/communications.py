"""Rules for notices: which communication and locale, who may approve, when a send is allowed."""

from __future__ import annotations

from crisisctl.errors import RefusedError, UsageError
from crisisctl.incident.ids import unknown
from crisisctl.incident.state import CommunicationRecord, IncidentState, default_locale
from crisisctl.playbook.model import Communication, Playbook


def require_communication(playbook: Playbook, communication_id: str) -> Communication:
    communication = playbook.communication(communication_id)
    if communication is None:
        raise unknown(
            "communication", communication_id, (c.id for c in playbook.communications), "the playbook has none"
        )
    return communication


def resolve_locale(communication: Communication, locale: str | None) -> str:
    """The named locale, which must be listed; without one, the first listed (or the unlocalised version)."""
    if locale is None:
        return default_locale(communication.locales)
    if not communication.locales:
        raise UsageError(f"{communication.id} is not localised", "leave out --locale")
    if locale not in communication.locales:
        raise unknown("locale", locale, communication.locales, "")
    return locale


def describe(communication: Communication, locale: str) -> str:
    return f"{communication.id} ({locale})" if locale else communication.id


def check_approval(
    state: IncidentState,
    communication: Communication,
    locale: str,
    role: str,
    person: str,
    record: CommunicationRecord | None,
) -> None:
    """Only a role the communication lists, held in this incident by the person acting, on an existing draft."""
    if role not in communication.approvals:
        needed = ", ".join(communication.approvals) or "no approvals"
        raise RefusedError(f"{describe(communication, locale)} does not need {role}'s approval", f"it needs: {needed}")
    holder = state.roles.get(role)
    if holder != person:
        who = f"it is held by {holder}" if holder else "nobody holds it"
        raise RefusedError(
            f"{person} does not hold {role} in {state.id} ({who})",
            f"the holder approves with --as; or first: crisisctl assign {state.id} {role} {person}",
        )
    if record is None or record.draft is None:
        raise RefusedError(
            f"{describe(communication, locale)} has no draft to approve", "draft it first: crisisctl comms draft"
        )
    existing = record.approvals.get(role)
    if existing is not None and existing.draft_sha256 == record.draft.sha256:
        raise RefusedError(
            f"{role} already approved this draft of {describe(communication, locale)}", "nothing to change"
        )


def check_send(communication: Communication, locale: str, record: CommunicationRecord | None) -> None:
    """Every required approval on the latest draft, and that draft not already sent."""
    if record is None or record.draft is None:
        raise RefusedError(f"{describe(communication, locale)} has no draft", "draft it first: crisisctl comms draft")
    missing = [role for role in communication.approvals if role not in record.approvals]
    if missing:
        raise RefusedError(
            f"{describe(communication, locale)} lacks approval from {', '.join(missing)}",
            "each of those role holders runs: crisisctl comms approve INCIDENT COMM --role ROLE",
        )
    if record.sent() is not None:
        raise RefusedError(
            f"this draft of {describe(communication, locale)} was already sent", "draft again to send a new version"
        )
