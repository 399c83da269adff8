"""Events and values in words: one line saying what each recorded event means, for timelines, reports and exports."""

from __future__ import annotations

from typing import Any

from crisisctl.incident.links import link_words
from crisisctl.incident.records import StoredEvent


def value_text(value: Any) -> str:
    """An input's value in words: lists comma-separated, true/false as written, no value as `not set`."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value_text(item) for item in value) or "(none)"
    return str(value)


def _note(data: dict[str, Any]) -> str:
    return f": {data['note']}" if data.get("note") else ""


def describe_event(event: StoredEvent) -> str:
    """One line saying what an event recorded."""
    data = event.data
    kind = event.type
    if kind == "incident.declared":
        return f"declared from {data['playbook']} {data['playbook_version']}: {data['title']} ({data['severity']})"
    if kind.startswith("step."):
        words = kind.split(".", 1)[1]
        extra = f" — {data['note']}" if data.get("note") else ""
        return f"step {data['step']} {words}{' (forced)' if data.get('forced') else ''}{extra}"
    if kind == "role.assigned":
        handover = data.get("handover")
        taken = f"{data['person']} holds {data['role']}"
        return f"{taken}, handed over by {handover['from']}: {handover['note']}" if handover else taken
    if kind == "role.unassigned":
        return f"{data['role']} left unfilled ({data['person']} no longer holds it)" + _note(data)
    if kind == "note.added":
        files = [
            f"{file['name']} ({file['size']:,} bytes, sha256 {file['sha256'][:12]})"
            for file in data.get("attachments", [])
        ]
        return " · ".join([str(data["text"]), *(f"file {file}" for file in files), *data.get("links", [])])
    if kind == "action.added":
        details = [f"{key} {data[key]}" for key in ("owner", "due") if key in data]
        return f"action item {data['action']} added: {data['text']}" + (f" ({', '.join(details)})" if details else "")
    if kind == "action.done":
        return f"action item {data['action']} done" + _note(data)
    if kind == "remedy.added":
        value = f", {data['value']:g} {data.get('currency', '')}".rstrip() + " each" if "value" in data else ""
        return (
            f"remedy {data['remedy']} {data['kind']} for {data['qualifies']}: {data['issued']} issued{value}"
            + _note(data)
        )
    if kind == "remedy.issued":
        return f"remedy {data['remedy']}: {data['previous']} -> {data['issued']} issued" + _note(data)
    if kind == "incident.linked":
        return f"{link_words(data['relation'], data['direction'])} {data['incident']}" + _note(data)
    if kind == "input.set":
        change = f"{data['input']} {value_text(data.get('previous'))} -> {value_text(data['value'])}"
        source = f" (inject {data['inject']})" if data.get("inject") is not None else ""
        return f"{change}{source}" + (f": {data['note']}" if data.get("note") else "")
    if kind == "severity.changed":
        return f"severity {data['from']} -> {data['to']}: {data['note']}"
    if kind == "incident.resolved":
        return "resolved" + (f": {data['summary']}" if data.get("summary") else "")
    if kind.startswith("communication."):
        what = data["communication"] + (f" ({data['locale']})" if data.get("locale") else "")
        if kind == "communication.drafted":
            return f"{what} drafted from {data['template']} (sha256 {data['sha256'][:12]})"
        if kind == "communication.approved":
            return f"{what} approved as {data['role']}"
        if kind == "communication.sending":
            return f"{what} delivery {data['delivery_id'][:12]} started via {data['channel']}"
        if kind == "communication.sent":
            return f"{what} sent: {data.get('detail', '')}"
        return f"{what} delivery FAILED: {data.get('detail', '')}"
    if kind.startswith("notification."):
        told = f"{data['kind']} to {data['target']}"
        if kind == "notification.sending":
            return f"telling {told}: {data.get('title', '')}"
        if kind == "notification.sent":
            return f"told {told}"
        if kind == "notification.unknown":
            return f"telling {told}: outcome unknown: {data.get('detail', '')}"
        return f"telling {told} FAILED: {data.get('detail', '')}"
    if kind == "incident.closed":
        return "closed" + (" (forced)" if data.get("forced") else "")
    return kind
