"""Which incidents a command that spans incidents covers: live ones by default, drills with --drill, never mixed
(`incidents`, `stats`, `action list`, `remedy list`), so that a script summing the output never counts a rehearsal."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Protocol, TypeVar

import typer

from crisisctl.errors import UsageError

if TYPE_CHECKING:
    from crisisctl.cli.context import AppContext
    from crisisctl.incident.state import IncidentState

DrillFlag = Annotated[bool, typer.Option("--drill", "--drills", help="Drills instead of live incidents (never mixed).")]
LiveFlag = Annotated[bool, typer.Option("--live", help="Live incidents only (the default).")]


class Kept(Protocol):
    """Anything that is a drill or not: an incident's state, a row of the incident list."""

    @property
    def drill(self) -> bool: ...


KeptT = TypeVar("KeptT", bound=Kept)


def drills_wanted(drill: bool, live: bool) -> bool | None:
    """What the flags ask for: drills (True), live incidents (False), or None for the default view (live
    incidents, the drills counted as left out)."""
    if drill and live:
        raise UsageError("--drill and --live exclude each other", "pass --drill for drills, or neither for live ones")
    return True if drill else False if live else None


def keep_apart(items: Iterable[KeptT], wanted: bool | None) -> tuple[list[KeptT], list[KeptT]]:
    """The items of the kind wanted and the drills left out: only the default view leaves anything out, since
    under --drill or --live the other kind was not asked for."""
    every = list(items)
    chosen = [item for item in every if item.drill == bool(wanted)]
    return chosen, [item for item in every if item.drill] if wanted is None else []


def chosen_incidents(
    context: AppContext, incident: str | None, *, drill: bool, live: bool, command: str
) -> tuple[list[IncidentState], list[IncidentState]]:
    """The incidents to list and the drills left out. A named incident is listed whatever it is; the flags
    choose among every incident and may not be given with one."""
    wanted = drills_wanted(drill, live)
    if incident is not None and wanted is not None:
        flag = "--drill" if drill else "--live"
        raise UsageError(
            f"{flag} chooses among every incident, not {incident} alone",
            f"crisisctl {command} {incident}, or crisisctl {command} {flag}",
        )
    states = context.incident_states(incident)
    if incident is not None:
        return states, []
    return keep_apart(states, wanted)


def say_left_out(
    count: int, one: str, many: str, command: str, *, shown: tuple[str, str] = ("listed", "lists")
) -> None:
    """How many drills' entries were left out, on standard error, so that the output stays what scripts read;
    `shown` is how the command shows entries (listed, lists; counted, counts)."""
    if count:
        what = one if count == 1 else many
        done, does = shown
        print(f"crisisctl: {count} drill {what} not {done}; crisisctl {command} --drill {does} them", file=sys.stderr)
