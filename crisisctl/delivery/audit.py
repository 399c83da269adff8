"""What `verify` says about deliveries: those started with no outcome, and outbox files the log never named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msgspec import Struct

from crisisctl.delivery.outbox import Outbox
from crisisctl.incident import events as ev
from crisisctl.incident.port import EventLog


class DeliveryFindings(Struct, frozen=True):
    unsettled: list[dict[str, Any]]
    unknown_files: list[str]


def delivery_findings(log: EventLog, db_path: Path) -> DeliveryFindings:
    """Open deliveries (a crash or lost connection during `comms send`), and files in this log's outbox
    that no event names: every file crisisctl writes is named in the intent recorded before it."""
    events = log.delivery_events()
    settled = {event.data.get("delivery_id") for event in events if event.type in ev.COMM_OUTCOMES}
    named = {str(event.data.get("route", {}).get("outbox") or event.data.get("outbox", "")) for event in events}
    unsettled = [
        {
            "incident": event.incident,
            "communication": event.data["communication"],
            "locale": event.data.get("locale") or None,
            "delivery_id": event.data["delivery_id"],
            "seq": event.seq,
        }
        for event in events
        if event.type == ev.COMM_SENDING and event.data["delivery_id"] not in settled
    ]
    root = Outbox.beside(db_path).root
    # A `.….part` file is one a crash cut short while writing: no event names it, and it holds customer text.
    files = sorted(str(path) for path in root.glob("*/*") if path.is_file())
    return DeliveryFindings(unsettled, [path for path in files if path not in named])
