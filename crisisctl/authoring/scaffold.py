"""A category's playbook as data: scaffolds/CATEGORY.yaml with the entries it names from scaffolds/common.yaml."""

from __future__ import annotations

import functools
from typing import Any

from crisisctl.authoring.skeletons import load_data
from crisisctl.authoring.yamlout import Flow, FlowMap
from crisisctl.playbook.vocabulary import CATEGORIES

SHARED_LISTS = ("inputs", "roles", "steps", "communications")
# The order the playbook format lists fields in, whichever file a merged entry took them from.
FIELD_ORDER = (
    *("id", "title", "description", "type", "prompt", "phase", "role", "responsibilities", "required", "default"),
    *("audience", "channel", "template", "locales", "approvals", "due", "depends_on", "when", "communication"),
    "checklist",
)
_FLOW_KEYS = frozenset({"tags", "kpis", "depends_on", "approvals", "locales", "default"})


@functools.cache
def category_plan(category: str) -> dict[str, Any]:
    """The category's playbook fields, shared entries resolved; short lists and condition leaves marked for one
    line. Cached: treat it as read-only."""
    if category not in CATEGORIES:  # the name becomes a file name: callers check it first (answers.py)
        raise ValueError(f"no scaffold for the category {category!r}")
    common = load_data("common.yaml")
    plan: dict[str, Any] = load_data(f"{category}.yaml")
    for kind in SHARED_LISTS:
        shared = {entry["id"]: entry for entry in common[kind]}
        plan[kind] = [_resolved(entry, shared) for entry in plan[kind]]
    marked: dict[str, Any] = _one_line_where_short(plan)
    return marked


def _resolved(entry: str | dict[str, Any], shared: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An entry of the category's file: a shared entry by id, the same with some keys changed, or its own."""
    if isinstance(entry, str):
        return dict(shared[entry])
    return in_field_order({**shared.get(entry["id"], {}), **entry})


def in_field_order(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's keys in the order the playbook format lists them."""
    return {key: entry[key] for key in sorted(entry, key=FIELD_ORDER.index)}


def _one_line_where_short(node: Any, key: str = "") -> Any:
    """The data with id lists and condition leaves marked to be written on one line, as people write them."""
    if isinstance(node, dict):
        children = {name: _one_line_where_short(value, name) for name, value in node.items()}
        return FlowMap(children) if "metric" in node or "input" in node else children
    if isinstance(node, list):
        items = [_one_line_where_short(item) for item in node]
        return Flow(items) if key in _FLOW_KEYS else items
    return node
