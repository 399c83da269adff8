"""The --json shapes of playbook commands and of `check`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crisisctl.playbook.conditions import AllOf, AnyOf, Comparison, Condition, Leaf, NotOf, Scaled
from crisisctl.playbook.model import Playbook

if TYPE_CHECKING:
    from crisisctl.incident.triggers import CheckResult


def _seconds(delta: Any) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


def condition_payload(condition: Condition | None) -> Any:
    """A condition back in its playbook form."""
    if condition is None:
        return None
    if isinstance(condition, Leaf):
        value = condition.value
        if isinstance(value, Scaled):
            value = {"metric": value.metric, "times": value.times}
        elif isinstance(value, tuple):
            value = list(value)
        return {condition.source: condition.name, "op": condition.op, "value": value}
    if isinstance(condition, NotOf):
        return {"not": condition_payload(condition.item)}
    key = "all" if isinstance(condition, AllOf) else "any"
    assert isinstance(condition, AllOf | AnyOf)
    return {key: [condition_payload(item) for item in condition.items]}


def playbook_summary(playbook: Playbook) -> dict[str, Any]:
    return {
        "id": playbook.id,
        "version": playbook.version,
        "title": playbook.title,
        "category": playbook.category,
        "owner": playbook.owner,
        "file": playbook.source,
    }


def playbook_detail(playbook: Playbook) -> dict[str, Any]:
    return {
        **playbook_summary(playbook),
        "summary": playbook.summary,
        "tags": list(playbook.tags),
        "sha256": playbook.sha256,
        "review": {
            "every_s": _seconds(playbook.review.every),
            "last_reviewed": playbook.review.last.isoformat() if playbook.review.last else None,
        },
        "drill": {
            "every_s": _seconds(playbook.drill.every),
            "last_drilled": playbook.drill.last.isoformat() if playbook.drill.last else None,
        },
        "severities": [{"id": s.id, "name": s.name, "description": s.description} for s in playbook.severities],
        "triggers": [
            {"id": t.id, "description": t.description, "severity": t.severity, "when": condition_payload(t.when)}
            for t in playbook.triggers
        ],
        "inputs": [
            {
                "id": i.id,
                "type": i.type,
                "prompt": i.prompt,
                "required": i.required,
                "default": _jsonable(i.default),
                "choices": [_jsonable(c) for c in i.choices],
            }
            for i in playbook.inputs
        ],
        "roles": [
            {"id": r.id, "title": r.title, "required": r.required, "responsibilities": list(r.responsibilities)}
            for r in playbook.roles
        ],
        "steps": [
            {
                "id": s.id,
                "title": s.title,
                "phase": s.phase,
                "role": s.role,
                "due_s": _seconds(s.due),
                "depends_on": list(s.depends_on),
                "when": condition_payload(s.when),
                "checklist": list(s.checklist),
                "communication": s.communication,
            }
            for s in playbook.steps
        ],
        "communications": [
            {
                "id": c.id,
                "title": c.title,
                "audience": c.audience,
                "channel": c.channel,
                "template": c.template,
                "approvals": list(c.approvals),
                "locales": list(c.locales),
                "due_s": _seconds(c.due),
            }
            for c in playbook.communications
        ],
    }


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def comparison_payload(comparison: Comparison) -> dict[str, Any]:
    """A comparison that made a trigger fire: the metric's value, and what it was compared with."""
    leaf = comparison.leaf
    baseline = None
    if isinstance(leaf.value, Scaled):
        baseline = {"metric": leaf.value.metric, "times": leaf.value.times, "value": comparison.baseline}
    return {
        "metric": leaf.name,
        "value": comparison.value,
        "op": leaf.op,
        "threshold": comparison.threshold,
        "baseline": baseline,
        "holds": comparison.holds,
    }


def check_payload(checked: CheckResult) -> dict[str, Any]:
    """`check --json`: the matches, most severe first, with the values that made each fire."""
    return {
        "matches": [
            {
                "playbook": match.playbook.id,
                "trigger": match.trigger.id,
                "severity": match.severity,
                "description": match.trigger.description,
                "fired_on": [comparison_payload(comparison) for comparison in match.fired_on],
            }
            for match in checked.matches
        ],
        "missing_metrics": checked.missing_metrics,
        "unusable_metrics": checked.unusable_metrics,
        "unused_metrics": checked.unused_metrics,
    }
