"""The incident list as the events define it: what `verify` holds the kept list against."""

from __future__ import annotations

from collections.abc import Sequence

from crisisctl.incident import events as ev
from crisisctl.incident.records import EventFacts, IncidentListRule, IncidentRow

# The only events that change a line of the list, and the data fields the line takes from them; this is
# `fold` narrowed to those fields (the stateful test checks the two agree after every command).
ROW_EVENT_TYPES = (ev.DECLARED, ev.SEVERITY_CHANGED, ev.RESOLVED, ev.CLOSED)
ROW_DATA_FIELDS = ("$.number", "$.playbook", "$.playbook_version", "$.title", "$.severity", "$.drill", "$.to")
_STATUS_BY_EVENT = {ev.RESOLVED: "resolved", ev.CLOSED: "closed"}


def expected_row(incident: str, facts: Sequence[EventFacts], last_seq: int) -> IncidentRow | None:
    """The incident's line, from its ROW_EVENT_TYPES events (oldest first) and the seq of its newest event;
    None when they do not begin with its declaration."""
    if not facts or facts[0][3] != ev.DECLARED:
        return None
    number, playbook, version, title, severity, drill, _ = facts[0][4]
    status = "open"
    for _, _, _, kind, values in facts[1:]:
        if kind == ev.SEVERITY_CHANGED:
            severity = values[6]
        elif kind in _STATUS_BY_EVENT:
            status = _STATUS_BY_EVENT[kind]
    return IncidentRow(incident, number, playbook, version, title, severity, status, bool(drill), facts[0][2], last_seq)


INCIDENT_LIST_RULE = IncidentListRule(ROW_EVENT_TYPES, ROW_DATA_FIELDS, expected_row)
