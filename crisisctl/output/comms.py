"""Communications for people and scripts."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from crisisctl.clock import format_time
from crisisctl.incident.state import IncidentState, communication_status
from crisisctl.output.safetext import inert
from crisisctl.playbook.model import Playbook


def communication_rows(state: IncidentState, playbook: Playbook) -> list[dict[str, Any]]:
    """One row per communication and locale, in playbook order."""
    rows = []
    for comm in playbook.communications:
        for locale in comm.locales or ("",):
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
                    "due_at": format_time(state.declared_at + comm.due) if comm.due else None,
                }
            )
    return rows


def communications_payload(state: IncidentState, playbook: Playbook) -> list[dict[str, Any]]:
    return communication_rows(state, playbook)


_STYLE = {"pending": "red", "drafted": "yellow", "approved": "cyan", "sent": "green"}


def communications_table(state: IncidentState, playbook: Playbook) -> Table:
    table = Table(title=f"{state.id}: communications", title_justify="left", show_edge=False, header_style="bold")
    for column in ("communication", "locale", "audience", "status", "approvals"):
        table.add_column(column)
    for row in communication_rows(state, playbook):
        approvals = Text()
        for index, approval in enumerate(row["approvals"]):
            if index:
                approvals.append(", ")
            mark = f"✓ {approval['role']} ({approval['by']})" if approval["approved"] else f"… {approval['role']}"
            approvals.append(inert(mark, keep_newlines=False), style="green" if approval["approved"] else "yellow")
        table.add_row(
            row["id"],
            row["locale"] or "-",
            row["audience"],
            Text(row["status"], style=_STYLE[row["status"]]),
            approvals,
        )
    return table
