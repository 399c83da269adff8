"""Incidents for people and for scripts: tables, the incident panel, the timeline, and --json shapes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from crisisctl.clock import format_time
from crisisctl.incident.describe import describe_event
from crisisctl.incident.facts import InputChange
from crisisctl.incident.outcomes import outcomes
from crisisctl.incident.records import IncidentRow, StoredEvent
from crisisctl.incident.state import IncidentState, StepView, step_views, unfilled_required_roles
from crisisctl.output.comms import communication_rows, communications_table
from crisisctl.output.links import link_payload
from crisisctl.output.outcomes import outcome_payload
from crisisctl.output.plain import (
    INPUT_CHANGE_COLUMNS,
    PLAYBOOK_MOVED_ON,
    due_cell,
    due_words,
    follow_up_sections,
    input_change_rows,
    input_rows,
    unfilled_roles_line,
    unfilled_text,
)
from crisisctl.output.remedies import remedy_payload
from crisisctl.playbook.model import Playbook
from crisisctl.safetext import inert
from crisisctl.timezones import shown

if TYPE_CHECKING:
    from crisisctl.incident.service import FactsRecorded


def _text(value: str, style: str = "") -> Text:
    return Text(inert(value, keep_newlines=False), style=style)


_URGENCY_STYLE = {"overdue": "bold red", "soon": "yellow", "": ""}


def due_text(view: StepView, now: dt.datetime) -> Text:
    """`in 25m` or `OVERDUE 1h 5m`, coloured by urgency; `after resolution +7d` for follow-up work."""
    if view.due_at is None and view.step.follow_up:
        return Text(due_cell(view, now), style="dim")
    words, urgency = due_words(view.due_at, view.status, now)
    return Text(words, style=_URGENCY_STYLE[urgency])


_STATUS_STYLE = {
    "done": "green",
    "skipped": "dim",
    "not-applicable": "dim",
    "blocked": "bold magenta",
    "in-progress": "cyan",
}


def steps_table(views: list[StepView], now: dt.datetime, title: str = "Steps") -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    table.add_column("step", no_wrap=True)
    table.add_column("status")
    table.add_column("owner", min_width=8)
    table.add_column("due", no_wrap=True)
    table.add_column("what", ratio=1, min_width=16)
    for view in views:
        dim = "dim" if view.status == "not-applicable" else ""
        owner = _text(view.holder) if view.holder else _text(f"unfilled {view.step.role}", "red")
        what = _text(view.step.title, dim)
        if view.record and view.record.note:
            what.append(" — " + inert(view.record.note, keep_newlines=False), style="italic")
        forced = " (forced)" if view.record and view.record.forced else ""
        table.add_row(
            _text(view.step.id, dim),
            Text(view.status + forced, style=_STATUS_STYLE.get(view.status, "")),
            owner,
            due_text(view, now),
            what,
        )
    return table


def incident_panel(
    state: IncidentState, playbook: Playbook, now: dt.datetime, playbook_moved_on: bool
) -> RenderableType:
    """`crisisctl show`: header, roles, steps, notices, inputs."""
    header = Text()
    header.append(f"{state.id}  ", style="bold")
    header.append(inert(state.title, keep_newlines=False), style="bold")
    if state.drill:
        header.append("  [DRILL]", style="bold yellow")
    meta = Text(
        f"{state.status} · {state.severity} · playbook {playbook.id} {playbook.version}"
        f" · declared {shown(state.declared_at)} by {inert(state.declared_by, keep_newlines=False)}",
        style="dim",
    )
    parts: list[RenderableType] = [header, meta]
    if playbook_moved_on:
        parts.append(Text(PLAYBOOK_MOVED_ON, style="yellow"))
    missing = unfilled_required_roles(state, playbook)
    if missing:
        parts.append(Text(unfilled_roles_line(state.id, missing), style="bold red"))
    roles = Table(title="Roles", title_justify="left", show_edge=False, header_style="bold")
    for column in ("role", "title", "holder"):
        roles.add_column(column)
    for role in playbook.roles:
        holder = state.roles.get(role.id)
        roles.add_row(
            _text(role.id),
            _text(role.title),
            _text(holder) if holder else Text(unfilled_text(role.required), style="red" if role.required else "dim"),
        )
    parts.append(roles)
    parts.append(steps_table(step_views(state, playbook, now), now))
    if playbook.communications:
        parts.append(communications_table(state, playbook, now, title="Notices"))
    if playbook.inputs:
        parts.append(_rows_table("Inputs", ("input", "value"), input_rows(state, playbook)))
    if state.input_changes:
        parts.append(_rows_table("Input changes", INPUT_CHANGE_COLUMNS, input_change_rows(state)))
    parts.extend(_rows_table(*section) for section in follow_up_sections(state, playbook))
    return Group(*parts)


def _rows_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_text(cell) for cell in row))
    return table


def incidents_table(rows: list[IncidentRow]) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for column in ("id", "status", "severity", "playbook", "title", "declared"):
        table.add_column(column, overflow="fold")  # a narrow terminal folds a long id, never cuts it
    for row in rows:
        title = inert(row.title, keep_newlines=False) + ("  [DRILL]" if row.drill else "")
        declared = dt.datetime.fromisoformat(row.declared_at.replace("Z", "+00:00"))
        table.add_row(row.id, row.status, row.severity, _text(row.playbook), Text(title), shown(declared))
    return table


def timeline_table(events: list[StoredEvent]) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for column in ("seq", "at", "who", "what"):
        table.add_column(column)
    for event in events:
        at = dt.datetime.fromisoformat(event.at.replace("Z", "+00:00"))
        table.add_row(str(event.seq), shown(at), _text(event.actor), Text(inert(describe_event(event))))
    return table


def incident_summary_payload(state: IncidentState) -> dict[str, Any]:
    return {
        "id": state.id,
        "playbook": state.playbook_id,
        "playbook_version": state.playbook_version,
        "title": state.title,
        "severity": state.severity,
        "status": state.status,
        "drill": state.drill,
        "declared_at": format_time(state.declared_at),
    }


def step_payload(view: StepView) -> dict[str, Any]:
    return {
        "id": view.step.id,
        "title": view.step.title,
        "phase": view.step.phase,
        "role": view.step.role,
        "holder": view.holder,
        "status": view.status,
        "due_at": format_time(view.due_at) if view.due_at else None,
        "overdue": view.overdue,
        "forced": bool(view.record and view.record.forced),
        "note": view.record.note if view.record else "",
        "applicable_since": format_time(view.applicable_since) if view.applicable_since else None,
        "after": view.step.after,
    }


def input_change_payload(change: InputChange) -> dict[str, Any]:
    return {
        "seq": change.seq,
        "at": format_time(change.at),
        "actor": change.actor,
        "input": change.input,
        "value": change.value,
        "previous": change.previous,
        "note": change.note,
        "inject": change.inject,
    }


def facts_payload(recorded: FactsRecorded) -> dict[str, Any]:
    """`crisisctl set --json`: the changes recorded, the latest inputs, and the steps the change switched."""
    return {
        "id": recorded.state.id,
        "changes": [input_change_payload(change) for change in recorded.changes],
        "inputs": recorded.state.inputs,
        "now_applicable": [step_payload(view) for view in recorded.now_applicable],
        "no_longer_applicable": [view.step.id for view in recorded.no_longer_applicable],
    }


def incident_detail_payload(
    state: IncidentState, playbook: Playbook, now: dt.datetime, playbook_moved_on: bool
) -> dict[str, Any]:
    return {
        **incident_summary_payload(state),
        "playbook_sha256": state.playbook_sha256,
        "playbook_changed_on_disk": playbook_moved_on,
        "summary": state.summary,
        "inputs": state.inputs,
        "input_history": [input_change_payload(change) for change in state.input_changes],
        "roles": [
            {"id": role.id, "title": role.title, "required": role.required, "holder": state.roles.get(role.id)}
            for role in playbook.roles
        ],
        "unfilled_required_roles": unfilled_required_roles(state, playbook),
        "steps": [step_payload(view) for view in step_views(state, playbook, now)],
        "communications": communication_rows(state, playbook, now),
        "outcomes": [outcome_payload(item) for item in outcomes(state, playbook)],
        "remedies": [remedy_payload(state, remedy) for remedy in state.remedies.values()],
        "links": [link_payload(link) for link in state.links],
    }
