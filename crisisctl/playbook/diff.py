"""What changed between two versions of a playbook, in the format's terms, and whether its version says so.

Works on the built model, compared by meaning (crisisctl/playbook/meaning.py): `2h` and `120m` are one due, a
default written out is no change, and comments, quoting, key order and `x-` keys never reach the model. Lists of
entries are matched by id, so a step whose due moved is one change, not a removed and an added line. Moving
entries is a change only where crisisctl reads the order (ORDERED); elsewhere (steps, roles, inputs,
communications) the order is only the order they are shown in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from crisisctl.playbook.findings import Finding
from crisisctl.playbook.meaning import as_used, meaning
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.semver import precedence

# The sections whose entries have ids, in the order a reader meets them in a playbook.
SECTIONS = (
    ("severities", "severity"),
    ("triggers", "trigger"),
    ("inputs", "input"),
    ("roles", "role"),
    ("steps", "step"),
    ("communications", "communication"),
)
# The sections whose order crisisctl reads, and what it decides.
ORDERED = {"severities": "most severe first", "triggers": "the first listed wins a tie"}
# Top-level fields compared as a whole (`version` is the lint's business), then the mappings compared key by key.
FIELDS = ("id", "title", "summary", "owner", "category", "tags")
MAPPINGS = ("review", "drill", "postmortem")
# A mapping's model field under the key the file gives it.
FILE_KEYS = {("review", "last"): "last_reviewed", ("drill", "last"): "last_drilled"}
# Recording that a review or drill took place is not a change of the plan: no new version needed.
BOOKKEEPING = frozenset({("review", "last_reviewed"), ("drill", "last_drilled")})


class Change(Struct, frozen=True):
    kind: str  # "added" | "removed" | "changed"
    section: str  # "step", "role", ... or "playbook" for top-level fields and the order of a section
    id: str  # the entry's id, the top-level field's name, or the section's key (`severities`) for its order
    field: str | None = None  # for "changed": which field of the entry or mapping, or "order"
    old: Any = None  # model values: an entry, a field's value, or the ids in order
    new: Any = None


def diff_playbooks(old: Playbook, new: Playbook) -> list[Change]:
    """Every change of meaning from `old` to `new`."""
    changes = [
        Change("changed", "playbook", name, name, getattr(old, name), getattr(new, name))
        for name in FIELDS
        if _differs(getattr(old, name), getattr(new, name), name)
    ]
    for name in MAPPINGS:
        changes.extend(_field_changes("playbook", name, getattr(old, name), getattr(new, name)))
    for key, section in SECTIONS:
        changes.extend(_entry_changes(section, getattr(old, key), getattr(new, key)))
        if key in ORDERED:
            changes.extend(_order_change(key, getattr(old, key), getattr(new, key)))
    return changes


def _entry_changes(section: str, old: Sequence[Any], new: Sequence[Any]) -> list[Change]:
    before = {entry.id: entry for entry in old}
    after = {entry.id: entry for entry in new}
    changes = [Change("removed", section, gone, old=entry) for gone, entry in before.items() if gone not in after]
    for entry_id, entry in after.items():
        if entry_id not in before:
            changes.append(Change("added", section, entry_id, new=entry))
            continue
        changes.extend(_field_changes(section, entry_id, as_used(before[entry_id]), as_used(entry)))
    return changes


def _field_changes(section: str, name: str, old: Any, new: Any) -> list[Change]:
    """The fields of an entry or a top-level mapping whose meaning differs, each under the key the file gives it."""
    changes = []
    for field in old.__struct_fields__:
        before, after = getattr(old, field), getattr(new, field)
        if field != "id" and _differs(before, after, field):
            key = FILE_KEYS.get((name, field), field) if section == "playbook" else field
            changes.append(Change("changed", section, name, key, before, after))
    return changes


def _order_change(key: str, old: Sequence[Any], new: Sequence[Any]) -> list[Change]:
    """The entries both sides have, when they are listed in another order (added and removed ones are listed)."""
    both = {entry.id for entry in old} & {entry.id for entry in new}
    before = tuple(entry.id for entry in old if entry.id in both)
    after = tuple(entry.id for entry in new if entry.id in both)
    return [Change("changed", "playbook", key, "order", before, after)] if before != after else []


def _differs(old: Any, new: Any, name: str) -> bool:
    return meaning(old, name) != meaning(new, name)


def version_findings(old: Playbook, new: Playbook, changes: list[Change]) -> list[Finding]:
    """A changed playbook must carry a higher version (a new review or drill date alone needs none); a version
    must never go down. Versions compare by Semantic Versioning precedence (crisisctl/playbook/semver.py)."""
    if precedence(new.version) < precedence(old.version):
        return [
            Finding(
                "version-lowered",
                f"version went down from {old.version} to {new.version}",
                f"a later playbook carries a higher version than {old.version}",
            )
        ]
    substantive = [change for change in changes if not _bookkeeping(change)]
    if substantive and precedence(new.version) == precedence(old.version):
        return [
            Finding(
                "version-not-bumped",
                f"{len(substantive)} change(s) but the version is still {new.version}",
                f"raise version: {bump_suggestion(old.version, substantive)} (incidents pin the version they ran)",
            )
        ]
    return []


def _bookkeeping(change: Change) -> bool:
    return change.section == "playbook" and (change.id, change.field) in BOOKKEEPING


def bump_suggestion(version: str, changes: list[Change]) -> str:
    """MINOR for anything added or removed, PATCH for changes within entries (semantic versioning's spirit)."""
    major, minor, patch = precedence(version)[:3]
    if any(change.kind != "changed" for change in changes):
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
