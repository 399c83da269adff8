"""Live screens that follow an incident: redraw on a timer, reload only when someone recorded something."""

import datetime as dt
from collections.abc import Callable

import typer
from rich.console import RenderableType
from rich.live import Live

from crisisctl.cli.context import AppContext
from crisisctl.errors import ExitCode
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.model import Playbook

REFRESH_SECONDS = 0.5

View = Callable[[IncidentState, Playbook, dt.datetime], RenderableType]


# Something a screen records as time passes (a drill's injects); True when it recorded anything.
Tick = Callable[[IncidentState, dt.datetime], bool]


def follow(
    context: AppContext,
    incident: str,
    view: View,
    leave_message: Callable[[IncidentState], str],
    tick: Tick | None = None,
) -> None:
    """Redraw at least twice a second; re-read the incident only when the log's newest seq moved. Ctrl-C exits 130.

    A team log (PostgreSQL) wakes the loop as soon as another laptop commits and is not asked otherwise;
    a file is polled. Polling reads one integer and never takes the write lock, so any number of screens
    can follow an incident without slowing the people recording into it; only a `tick` that has something
    to record takes it.
    """
    service = context.service()
    seen = context.log.change_counter()  # before the load: a write in between is then seen as new
    state, playbook = service.load(incident)
    try:
        with Live(view(state, playbook, context.now()), console=context.out, auto_refresh=False) as live:
            while True:
                if tick is not None and tick(state, context.now()):
                    state, playbook = service.load(incident)
                if context.log.wait_for_change(REFRESH_SECONDS) and (counter := context.log.change_counter()) != seen:
                    seen = counter
                    state, playbook = service.load(incident)
                live.update(view(state, playbook, context.now()), refresh=True)
    except KeyboardInterrupt:
        context.err.print(leave_message(state))
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
