"""`playbook diff` for people (a list of changes, then the version lint) and for scripts (--json)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from msgspec import Struct
from rich.console import Group
from rich.text import Text

from crisisctl.output.payloads import condition_payload
from crisisctl.playbook.conditions import AllOf, AnyOf, Leaf, NotOf
from crisisctl.playbook.diff import ORDERED, Change
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.findings import Finding
from crisisctl.playbook.meaning import meaning
from crisisctl.playbook.model import Playbook
from crisisctl.safetext import inert

# What an added entry's line shows, when it differs from the model's default.
SUMMARY_FIELDS = {
    "step": ("phase", "role", "due", "after", "depends_on", "communication"),
    "communication": ("audience", "channel", "approvals", "locales", "due", "every"),
    "role": ("required",),
    "input": ("type", "required"),
    "trigger": ("severity",),
}


def describe(change: Change) -> str:
    """One readable line: `~ step contain: due 4h -> 2h`, `+ step call-insurer (...)`, `- role scribe`."""
    if change.kind == "added":
        return f"+ {change.section} {change.id}{_summary(change.section, change.new)}"
    if change.kind == "removed":
        return f"- {change.section} {change.id}"
    if change.field == "order":
        return f"~ {change.id}: order ({ORDERED[change.id]}) {', '.join(change.old)} -> {', '.join(change.new)}"
    field = f"{change.field} " if change.section != "playbook" or change.field != change.id else ""
    where = change.id if change.section == "playbook" else f"{change.section} {change.id}"
    return f"~ {where}: {field}{_text(change.old)} -> {_text(change.new)}"


def _summary(section: str, entry: Any) -> str:
    names, defaults = entry.__struct_fields__, entry.__struct_defaults__
    default_of = dict(zip(names[len(names) - len(defaults) :], defaults, strict=True))
    parts = [
        f"{name} {_text(getattr(entry, name))}"
        for name in SUMMARY_FIELDS.get(section, ())
        if name not in default_of or meaning(getattr(entry, name), name) != meaning(default_of[name], name)
    ]
    return f" ({', '.join(parts)})" if parts else ""


def _text(value: Any) -> str:
    """A value as the playbook would say it: `2h`, `true`, `[a, b]`; a condition or an entry as JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | dt.date | dt.timedelta):
        return str(_json(value))
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return "[" + ", ".join(value) + "]"
    return json.dumps(_json(value), ensure_ascii=False, sort_keys=True)


def _json(value: Any) -> Any:
    """A model value as JSON: durations as `playbook show` words them (`2h`, `1d 6h`), conditions as in the file."""
    if isinstance(value, Leaf | AllOf | AnyOf | NotOf):
        return condition_payload(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, Struct):
        return {name: _json(getattr(value, name)) for name in value.__struct_fields__}
    return value


def _side(label: str, playbook: Playbook) -> dict[str, Any]:
    return {"source": label, "id": playbook.id, "version": playbook.version}


def diff_payload(
    old: tuple[str, Playbook], new: tuple[str, Playbook], changes: list[Change], findings: list[Finding]
) -> dict[str, Any]:
    return {
        "old": _side(*old),
        "new": _side(*new),
        "changes": [
            {
                "change": change.kind,
                "section": change.section,
                "id": change.id,
                "field": change.field,
                "old": _json(change.old),
                "new": _json(change.new),
                "text": describe(change),
            }
            for change in changes
        ],
        "findings": [{"rule": f.rule, "message": f.message, "hint": f.hint} for f in findings],
    }


def diff_view(
    old: tuple[str, Playbook], new: tuple[str, Playbook], changes: list[Change], findings: list[Finding]
) -> Group:
    (old_label, before), (new_label, after) = old, new
    header = f"{before.id} {before.version} ({old_label}) -> {after.version} ({new_label})"
    lines = [Text(inert(header, keep_newlines=False), style="bold")]
    styles = {"added": "green", "removed": "red", "changed": "yellow"}
    lines.extend(Text(inert(describe(change), keep_newlines=False), style=styles[change.kind]) for change in changes)
    if not changes:
        lines.append(
            Text(
                "no semantic changes (layout, comments, x- keys, a duration's unit, a default written out and "
                "an order crisisctl does not read are none)",
                style="dim",
            )
        )
    for finding in findings:
        lines.append(Text.assemble((inert(finding.message), "bold red"), f"  [{finding.rule}]"))
        lines.append(Text(f"  hint: {inert(finding.hint)}", style="dim"))
    return Group(*lines)
