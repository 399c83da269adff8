"""`playbook diff` for people (a list of changes, then the version lint) and for scripts (--json)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from crisisctl.output.safetext import inert
from crisisctl.playbook.diff import Change, Finding, describe


def _side(label: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"source": label, "id": data.get("id"), "version": str(data.get("version"))}


def diff_payload(
    old: tuple[str, dict[str, Any]], new: tuple[str, dict[str, Any]], changes: list[Change], findings: list[Finding]
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
                "old": change.old,
                "new": change.new,
                "text": describe(change),
            }
            for change in changes
        ],
        "findings": [{"rule": f.rule, "message": f.message, "hint": f.hint} for f in findings],
    }


def diff_view(
    old: tuple[str, dict[str, Any]], new: tuple[str, dict[str, Any]], changes: list[Change], findings: list[Finding]
) -> Group:
    (old_label, old_data), (new_label, new_data) = old, new
    header = f"{old_data.get('id')} {old_data.get('version')} ({old_label}) -> {new_data.get('version')} ({new_label})"
    lines = [Text(inert(header, keep_newlines=False), style="bold")]
    styles = {"added": "green", "removed": "red", "changed": "yellow"}
    lines.extend(Text(inert(describe(change), keep_newlines=False), style=styles[change.kind]) for change in changes)
    if not changes:
        lines.append(Text("no semantic changes (comments, layout and x- keys are not compared)", style="dim"))
    for finding in findings:
        lines.append(Text.assemble((inert(finding.message), "bold red"), f"  [{finding.rule}]"))
        lines.append(Text(f"  hint: {inert(finding.hint)}", style="dim"))
    return Group(*lines)
