"""The event vocabulary of the log: every change to an incident is one of these."""

from __future__ import annotations

DECLARED = "incident.declared"
ROLE_ASSIGNED = "role.assigned"  # {role, person, handover?: {from, note}}
ROLE_UNASSIGNED = "role.unassigned"  # {role, person (who held it), note?}
STEP_STARTED = "step.started"
STEP_DONE = "step.done"
STEP_SKIPPED = "step.skipped"
STEP_BLOCKED = "step.blocked"
NOTE_ADDED = "note.added"  # {text, links?: [url], attachments?: [{name, sha256, size}]}; `action:` adds an item
ACTION_ADDED = "action.added"  # {action, text, owner?, due?}
ACTION_DONE = "action.done"  # {action, note?}
REMEDY_ADDED = "remedy.added"  # {remedy, kind, qualifies, issued, value?, currency?, note?}
REMEDY_ISSUED = "remedy.issued"  # {remedy, issued, previous, note?}: how many were issued so far
LINKED = "incident.linked"  # {incident, relation, direction: to|from, note?}: recorded on both incidents
INPUT_SET = "input.set"  # a fact changed: {input, value, previous, note?, inject?}
SEVERITY_CHANGED = "severity.changed"
RESOLVED = "incident.resolved"
CLOSED = "incident.closed"
COMM_DRAFTED = "communication.drafted"
COMM_APPROVED = "communication.approved"
COMM_SENDING = "communication.sending"  # the intent, recorded before anything leaves crisisctl
COMM_SENT = "communication.sent"
COMM_DELIVERY_FAILED = "communication.delivery_failed"
COMM_OUTCOMES = (COMM_SENT, COMM_DELIVERY_FAILED)
NOTIFY_SENDING = "notification.sending"  # a team notification's intent, recorded before it is posted
NOTIFY_SENT = "notification.sent"
NOTIFY_FAILED = "notification.failed"
NOTIFY_UNKNOWN = "notification.unknown"  # the target did not confirm it: it may have arrived; never repeated

STEP_EVENT_BY_ACTION = {
    "start": STEP_STARTED,
    "done": STEP_DONE,
    "skip": STEP_SKIPPED,
    "block": STEP_BLOCKED,
}
STEP_STATUS_BY_EVENT = {
    STEP_STARTED: "in-progress",
    STEP_DONE: "done",
    STEP_SKIPPED: "skipped",
    STEP_BLOCKED: "blocked",
}

# A step in one of these needs nothing more (the status words are promised to scripts in docs/cli.md).
FINISHED_STEP_STATUSES = frozenset({"done", "skipped", "not-applicable"})
