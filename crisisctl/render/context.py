"""The documented names a template may use; the validator checks templates against them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crisisctl.incident.cadence import update_number
from crisisctl.incident.state import IncidentState, step_views, typed_inputs
from crisisctl.playbook.model import Communication, Playbook
from crisisctl.timezones import in_display_zone, zone_name

INCIDENT_FIELDS = frozenset({"id", "title", "severity", "severity_name", "status", "declared_at", "drill", "summary"})
PLAYBOOK_FIELDS = frozenset({"id", "title", "version", "owner", "category"})
COMMUNICATION_FIELDS = frozenset({"id", "title", "audience", "channel", "update_number"})

NOTICE_NAMES = frozenset(
    {"incident", "playbook", "inputs", "roles", "locale", "now", "timezone", "communication", "steps"}
)
REPORT_NAMES = NOTICE_NAMES | frozenset(
    {"timeline", "communications", "severity_history", "input_history", "kpis", "lessons", "actions", "draft"}
)

FIELDS_BY_NAME: dict[str, frozenset[str]] = {
    "incident": INCIDENT_FIELDS,
    "playbook": PLAYBOOK_FIELDS,
    "communication": COMMUNICATION_FIELDS,
}
# Post-mortem templates also see who declared, when it was resolved and closed, and who held which role.
REPORT_FIELDS_BY_NAME: dict[str, frozenset[str]] = FIELDS_BY_NAME | {
    "incident": INCIDENT_FIELDS | {"declared_by", "resolved_at", "closed_at", "role_history"},
    "playbook": PLAYBOOK_FIELDS | {"sha256"},
}


def incident_names(state: IncidentState, playbook: Playbook) -> dict[str, Any]:
    """What every template sees of the incident and its playbook: incident, playbook, inputs, roles, and the
    display zone's name (`timezone`)."""
    severity_name = next((s.name for s in playbook.severities if s.id == state.severity), state.severity)
    return {
        "incident": {
            "id": state.id,
            "title": state.title,
            "severity": state.severity,
            "severity_name": severity_name,
            "status": state.status,
            "declared_at": state.declared_at,
            "drill": state.drill,
            "summary": state.summary,
        },
        "playbook": {
            "id": playbook.id,
            "title": playbook.title,
            "version": playbook.version,
            "owner": playbook.owner,
            "category": playbook.category,
        },
        "inputs": {declared.id: None for declared in playbook.inputs} | typed_inputs(state, playbook),
        "roles": {role.id: state.roles.get(role.id) for role in playbook.roles},
        "timezone": zone_name(),
    }


def notice_context(
    state: IncidentState, playbook: Playbook, communication: Communication, locale: str, now: dt.datetime
) -> dict[str, Any]:
    """Everything a notice template is given (documented in docs/templates.md)."""
    views = step_views(state, playbook, now)
    return {
        **incident_names(state, playbook),
        "locale": locale or "en",
        "now": in_display_zone(now),  # so that `now.date()` is the reader's date
        "communication": {
            "id": communication.id,
            "title": communication.title,
            "audience": communication.audience,
            "channel": communication.channel,
            "update_number": update_number(state.communications.get((communication.id, locale))),
        },
        "steps": [
            {
                "id": view.step.id,
                "title": view.step.title,
                "phase": view.step.phase,
                "role": view.step.role,
                "status": view.status,
                "due_at": view.due_at,
            }
            for view in views
        ],
    }
