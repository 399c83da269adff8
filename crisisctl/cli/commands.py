"""The command registry: each command's module is imported only when that command runs.

Building every command for every run cost about 20 ms (importing all command modules and
turning each function into a click command); `crisisctl --help` lists the summaries
below instead, and `crisisctl` alone prints them by group with each command's usage
(`overview`). Tests keep summaries and usages equal to the commands' own.
"""

import importlib
import re
from typing import NamedTuple

import typer

# typer's own copy of click is private API: the pin typer>=0.28,<0.29 (pyproject.toml) covers it; recheck on a bump.
from typer import _click
from typer.core import TyperGroup

# The groups of the overview `crisisctl` prints without arguments, in the order it shows them.
RESPOND, FOLLOW_UP, COMMUNICATE, REVIEW, REHEARSE, AUTHOR, LOG = (
    "Respond",
    "Follow up",
    "Communicate",
    "Review",
    "Rehearse",
    "Author",
    "Log",
)
GROUPS = (RESPOND, FOLLOW_UP, COMMUNICATE, REVIEW, REHEARSE, AUTHOR, LOG)


class CommandSpec(NamedTuple):
    module: str
    attribute: str  # a command function or a typer.Typer group
    summary: str
    group: str  # where the overview lists it
    usage: str  # its arguments, or a group's subcommands (a test keeps both equal to the command's own)


COMMANDS: dict[str, CommandSpec] = {
    "run": CommandSpec(
        "crisisctl.cli.incident",
        "run",
        "A guided walk through an incident: no flags to remember, every answer saved at once.",
        RESPOND,
        "[PLAYBOOK|INCIDENT]",
    ),
    "declare": CommandSpec(
        "crisisctl.cli.incident",
        "declare",
        "Declare an incident from a playbook; the playbook text is pinned in the log.",
        RESPOND,
        "PLAYBOOK",
    ),
    "incidents": CommandSpec(
        "crisisctl.cli.incident",
        "incidents",
        "List incidents, newest first (open and resolved ones unless --all).",
        RESPOND,
        "",
    ),
    "show": CommandSpec(
        "crisisctl.cli.incident",
        "show",
        "Show an incident: roles and holders, steps with owners and deadlines, inputs.",
        RESPOND,
        "INCIDENT",
    ),
    "next": CommandSpec(
        "crisisctl.cli.incident",
        "next_steps_command",
        "The steps that can be worked on now, soonest due first.",
        RESPOND,
        "INCIDENT",
    ),
    "watch": CommandSpec(
        "crisisctl.cli.incident",
        "watch",
        "A live dashboard of one incident: steps and countdowns, roles, notices, the latest events.",
        RESPOND,
        "INCIDENT",
    ),
    "step": CommandSpec(
        "crisisctl.cli.incident",
        "step_app",
        "Record progress on a step: start, done, skip, block.",
        RESPOND,
        "start|done|skip|block",
    ),
    "assign": CommandSpec(
        "crisisctl.cli.incident",
        "assign_command",
        "Give a role to a person; --handover records the handover from its holder.",
        RESPOND,
        "INCIDENT ROLE PERSON",
    ),
    "unassign": CommandSpec(
        "crisisctl.cli.incident",
        "unassign_command",
        "Leave a role empty; a required role then shows as unfilled.",
        RESPOND,
        "INCIDENT ROLE",
    ),
    "note": CommandSpec(
        "crisisctl.cli.incident",
        "note_command",
        "Add a note to the timeline, with attached files and links.",
        RESPOND,
        "INCIDENT TEXT",
    ),
    "action": CommandSpec(
        "crisisctl.cli.actions",
        "action_app",
        "Action items: add, done, list; they stay open after the incident is closed.",
        FOLLOW_UP,
        "add|done|list",
    ),
    "set": CommandSpec(
        "crisisctl.cli.incident",
        "set_command",
        "Change a fact: record a new value of an input.",
        RESPOND,
        "INCIDENT NAME=VALUE...",
    ),
    "link": CommandSpec(
        "crisisctl.cli.links",
        "link_command",
        "Link two incidents, recorded on both: a hand-over, a follow-up incident, or related ones.",
        RESPOND,
        "INCIDENT OTHER",
    ),
    "remedy": CommandSpec(
        "crisisctl.cli.remedies",
        "remedy_app",
        "Remedies offered to customers (refund, coupon, points...): add, issued, list; also after closing.",
        FOLLOW_UP,
        "add|issued|list",
    ),
    "measure": CommandSpec(
        "crisisctl.cli.outcomes",
        "measure_command",
        "Record a customer outcome: the follow-up figure, or with --baseline the figure before the crisis.",
        FOLLOW_UP,
        "INCIDENT METRIC VALUE",
    ),
    "severity": CommandSpec(
        "crisisctl.cli.incident",
        "severity_command",
        "Change the severity, saying why.",
        RESPOND,
        "INCIDENT LEVEL",
    ),
    "resolve": CommandSpec(
        "crisisctl.cli.incident",
        "resolve_command",
        "Mark the incident resolved (customers no longer affected).",
        RESPOND,
        "INCIDENT",
    ),
    "close": CommandSpec(
        "crisisctl.cli.incident",
        "close_command",
        "Close a resolved incident; refused while applicable steps are open, unless --force.",
        RESPOND,
        "INCIDENT",
    ),
    "check": CommandSpec(
        "crisisctl.cli.check",
        "check_command",
        "Evaluate every playbook's triggers against signals, most severe match first.",
        RESPOND,
        "SIGNALS",
    ),
    "comms": CommandSpec(
        "crisisctl.cli.comms",
        "comms_app",
        "Draft, approve and send the playbook's notices.",
        COMMUNICATE,
        "list|draft|show|approve|send|reconcile",
    ),
    "remind": CommandSpec(
        "crisisctl.cli.remind",
        "remind_command",
        "Tell the team what is due: declared, severity, roles, approvals, steps due or overdue, resolved.",
        COMMUNICATE,
        "[INCIDENT]...",
    ),
    "timeline": CommandSpec(
        "crisisctl.cli.incident",
        "timeline_command",
        "Every event of the incident, oldest first by stated time.",
        REVIEW,
        "INCIDENT",
    ),
    "postmortem": CommandSpec(
        "crisisctl.cli.reports",
        "postmortem_command",
        "Write the post-mortem: timeline, steps against deadlines, notices, KPIs, lessons and actions.",
        REVIEW,
        "INCIDENT",
    ),
    "export": CommandSpec(
        "crisisctl.cli.reports",
        "export_command",
        "Export the incident: json for archives and tools, csv for spreadsheets, md for reading.",
        REVIEW,
        "INCIDENT",
    ),
    "stats": CommandSpec(
        "crisisctl.cli.stats",
        "stats_command",
        "Response-time figures: time to acknowledge, to first customer notice, to resolve; steps on time.",
        REVIEW,
        "",
    ),
    "verify": CommandSpec(
        "crisisctl.cli.log",
        "verify_command",
        "Check that no recorded event was altered, removed or reordered; exit 1 naming the first bad one.",
        LOG,
        "[INCIDENT]",
    ),
    "drill": CommandSpec(
        "crisisctl.cli.drill",
        "drill_app",
        "Rehearse playbooks on scenarios, score the drills, track the drill cadence.",
        REHEARSE,
        "start|run|report|demo|test|status",
    ),
    "readiness": CommandSpec(
        "crisisctl.cli.readiness",
        "readiness_command",
        "Check that every playbook is ready for a real crisis; exit 1 naming what is not.",
        REHEARSE,
        "[PATHS]...",
    ),
    "playbook": CommandSpec(
        "crisisctl.cli.playbook",
        "playbook_app",
        "List, show, validate, compare and create playbooks; print their JSON Schema.",
        AUTHOR,
        "validate|list|show|schema|diff|new",
    ),
    "init": CommandSpec(
        "crisisctl.cli.setup",
        "init_command",
        "Set up a playbook repository: samples, schemas, pre-commit hook, CI workflow, editor settings.",
        AUTHOR,
        "[DIR]",
    ),
    "db": CommandSpec(
        "crisisctl.cli.log",
        "db_app",
        "Where the log is, and consistent backups of it.",
        LOG,
        "path|backup|copy|init-team",
    ),
}


def load_command(name: str, spec: CommandSpec) -> _click.Command:
    """Import the command's module and build just that click command (or group)."""
    target = getattr(importlib.import_module(spec.module), spec.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(rich_markup_mode=None, add_completion=False)
    single.command(name)(target)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """The root group: lists every command from the registry, builds only the one that runs."""

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*self.commands, *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name, COMMANDS[cmd_name])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _shorten(spec.summary, limit)) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


_OVERVIEW_COLUMN = 45  # where what a command is for starts; a longer usage puts it on a line of its own
_OVERVIEW_WIDTH = 100


def overview() -> str:
    """What `crisisctl` prints without arguments: every command by group, with its usage and what it is for."""
    lines = ["crisisctl: run customer-facing crises from versioned playbooks, with a tamper-evident log.", ""]
    for group in GROUPS:
        label = group
        for name, spec in COMMANDS.items():
            if spec.group != group:
                continue
            usage = f"{label:<12} {name} {spec.usage}".rstrip()
            purpose = _purpose(spec.summary, _OVERVIEW_WIDTH - _OVERVIEW_COLUMN)
            if len(usage) + 2 > _OVERVIEW_COLUMN:
                lines += [usage, " " * _OVERVIEW_COLUMN + purpose]
            else:
                lines.append(usage.ljust(_OVERVIEW_COLUMN) + purpose)
            label = ""
    lines += ["", "Start here:  crisisctl drill demo        then: crisisctl COMMAND --help", ""]
    return "\n".join(lines)


def _purpose(summary: str, room: int) -> str:
    """A summary's first clause (up to a colon, semicolon or parenthesis) in `room` characters: where it is
    longer, up to the last comma that fits after three words or more, else cut at a word with `...`."""
    clause = re.split(r"[:;(]", summary, maxsplit=1)[0].strip().rstrip(".")
    if len(clause) <= room:
        return clause
    parts = clause.split(", ")
    heads = [", ".join(parts[:end]) for end in range(len(parts) - 1, 0, -1)]
    fitting = [head for head in heads if len(head) <= room and len(head.split()) >= 3]
    return fitting[0] if fitting else _shorten(clause, room)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 10)].rsplit(" ", 1)[0] + "..."
