"""Incident ids and unknown ids: light enough for commands that only read the log."""

from __future__ import annotations

from collections.abc import Iterable

from crisisctl.errors import UsageError
from crisisctl.suggest import did_you_mean

INCIDENT_PREFIX = "INC-"


class UnknownIdError(UsageError):
    """An id that the playbook or the log does not know."""


def normalise_incident_id(text: str) -> str:
    """Ids are accepted in any case and with or without the prefix: inc-7, INC-7 and 7 are one incident."""
    text = text.strip().upper()
    return text if text.startswith(INCIDENT_PREFIX) else INCIDENT_PREFIX + text


def unknown(kind: str, value: str, known: Iterable[str], listing: str) -> UnknownIdError:
    """The error for an unknown id, suggesting the closest known one."""
    known = list(known)
    hint = did_you_mean(value, known) or (f"known {kind} ids: " + ", ".join(known) if known else listing)
    return UnknownIdError(f"unknown {kind} `{value}`", hint)


def unknown_incident(incident_id: str, recent_ids: Iterable[str]) -> UnknownIdError:
    return unknown("incident", incident_id, recent_ids, "run `crisisctl incidents --all` to list them")
