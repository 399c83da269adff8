"""Output for pipes, files and scripts: aligned plain-text columns and JSON, without rich's tables."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from crisisctl.clock import parse_time
from crisisctl.incident.describe import describe_event, value_text
from crisisctl.safetext import inert, inert_json
from crisisctl.timezones import shown

if TYPE_CHECKING:
    from crisisctl.incident.records import IncidentRow, StoredEvent
    from crisisctl.incident.state import IncidentState, StepView
    from crisisctl.playbook.model import Playbook


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns separated by two spaces, never cut; the last column is not padded. Cells are made inert.

    Columns are aligned by display width, as a terminal shows them: a Chinese character takes two cells,
    a combining accent none.
    """
    cells = [[inert(str(cell), keep_newlines=False) for cell in row] for row in rows]
    table = [list(headers), *cells]
    measured = [[(cell, _width(cell)) for cell in row[:-1]] for row in table]
    widths = [max(row[index][1] for row in measured) for index in range(len(headers) - 1)]
    lines = []
    for row, full in zip(measured, table, strict=True):
        padded = [cell + " " * (width - used) for (cell, used), width in zip(row, widths, strict=True)]
        lines.append("  ".join([*padded, full[-1]]).rstrip())
    return "\n".join(lines)


def _width(cell: str) -> int:
    """Cells a terminal gives the text; printable ASCII is one cell a character, and most cells are."""
    if cell.isascii() and cell.isprintable():
        return len(cell)
    from rich.cells import cell_len

    return cell_len(cell)


def print_json(payload: object) -> None:
    """JSON for scripts, every non-ASCII and control character escaped."""
    print(json.dumps(payload, ensure_ascii=True, indent=2, default=str))


def print_readable_json(payload: object) -> None:
    """JSON for scripts and people: text in any script as it is (`投诉`), not as `\\u6295\\u8bc9`.

    Characters a terminal would act on are still escaped, and so is everything non-ASCII where
    standard output cannot take UTF-8: there, `\\u` escapes keep the JSON valid.
    """
    import codecs
    import sys

    if codecs.lookup(getattr(sys.stdout, "encoding", None) or "utf-8").name != "utf-8":
        print_json(payload)
        return
    print(inert_json(json.dumps(payload, ensure_ascii=False, indent=2, default=str)))


def due_words(due_at: dt.datetime | None, status: str, now: dt.datetime) -> tuple[str, str]:
    """`in 25m` or `OVERDUE 1h 5m`, and its urgency: "overdue", "soon" (within the hour) or ""."""
    from crisisctl.playbook.durations import format_duration

    if due_at is None or status in ("done", "skipped", "not-applicable"):
        return "", ""
    left = due_at - now
    if left < dt.timedelta(0):
        return f"OVERDUE {format_duration(-left)}", "overdue"
    return f"in {format_duration(left)}", "soon" if left <= dt.timedelta(hours=1) else ""


def due_cell(view: StepView, now: dt.datetime) -> str:
    """The deadline in words; follow-up work not yet due says when it will be."""
    if view.due_at is None and view.step.follow_up and view.status in ("pending", "in-progress"):
        from crisisctl.playbook.durations import format_duration

        return "after resolution" + (f" +{format_duration(view.step.due)}" if view.step.due else "")
    return due_words(view.due_at, view.status, now)[0]


def timeline_rows(events: Sequence[StoredEvent]) -> list[tuple[str, ...]]:
    """The timeline for pipes and files: seq, local time, who, what."""
    return [(str(event.seq), shown(parse_time(event.at)), event.actor, describe_event(event)) for event in events]


def step_rows(views: Sequence[StepView], now: dt.datetime, *, notes: bool = False) -> list[tuple[str, ...]]:
    """Steps for pipes and files: id, status, owner (or the unfilled role), due, title (and the step's note)."""
    return [
        (
            view.step.id,
            view.status + (" (forced)" if view.record and view.record.forced else ""),
            view.holder or f"unfilled {view.step.role}",
            due_cell(view, now),
            view.step.title + (f" — {view.record.note}" if notes and view.record and view.record.note else ""),
        )
        for view in views
    ]


PLAYBOOK_MOVED_ON = "The playbook file has changed since declaration; this incident keeps the pinned version."


def unfilled_roles_line(incident_id: str, missing: Sequence[str]) -> str:
    return "UNFILLED REQUIRED ROLES: " + ", ".join(missing) + f" — crisisctl assign {incident_id} ROLE PERSON"


def unfilled_text(required: bool) -> str:
    return "unfilled" + (" (required)" if required else "")


def input_rows(state: IncidentState, playbook: Playbook) -> list[tuple[str, ...]]:
    """Every declared input with its latest value (`not set` for one given no value yet)."""
    return [(declared.id, value_text(state.inputs.get(declared.id))) for declared in playbook.inputs]


INPUT_CHANGE_COLUMNS = ("at", "who", "input", "change", "why")


def input_change_rows(state: IncidentState) -> list[tuple[str, ...]]:
    """Each change of an input by stated time: when, who, which, old -> new, and the note (or the drill inject)."""
    from crisisctl.incident.facts import in_stated_order

    return [
        (
            shown(change.at),
            change.actor,
            change.input,
            f"{value_text(change.previous)} -> {value_text(change.value)}",
            (f"inject {change.inject}: " if change.inject is not None else "") + change.note,
        )
        for change in in_stated_order(state.input_changes)
    ]


def incident_plain(state: IncidentState, playbook: Playbook, now: dt.datetime, playbook_moved_on: bool) -> str:
    """`crisisctl show` for pipes and files: the panel's header, roles, steps, notices, inputs and their changes
    as plain sections."""
    from crisisctl.incident.state import step_views, unfilled_required_roles

    lines = [
        inert(f"{state.id}  {state.title}" + ("  [DRILL]" if state.drill else ""), keep_newlines=False),
        inert(
            f"{state.status} · {state.severity} · playbook {playbook.id} {playbook.version}"
            f" · declared {shown(state.declared_at)} by {state.declared_by}",
            keep_newlines=False,
        ),
    ]
    if playbook_moved_on:
        lines.append(PLAYBOOK_MOVED_ON)
    missing = unfilled_required_roles(state, playbook)
    if missing:
        lines.append(unfilled_roles_line(state.id, missing))
    roles = [(role.id, role.title, state.roles.get(role.id) or unfilled_text(role.required)) for role in playbook.roles]
    sections = [
        "\n".join(lines),
        "Roles\n" + plain_table(("role", "title", "holder"), roles),
        "Steps\n"
        + plain_table(
            ("step", "status", "owner", "due", "what"), step_rows(step_views(state, playbook, now), now, notes=True)
        ),
    ]
    if playbook.communications:
        from crisisctl.output.comms import COMMUNICATION_COLUMNS, communication_plain_rows

        sections.append(
            "Notices\n" + plain_table(COMMUNICATION_COLUMNS, communication_plain_rows(state, playbook, now))
        )
    if playbook.inputs:
        sections.append("Inputs\n" + plain_table(("input", "value"), input_rows(state, playbook)))
    if state.input_changes:
        sections.append("Input changes\n" + plain_table(INPUT_CHANGE_COLUMNS, input_change_rows(state)))
    sections.extend(
        f"{title}\n{plain_table(columns, rows)}" for title, columns, rows in follow_up_sections(state, playbook)
    )
    return "\n\n".join(sections)


Section = tuple[str, tuple[str, ...], list[tuple[str, ...]]]  # title, columns, rows


def follow_up_sections(state: IncidentState, playbook: Playbook) -> list[Section]:
    """The customer side of `show`, where there is something to show: outcomes, remedies, linked incidents."""
    from crisisctl.incident.outcomes import outcomes
    from crisisctl.output.outcomes import OUTCOME_COLUMNS, outcome_rows

    sections: list[Section] = []
    found = outcomes(state, playbook)
    if found:
        sections.append(("Customer outcomes", OUTCOME_COLUMNS, outcome_rows(found)))
    if state.remedies:
        from crisisctl.output.remedies import REMEDY_COLUMNS, remedy_rows

        sections.append(("Remedies", REMEDY_COLUMNS, remedy_rows(list(state.remedies.values()))))
    if state.links:
        from crisisctl.output.links import LINK_COLUMNS, link_rows

        sections.append(("Linked incidents", LINK_COLUMNS, link_rows(state.links)))
    return sections


def incident_plain_rows(rows: list[IncidentRow]) -> list[tuple[str, ...]]:
    """The incident list for pipes and files, without the cost of drawing a table."""
    return [
        (
            row.id,
            row.status,
            row.severity,
            row.playbook,
            row.title + (" [DRILL]" if row.drill else ""),
            shown(dt.datetime.fromisoformat(row.declared_at.replace("Z", "+00:00"))),
        )
        for row in rows
    ]


def incident_row_payload(row: IncidentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "playbook": row.playbook,
        "title": row.title,
        "severity": row.severity,
        "status": row.status,
        "drill": row.drill,
        "declared_at": row.declared_at,
    }
