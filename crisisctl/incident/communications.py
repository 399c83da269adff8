"""Rules for notices: which communication and locale, who may approve, when a send is allowed."""

from __future__ import annotations

import datetime as dt
import re

from crisisctl.errors import RefusedError, UsageError
from crisisctl.incident.ids import unknown
from crisisctl.incident.state import CommunicationRecord, Draft, IncidentState, default_locale
from crisisctl.playbook.model import Communication, Playbook

# A digest names the text an approver read; eight hex digits are the shortest prefix taken,
# so that a typo cannot match some other draft by chance.
_DIGEST = re.compile(r"(?:sha256:)?([0-9a-f]{8,64})")


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


def normalise_digest(text: str) -> str:
    """A draft's sha256 as the approver gives it: full or a prefix of at least 8 hex digits."""
    match = _DIGEST.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(
            f"`{text}` is not a draft digest",
            "give the sha256 printed by `crisisctl comms draft` or `comms show` (at least its first 8 digits)",
        )
    return match.group(1)


def require_draft(communication: Communication, locale: str, record: CommunicationRecord | None) -> Draft:
    if record is None or record.draft is None:
        raise RefusedError(
            f"{describe(communication, locale)} has no draft yet", "draft it first: crisisctl comms draft"
        )
    return record.draft


def check_approval(
    state: IncidentState,
    communication: Communication,
    locale: str,
    role: str,
    person: str,
    record: CommunicationRecord | None,
    digest: str,
) -> None:
    """Only a role the communication lists, held in this incident by the person acting, on the draft
    the approver read (`digest`), and not by its drafter alone (the four-eyes rule)."""
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
    draft = require_draft(communication, locale, record)
    assert record is not None
    if not draft.sha256.startswith(digest):
        raise RefusedError(
            f"the latest draft of {describe(communication, locale)} is {draft.sha256[:12]}, not the {digest[:12]} "
            "you read: it was drafted again since",
            f"read the new text (crisisctl comms show {state.id} {communication.id}) and approve its digest",
        )
    existing = record.approvals.get(role)
    if existing is not None and existing.draft_sha256 == draft.sha256:
        raise RefusedError(
            f"{role} already approved this draft of {describe(communication, locale)}", "nothing to change"
        )
    others = [r for r in communication.approvals if r != role and r not in record.approvals]
    approvers = {approval.person for approval in record.approvals.values()} | {person}
    if communication.four_eyes and not others and approvers == {draft.actor}:
        raise RefusedError(
            f"{person} drafted this text of {describe(communication, locale)} and would be its only approver",
            "four eyes: another person approves (or drafts it); a playbook allows self-approval with "
            "`four_eyes: false` on the communication",
        )


def check_send(
    state: IncidentState, communication: Communication, locale: str, record: CommunicationRecord | None, at: dt.datetime
) -> Draft:
    """Every required approval on the latest draft, no delivery of it under way or unsettled, that
    draft not already sent, and a stated time no earlier than the draft and its approvals."""
    draft = require_draft(communication, locale, record)
    assert record is not None
    missing = [role for role in communication.approvals if role not in record.approvals]
    if missing:
        raise RefusedError(
            f"{describe(communication, locale)} lacks approval from {', '.join(missing)}",
            "each of those role holders runs: crisisctl comms approve INCIDENT COMM --role ROLE",
        )
    approvers = {approval.person for approval in record.approvals.values()}
    if communication.four_eyes and communication.approvals and approvers == {draft.actor}:
        raise RefusedError(
            f"{draft.actor} drafted {describe(communication, locale)} and is its only approver",
            "four eyes: another holder of a required role approves it first",
        )
    unsettled = record.unsettled()
    if unsettled is not None:
        raise RefusedError(
            f"a delivery of {describe(communication, locale)} started at {unsettled.recorded_at:%Y-%m-%d %H:%M:%S} UTC "
            f"by {unsettled.actor} has no recorded outcome (it may still be under way, or was cut short)",
            f"settle it first: crisisctl comms reconcile {state.id} {communication.id}"
            + (f" --locale {locale}" if locale else ""),
        )
    if record.sent() is not None:
        raise RefusedError(
            f"this draft of {describe(communication, locale)} was already sent", "draft again to send a new version"
        )
    latest = max([draft.at, *(approval.at for approval in record.approvals.values())])
    if at < latest:
        raise RefusedError(
            f"the stated time {at:%Y-%m-%d %H:%M} UTC is before the draft or its last approval "
            f"({latest:%Y-%m-%d %H:%M} UTC)",
            "a notice is sent after it is approved: use a later --at",
        )
    return draft
