"""The --json shapes of playbook commands and of `check`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, get_args, get_type_hints

from msgspec import Struct

from crisisctl.playbook.conditions import AllOf, AnyOf, Comparison, Condition, Leaf, NotOf, Scaled
from crisisctl.playbook.model import Playbook

if TYPE_CHECKING:
    from crisisctl.incident.triggers import CheckResult


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


# Where a payload's key is not the model field's name, by the field's path from the playbook.
RENAMED = {"source": "file", "review.last": "last_reviewed", "drill.last": "last_drilled"}
# Model fields no payload carries: the file's whole text (`sha256` names it; `file` says where it is).
LEFT_OUT = frozenset({"text"})
# What `playbook list --json` shows of each playbook.
SUMMARY_KEYS = ("id", "version", "title", "category", "owner", "file")


def payload_key(path: str, hint: Any) -> str:
    """A model field's JSON key: renamed, or its name; durations are whole seconds, so `due` is `due_s`."""
    if path in RENAMED:
        return RENAMED[path]
    name = path.rpartition(".")[2]
    return f"{name}_s" if hint is dt.timedelta or dt.timedelta in get_args(hint) else name


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The model class's field types, resolved once (a playbook list would otherwise resolve them per step)."""
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def model_payload(item: Any, path: str = "") -> dict[str, Any]:
    """Every field of a model record as JSON, nested models too, in the model's field order.

    `path` is the item's field path from the playbook (`steps`, `review`), which renames go by.
    """
    hints = _hints(type(item))
    out: dict[str, Any] = {}
    for name in item.__struct_fields__:
        field_path = f"{path}.{name}" if path else name
        if field_path not in LEFT_OUT:
            out[payload_key(field_path, hints[name])] = _value_payload(getattr(item, name), field_path)
    return out


def _value_payload(value: Any, path: str) -> Any:
    if isinstance(value, Leaf | AllOf | AnyOf | NotOf):
        return condition_payload(value)
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_value_payload(entry, path) for entry in value]
    if isinstance(value, Struct):
        return model_payload(value, path)
    return value


def playbook_detail(playbook: Playbook) -> dict[str, Any]:
    """`playbook show --json`: every field of the model, the summary's first."""
    detail = model_payload(playbook)
    return {key: detail[key] for key in SUMMARY_KEYS} | detail


def playbook_summary(playbook: Playbook) -> dict[str, Any]:
    """One playbook in `playbook list --json`."""
    detail = model_payload(playbook)
    return {key: detail[key] for key in SUMMARY_KEYS}


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
