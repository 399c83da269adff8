"""What changed between two versions of a playbook, in the format's terms, and whether its version says so.

Works on validated plain data: lists of entries are matched by id, so a reordered list is no change and
a step whose due moved is one change, not a removed and an added line. Comments, quoting, key order and
`x-` keys are not changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from crisisctl.playbook.vocabulary import SEMVER_PATTERN

# The sections whose entries have ids, in the order a reader meets them in a playbook.
SECTIONS = (
    ("severities", "severity"),
    ("triggers", "trigger"),
    ("inputs", "input"),
    ("roles", "role"),
    ("steps", "step"),
    ("communications", "communication"),
)
# Top-level fields compared as a whole (`version` is the lint's business).
FIELDS = ("id", "title", "summary", "owner", "category", "tags", "review", "drill", "postmortem")


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "added" | "removed" | "changed"
    section: str  # "step", "role", ... or "playbook" for top-level fields
    id: str  # the entry's id, or the top-level field's name
    field: str | None = None  # for "changed": which field of the entry
    old: Any = None
    new: Any = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    message: str
    hint: str


def diff_playbooks(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every semantic change from `old` to `new` (both valid playbook data)."""
    changes = [
        Change("changed", "playbook", name, name, old.get(name), new.get(name))
        for name in FIELDS
        if _meaningful(old.get(name)) != _meaningful(new.get(name))
    ]
    for key, section in SECTIONS:
        before = {entry["id"]: entry for entry in old.get(key) or []}
        after = {entry["id"]: entry for entry in new.get(key) or []}
        changes.extend(
            Change("removed", section, entry_id, old=before[entry_id]) for entry_id in before if entry_id not in after
        )
        for entry_id, entry in after.items():
            if entry_id not in before:
                changes.append(Change("added", section, entry_id, new=entry))
                continue
            changes.extend(
                Change("changed", section, entry_id, name, before[entry_id].get(name), entry.get(name))
                for name in _keys(before[entry_id], entry)
                if _meaningful(before[entry_id].get(name)) != _meaningful(entry.get(name))
            )
    return changes


def version_findings(old: dict[str, Any], new: dict[str, Any], changes: list[Change]) -> list[Finding]:
    """A changed playbook must carry a higher version (a new review or drill date alone needs none); a version
    must never go down."""
    old_version, new_version = str(old["version"]), str(new["version"])
    if _version_key(new_version) < _version_key(old_version):
        return [
            Finding(
                "version-lowered",
                f"version went down from {old_version} to {new_version}",
                f"a later playbook carries a higher version than {old_version}",
            )
        ]
    substantive = [change for change in changes if not _bookkeeping(change)]
    if substantive and _version_key(new_version) == _version_key(old_version):
        return [
            Finding(
                "version-not-bumped",
                f"{len(substantive)} change(s) but the version is still {new_version}",
                f"raise version: {bump_suggestion(old_version, substantive)} (incidents pin the version they ran)",
            )
        ]
    return []


# Recording that a review or drill took place is not a change of the plan: no new version needed.
BOOKKEEPING = {"review": "last_reviewed", "drill": "last_drilled"}


def _bookkeeping(change: Change) -> bool:
    key = BOOKKEEPING.get(change.id) if change.section == "playbook" else None
    if key is None:
        return False
    old, new = dict(change.old or {}), dict(change.new or {})
    old.pop(key, None)
    new.pop(key, None)
    return bool(_meaningful(old) == _meaningful(new))


def bump_suggestion(version: str, changes: list[Change]) -> str:
    """MINOR for anything added or removed, PATCH for changes within entries (semantic versioning's spirit)."""
    major, minor, patch = (int(part) for part in _version_key(version)[:3])
    if any(change.kind != "changed" for change in changes):
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def describe(change: Change) -> str:
    """One readable line: `step contain: due 4h -> 2h`, `+ step call-insurer`, `- role scribe`."""
    if change.kind == "added":
        return f"+ {change.section} {change.id}{_summary(change.section, change.new)}"
    if change.kind == "removed":
        return f"- {change.section} {change.id}"
    if change.section == "playbook":
        return f"~ {change.id}: {_value(change.old)} -> {_value(change.new)}"
    return f"~ {change.section} {change.id}: {change.field} {_value(change.old)} -> {_value(change.new)}"


def _summary(section: str, entry: dict[str, Any]) -> str:
    shown = {
        "step": ("phase", "role", "due", "depends_on", "communication"),
        "communication": ("audience", "channel", "approvals", "locales", "due"),
        "role": ("required",),
        "input": ("type", "required"),
        "trigger": ("severity",),
    }.get(section, ())
    parts = [f"{name} {_value(entry[name])}" for name in shown if name in entry]
    return f" ({', '.join(parts)})" if parts else ""


def _keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in dict.fromkeys([*before, *after]) if key != "id" and not key.startswith("x-")]


def _meaningful(value: Any) -> Any:
    """The value without `x-` keys, which the format keeps and ignores; absent and empty lists are alike."""
    if isinstance(value, dict):
        return {key: _meaningful(item) for key, item in value.items() if not key.startswith("x-")}
    if isinstance(value, list):
        return [_meaningful(item) for item in value] or None
    return value


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "[" + ", ".join(value) + "]"
    return json.dumps(_meaningful(value), ensure_ascii=False, sort_keys=True, default=str)


def _version_key(version: str) -> tuple[int, int, int, int, str]:
    """Semantic-version order: a pre-release (1.2.0-rc.1) comes before its release; build metadata is ignored."""
    match = re.fullmatch(SEMVER_PATTERN, version)
    if match is None:  # valid playbooks always match; keep the order total anyway
        return (0, 0, 0, 0, version)
    pre = match.group(4) or ""
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)), 0 if pre else 1, pre)
