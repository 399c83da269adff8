"""The documented names a template may use; the validator checks templates against them."""

from __future__ import annotations

INCIDENT_FIELDS = frozenset({"id", "title", "severity", "severity_name", "status", "declared_at", "drill", "summary"})
PLAYBOOK_FIELDS = frozenset({"id", "title", "version", "owner", "category"})
COMMUNICATION_FIELDS = frozenset({"id", "title", "audience", "channel"})

NOTICE_NAMES = frozenset({"incident", "playbook", "inputs", "roles", "locale", "now", "communication", "steps"})
REPORT_NAMES = NOTICE_NAMES | frozenset(
    {"timeline", "communications", "severity_history", "kpis", "lessons", "actions", "draft"}
)

FIELDS_BY_NAME: dict[str, frozenset[str]] = {
    "incident": INCIDENT_FIELDS,
    "playbook": PLAYBOOK_FIELDS,
    "communication": COMMUNICATION_FIELDS,
}
