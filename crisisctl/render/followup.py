"""The post-mortem's evidence and action items: attached files, links, follow-up work with its status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crisisctl.clock import parse_time
from crisisctl.incident import events as ev
from crisisctl.incident.state import IncidentState


def action_items(state: IncidentState, now: dt.datetime) -> list[dict[str, Any]]:
    """Every action item in the order added: id, text, owner, due, status, overdue, who added it and closed it."""
    return [
        {
            "id": item.id,
            "text": item.text,
            "owner": item.owner,
            "due": item.due,
            "status": item.status,
            "overdue": item.overdue(now),
            "at": item.at,
            "actor": item.actor,
            "seq": item.seq,
            "done_at": item.done_at,
            "done_by": item.done_by,
            "done_note": item.done_note,
        }
        for item in state.actions.values()
    ]


def evidence(state: IncidentState) -> dict[str, list[dict[str, Any]]]:
    """Files attached to notes (name, sha256, size) and links, with the note, when and who, in recorded order."""
    files: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for event in state.events:
        if event.type != ev.NOTE_ADDED:
            continue
        recorded = {"note": event.data["text"], "at": parse_time(event.at), "actor": event.actor, "seq": event.seq}
        files += [{**file, **recorded} for file in event.data.get("attachments", [])]
        links += [{"url": url, **recorded} for url in event.data.get("links", [])]
    return {"files": files, "links": links}
