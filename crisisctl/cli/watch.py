"""The `watch` dashboard: one incident, live, for the whole team (heavy imports stay out of --help)."""

import datetime as dt
import time

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crisisctl.cli.context import AppContext
from crisisctl.cli.live import Tick, follow
from crisisctl.incident.describe import describe_event
from crisisctl.incident.service import incident_now
from crisisctl.incident.state import IncidentState, step_views, unfilled_required_roles
from crisisctl.output.comms import communication_rows
from crisisctl.output.incidents import steps_table
from crisisctl.playbook.model import Playbook
from crisisctl.safetext import inert
from crisisctl.timezones import shown


def dashboard(state: IncidentState, playbook: Playbook, real_now: dt.datetime, events: int = 6) -> RenderableType:
    """Steps with countdowns, unfilled roles, notices awaiting approval, the latest events."""
    now = incident_now(state, real_now)
    header = Text()
    header.append(f"{state.id}  ", style="bold")
    header.append(inert(state.title, keep_newlines=False), style="bold")
    if state.drill:
        header.append("  [DRILL]", style="bold yellow")
    header.append(f"\n{state.status} · {state.severity} · {playbook.id} {playbook.version} · {shown(now)}", style="dim")
    parts: list[RenderableType] = [header]
    missing = unfilled_required_roles(state, playbook)
    if missing:
        parts.append(Text("UNFILLED REQUIRED ROLES: " + ", ".join(missing), style="bold red"))
    open_steps = [view for view in step_views(state, playbook, now) if view.status not in ("done", "not-applicable")]
    parts.append(steps_table(open_steps, now, title=f"Open steps ({len(open_steps)})"))
    waiting = [row for row in communication_rows(state, playbook, now) if row["status"] in ("drafted", "approved")]
    if waiting:
        notices = Table(title="Notices waiting", title_justify="left", show_edge=False, header_style="bold")
        for column in ("notice", "status", "missing approvals"):
            notices.add_column(column)
        for row in waiting:
            lacking = ", ".join(a["role"] for a in row["approvals"] if not a["approved"]) or "none: ready to send"
            notices.add_row(f"{row['id']} {row['locale'] or ''}".strip(), row["status"], lacking)
        parts.append(notices)
    recent = Table(title="Latest events", title_justify="left", show_edge=False, header_style="bold", expand=True)
    recent.add_column("seq", no_wrap=True)
    recent.add_column("who", no_wrap=True)
    recent.add_column("what", ratio=1)
    for event in state.events[-events:]:
        what = Text(inert(describe_event(event), keep_newlines=False))
        recent.add_row(str(event.seq), inert(event.actor, keep_newlines=False), what)
    parts.append(recent)
    parts.append(Text("read-only view · Ctrl-C to leave", style="dim"))
    return Panel(Group(*parts), title="crisisctl watch", border_style="cyan")


NOTIFY_SECONDS = 10.0  # how often `watch --notify` looks for what the team should be told


def watch_incident(context: AppContext, incident: str, events: int, notify: bool = False) -> None:
    """Follow one incident until Ctrl-C; with `notify`, tell the team what falls due meanwhile (as `remind`)."""

    def view(state: IncidentState, playbook: Playbook, real_now: dt.datetime) -> RenderableType:
        return dashboard(state, playbook, real_now, events)

    tick = notifying(context) if notify else None
    follow(context, incident, view, lambda state: f"stopped watching {state.id}", tick)


def notifying(context: AppContext) -> Tick:
    """A tick that runs a `remind` pass over the watched incident every NOTIFY_SECONDS; True when it told any."""
    from crisisctl.cli.wiring import team_notifier

    notifier = team_notifier(context)  # no targets, or one without its URL: refused before the screen opens
    last = -NOTIFY_SECONDS

    def tick(state: IncidentState, real_now: dt.datetime) -> bool:
        nonlocal last
        if time.monotonic() - last < NOTIFY_SECONDS:
            return False
        last = time.monotonic()
        return bool(notifier.run([state.id], real_now))

    return tick
