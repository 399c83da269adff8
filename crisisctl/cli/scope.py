"""Which incidents a list that spans incidents covers: live ones by default, drills with --drill, never mixed
(as `incidents` and `stats` do), so that a script summing the list never counts a rehearsal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from crisisctl.errors import UsageError

if TYPE_CHECKING:
    from crisisctl.cli.context import AppContext
    from crisisctl.incident.state import IncidentState

DrillFlag = Annotated[bool, typer.Option("--drill", "--drills", help="Drills' instead of live incidents'.")]
LiveFlag = Annotated[bool, typer.Option("--live", help="Live incidents' only (the default).")]


def chosen_incidents(
    context: AppContext, incident: str | None, *, drill: bool, live: bool, command: str
) -> tuple[list[IncidentState], list[IncidentState]]:
    """The incidents to list and the ones left out. A named incident is listed whatever it is; the flags
    choose among every incident and may not be given with one."""
    if drill and live:
        raise UsageError("--drill and --live exclude each other", "pass --drill for drills, or neither for live ones")
    flag = "--drill" if drill else "--live"
    if incident is not None and (drill or live):
        raise UsageError(
            f"{flag} chooses among every incident, not {incident} alone",
            f"crisisctl {command} {incident}, or crisisctl {command} {flag}",
        )
    states = context.incident_states(incident)
    if incident is not None:
        return states, []
    return [state for state in states if state.drill == drill], [state for state in states if state.drill != drill]


def say_left_out(count: int, one: str, many: str, command: str) -> None:
    """How many drills' entries were left out, on standard error, so that the list stays what scripts read."""
    if count:
        what = one if count == 1 else many
        print(f"crisisctl: {count} drill {what} not listed; crisisctl {command} --drill lists them", file=sys.stderr)
