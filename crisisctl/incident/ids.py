"""Incident ids and unknown ids: light enough for commands that only read the log."""

from __future__ import annotations

import re
from collections.abc import Iterable

from crisisctl.errors import UsageError
from crisisctl.suggest import did_you_mean

INCIDENT_PREFIX = "INC-"


class UnknownIdError(UsageError):
    """An id that the playbook or the log does not know."""


# INC-7 as people type it: inc-7, INC7, inc 7, INC_7, 7.
_TYPED_NUMBER = re.compile(r"(INC[-_\s]?)?(\d+)")


def normalise_incident_id(text: str) -> str:
    """The one parser of incident ids: any case, with or without the dash (or an underscore) or the prefix, so
    inc-7, INC7, INC_7 and 7 are INC-7. Anything else is no incident id and is kept as typed, so an unknown id is
    reported as typed (not as `INC-INC_X`)."""
    number = _TYPED_NUMBER.fullmatch(text.strip().upper())
    return INCIDENT_PREFIX + number.group(2) if number else text.strip()


def names_incident(text: str) -> bool:
    """Whether an argument that takes a playbook or an incident names an incident (INC-7, inc7), not a playbook."""
    text = text.strip().upper()
    number = _TYPED_NUMBER.fullmatch(text)
    return text.startswith(INCIDENT_PREFIX) or (number is not None and number.group(1) is not None)


def unknown(kind: str, value: str, known: Iterable[str], listing: str) -> UnknownIdError:
    """The error for an unknown id, suggesting the closest known one."""
    known = list(known)
    hint = did_you_mean(value, known) or (f"known {kind} ids: " + ", ".join(known) if known else listing)
    return UnknownIdError(f"unknown {kind} `{value}`", hint)


def unknown_incident(incident_id: str, recent_ids: Iterable[str]) -> UnknownIdError:
    return unknown("incident", incident_id, recent_ids, "run `crisisctl incidents --all` to list them")
