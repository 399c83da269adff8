"""Rich tables and panels for people at a terminal; every user string passes through inert()."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.model import Playbook
from crisisctl.safetext import inert


def _cell(text: str) -> Text:
    return Text(inert(text, keep_newlines=False))


PLAYBOOK_COLUMNS = ("id", "version", "category", "title", "note")
PlaybookListing = list[tuple[Playbook | None, str, str]]  # (playbook or None if invalid, file, note)


def playbook_table(rows: PlaybookListing) -> Table:
    """One row per file; in a narrow terminal a long id or title folds onto more lines, never cut."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in PLAYBOOK_COLUMNS:
        table.add_column(column, overflow="fold")
    for playbook, file, note in rows:
        if playbook is None:
            table.add_row(_cell(file), "", "", "", Text(note, style="red"))
        else:
            table.add_row(
                _cell(playbook.id),
                _cell(playbook.version),
                playbook.category,
                _cell(playbook.title),
                Text(note, style="yellow"),
            )
    return table


def playbook_plain_rows(rows: PlaybookListing) -> list[tuple[str, ...]]:
    """The same rows for pipes and files: an invalid file is named in the id column."""
    return [
        (playbook.id, playbook.version, playbook.category, playbook.title, note)
        if playbook
        else (file, "", "", "", note)
        for playbook, file, note in rows
    ]


def playbook_view(playbook: Playbook) -> Group:
    """The playbook as a lead reads it: roles, then steps by phase with deadlines, then notices."""
    header = Text()
    header.append(inert(playbook.title, keep_newlines=False), style="bold")
    header.append(f"  {playbook.id} {playbook.version}  ({playbook.category})", style="dim")
    parts: list[object] = [header]
    if playbook.summary:
        parts.append(_cell(playbook.summary))
    roles = Table(title="Roles", title_justify="left", show_edge=False, header_style="bold")
    for column in ("role", "title", "required"):
        roles.add_column(column)
    for role in playbook.roles:
        roles.add_row(_cell(role.id), _cell(role.title), "yes" if role.required else "")
    steps = Table(title="Steps", title_justify="left", show_edge=False, header_style="bold")
    for column in ("phase", "step", "role", "due", "after", "notice"):
        steps.add_column(column)
    for step in playbook.steps:
        what = _cell(f"{step.id}: {step.title}")
        if step.description:
            what.append("\n" + inert(step.description, keep_newlines=False), style="dim")
        steps.add_row(
            step.phase,
            what,
            _cell(step.role),
            (format_duration(step.due) if step.due else "") + (" after resolution" if step.follow_up else ""),
            _cell(", ".join(step.depends_on)),
            _cell(step.communication or ""),
        )
    comms = Table(title="Communications", title_justify="left", show_edge=False, header_style="bold")
    for column in ("id", "audience", "channel", "approvals", "locales", "due"):
        comms.add_column(column)
    for comm in playbook.communications:
        comms.add_row(
            _cell(comm.id),
            comm.audience,
            comm.channel,
            _cell(", ".join(comm.approvals)),
            _cell(", ".join(comm.locales)),
            format_duration(comm.due) if comm.due else "",
        )
    parts.extend([roles, steps, comms])
    return Group(*parts)  # type: ignore[arg-type]
