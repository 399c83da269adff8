"""Communications for people and scripts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from crisisctl.clock import format_time, parse_time
from crisisctl.incident.cadence import cadence
from crisisctl.incident.state import CommunicationRecord, IncidentState, communication_status
from crisisctl.output.plain import due_words
from crisisctl.playbook.model import Playbook
from crisisctl.safetext import inert

if TYPE_CHECKING:
    from rich.table import Table

    from crisisctl.incident.dispatch import Settlement


def communication_rows(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[dict[str, Any]]:
    """One row per communication and locale, in playbook order. `due_at` is when the next send is due: a one-off
    notice's deadline, or the next numbered update's (crisisctl.incident.cadence)."""
    rows = []
    for comm in playbook.communications:
        for locale in comm.locales or ("",):
            rhythm = cadence(state, playbook, comm, now, locale)
            record = state.communications.get((comm.id, locale))
            draft = record.draft if record else None
            sent = record.sent() if record else None
            approvals = []
            for role in comm.approvals:
                approval = record.approvals.get(role) if record else None
                approvals.append(
                    {"role": role, "approved": approval is not None, "by": approval.person if approval else None}
                )
            rows.append(
                {
                    "id": comm.id,
                    "locale": locale or None,
                    "title": comm.title,
                    "audience": comm.audience,
                    "channel": comm.channel,
                    "status": communication_status(record, comm.approvals),
                    "approvals": approvals,
                    "draft_sha256": draft.sha256 if draft else None,
                    "drafted_at": format_time(draft.at) if draft else None,
                    "sent_at": format_time(sent.at) if sent else None,
                    "due_at": format_time(rhythm.due_at) if rhythm.due_at else None,
                    "overdue": rhythm.overdue,
                    "every_s": int(comm.every.total_seconds()) if comm.every else None,
                    "updates_sent": rhythm.sent,
                    "unsettled_delivery": unsettled_delivery(record),
                }
            )
    return rows


def unsettled_delivery(record: CommunicationRecord | None) -> dict[str, Any] | None:
    """A delivery started with no recorded outcome: shown as "sending, outcome unknown"."""
    dispatch = record.unsettled() if record else None
    if dispatch is None:
        return None
    return {
        "delivery_id": dispatch.delivery_id,
        "started_at": format_time(dispatch.recorded_at),
        "by": dispatch.actor,
        "via": dispatch.route.get("via"),
        "outcome": "unknown",
    }


def communications_payload(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[dict[str, Any]]:
    return communication_rows(state, playbook, now)


_STYLE = {"pending": "red", "drafted": "yellow", "approved": "cyan", "sent": "green"}
SENDING_UNKNOWN = "sending, outcome unknown"


def status_words(row: dict[str, Any]) -> str:
    """The status as people read it: an open delivery outranks the status word."""
    return SENDING_UNKNOWN if row["unsettled_delivery"] else str(row["status"])


def approval_marks(row: dict[str, Any]) -> list[tuple[str, bool]]:
    """`✓ role (person)` for each approval given, `… role` for each awaited."""
    return [
        (f"✓ {a['role']} ({a['by']})" if a["approved"] else f"… {a['role']}", bool(a["approved"]))
        for a in row["approvals"]
    ]


def notice_due(row: dict[str, Any], now: dt.datetime) -> tuple[str, str]:
    """`in 25m` or `OVERDUE 1h 5m` for the next send, and its urgency; `update 3 …` for updates on a rhythm."""
    if row["due_at"] is None:
        return "", ""
    finished = row["status"] == "sent" and row["every_s"] is None
    words, urgency = due_words(parse_time(row["due_at"]), "done" if finished else "pending", now)
    if words and row["every_s"] is not None:
        words = f"update {row['updates_sent'] + 1} {words}"
    return words, urgency


def communication_plain_rows(state: IncidentState, playbook: Playbook, now: dt.datetime) -> list[tuple[str, ...]]:
    return [
        (
            row["id"],
            row["locale"] or "-",
            row["audience"],
            status_words(row),
            notice_due(row, now)[0],
            ", ".join(mark for mark, _ in approval_marks(row)),
        )
        for row in communication_rows(state, playbook, now)
    ]


_URGENCY = {"overdue": "bold red", "soon": "yellow", "": ""}


def communications_table(state: IncidentState, playbook: Playbook, now: dt.datetime, title: str | None = None) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title or f"{state.id}: communications", title_justify="left", show_edge=False, header_style="bold"
    )
    for column in COMMUNICATION_COLUMNS:
        table.add_column(column, overflow="fold")  # a narrow terminal folds a long id, never cuts it
    for row in communication_rows(state, playbook, now):
        approvals = Text()
        for index, (mark, given) in enumerate(approval_marks(row)):
            if index:
                approvals.append(", ")
            approvals.append(inert(mark, keep_newlines=False), style="green" if given else "yellow")
        words = status_words(row)
        status = Text(words, style="bold magenta" if words == SENDING_UNKNOWN else _STYLE[row["status"]])
        words, urgency = notice_due(row, now)
        table.add_row(
            row["id"], row["locale"] or "-", row["audience"], status, Text(words, style=_URGENCY[urgency]), approvals
        )
    return table


COMMUNICATION_COLUMNS = ("communication", "locale", "audience", "status", "due", "approvals")


def communication_detail(
    state: IncidentState, playbook: Playbook, communication_id: str, locale: str | None, now: dt.datetime
) -> dict[str, Any]:
    """One communication in one locale: its row, the latest draft's text, and every delivery."""
    from crisisctl.incident import communications as comms

    communication = comms.require_communication(playbook, communication_id)
    chosen = comms.resolve_locale(communication, locale)
    row = next(
        r
        for r in communication_rows(state, playbook, now)
        if r["id"] == communication.id and (r["locale"] or "") == chosen
    )
    record = state.communications.get((communication.id, chosen))
    draft = record.draft if record else None
    deliveries = record.deliveries if record else []
    return {
        **row,
        "incident": state.id,
        "drafted_by": draft.actor if draft else None,
        "text": draft.text if draft else None,
        "deliveries": [
            {
                "delivery_id": delivery.delivery_id or None,
                "at": format_time(delivery.at),
                "by": delivery.actor,
                "ok": delivery.ok,
                "draft_sha256": delivery.draft_sha256,
                "outbox": delivery.outbox,
                "detail": delivery.detail,
            }
            for delivery in deliveries
        ],
    }


def _shown(stored: str) -> str:
    from crisisctl.timezones import shown

    return shown(parse_time(stored))


def print_communication_detail(detail: dict[str, Any]) -> None:
    """Plain text: header lines, then the draft exactly as it would go out, made inert."""
    what = detail["id"] + (f" ({detail['locale']})" if detail["locale"] else "")
    lines = [f"{detail['incident']}: {what} — {detail['title']} [{detail['status']}]"]
    if detail["draft_sha256"]:
        drafted = _shown(detail["drafted_at"])
        lines.append(f"digest: {detail['draft_sha256']}  drafted {drafted} by {detail['drafted_by']}")
    for approval in detail["approvals"]:
        lines.append(
            f"approval {approval['role']}: " + (f"given by {approval['by']}" if approval["approved"] else "waiting")
        )
    pending = detail["unsettled_delivery"]
    if pending:
        lines.append(
            f"SENDING, OUTCOME UNKNOWN: delivery {pending['delivery_id'][:12]} started {_shown(pending['started_at'])} "
            f"by {pending['by']}; settle it with comms reconcile"
        )
    for delivery in detail["deliveries"]:
        verdict = "sent" if delivery["ok"] else "FAILED"
        lines.append(f"{verdict} {_shown(delivery['at'])} by {delivery['by']}: {delivery['detail']}")
    for line in lines:
        print(inert(line, keep_newlines=False))
    if detail["text"] is None:
        print("(no draft yet)")
        return
    print("-" * 40)
    print(inert(detail["text"]), end="" if detail["text"].endswith("\n") else "\n")


def settlement_payload(settlement: Settlement) -> dict[str, Any]:
    return {
        "incident": settlement.incident,
        "communication": settlement.communication,
        "locale": settlement.locale or None,
        "delivery_id": settlement.delivery_id,
        "status": settlement.status,
        "detail": settlement.detail,
        "outbox": settlement.outbox,
        "event": settlement.seq,
        "linked_steps": [{"step": step, "done": why is None, "why_open": why} for step, why in settlement.linked_steps],
    }
