"""The drill facilitator's screen: a live view of the drill clock, injects, steps and the latest events."""

import datetime as dt

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crisisctl.cli.context import AppContext
from crisisctl.cli.live import follow
from crisisctl.incident.describe import describe_event
from crisisctl.incident.drills import (
    fire_injects,
    firing_triggers,
    inject_facts,
    injects_due,
    pinned_scenario,
    signals_so_far,
    unfired_injects,
)
from crisisctl.incident.service import incident_now
from crisisctl.incident.state import IncidentState, step_views
from crisisctl.output.incidents import steps_table
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.scenario import Scenario
from crisisctl.safetext import inert


def facilitator_view(
    state: IncidentState, playbook: Playbook, scenario: Scenario | None, real_now: object
) -> RenderableType:

    assert isinstance(real_now, dt.datetime)
    now = incident_now(state, real_now)
    elapsed = now - state.declared_at
    header = Text()
    header.append(f"DRILL {state.id}  ", style="bold yellow")
    header.append(inert(state.title, keep_newlines=False), style="bold")
    header.append(f"\ndrill clock +{format_duration(elapsed)}  (speed {state.speed:g}x)  status {state.status}")
    parts: list[RenderableType] = [header]
    if scenario is not None:
        due = injects_due(scenario, elapsed)
        injects = Table(title="Injects", title_justify="left", show_edge=False, header_style="bold", expand=True)
        injects.add_column("at", no_wrap=True)
        injects.add_column("message", ratio=1)
        for inject in due[-5:]:
            message = Text(inert(inject.message))
            if inject.signals:
                message.append("  signals: " + ", ".join(f"{k}={v}" for k, v in inject.signals.items()), style="dim")
            if inject.inputs:
                message.append("  sets: " + inject_facts(inject), style="bold")
            injects.add_row(f"+{format_duration(inject.at)}", message)
        upcoming = [inject for inject in scenario.injects if inject.at > elapsed]
        if upcoming:
            wait = upcoming[0].at - elapsed
            injects.add_row(
                "", Text(f"next inject in {format_duration(wait)} (drill time); {len(upcoming)} to come", style="dim")
            )
        parts.append(injects)
        firing = firing_triggers(playbook, signals_so_far(scenario, elapsed))
        if firing:
            parts.append(Text("triggers firing: " + ", ".join(firing), style="bold red"))
    applicable = [view for view in step_views(state, playbook, now) if view.status != "not-applicable"]
    parts.append(steps_table(applicable, now, title="Steps"))
    recent = Table(title="Latest events", title_justify="left", show_edge=False, header_style="bold", expand=True)
    recent.add_column("seq", no_wrap=True)
    recent.add_column("who", no_wrap=True)
    recent.add_column("what", ratio=1)
    for event in state.events[-5:]:
        recent.add_row(
            str(event.seq),
            inert(event.actor, keep_newlines=False),
            Text(inert(describe_event(event), keep_newlines=False)),
        )
    parts.append(recent)
    parts.append(
        Text(
            "Ctrl-C leaves this screen; the drill goes on and `crisisctl drill run " + state.id + "` returns to it.",
            style="dim",
        )
    )
    return Panel(Group(*parts), title="crisisctl drill", border_style="yellow")


def run_facilitator_screen(context: AppContext, incident: str) -> None:
    """Follow a drill until Ctrl-C, recording each inject's facts as it falls due; the drill itself goes on."""
    service = context.service()
    state, _ = service.load(incident)
    scenario = pinned_scenario(state)

    def view(state: IncidentState, playbook: Playbook, real_now: dt.datetime) -> RenderableType:
        return facilitator_view(state, playbook, scenario, real_now)

    def tick(state: IncidentState, real_now: dt.datetime) -> bool:
        elapsed = incident_now(state, real_now) - state.declared_at
        if scenario is None or state.status == "closed" or not unfired_injects(state, scenario, elapsed):
            return False  # the usual case: decided without the write lock
        return bool(fire_injects(service, state, scenario, elapsed))

    follow(
        context,
        incident,
        view,
        lambda s: f"left the drill screen; {s.id} goes on (crisisctl drill run {s.id})",
        tick,
    )
