"""Opening an incident or a drill from the playbook folder: the use cases several commands share.

`declare` and `check --declare` declare through `declare_incident`; `drill start`, `drill run`,
`drill demo` and `drill test` start drills through `start_drill`. The commands only turn their
flags into these arguments and print what comes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from crisisctl.errors import InvalidFileError, UsageError
from crisisctl.incident import rules
from crisisctl.incident.inputs import resolve_inputs
from crisisctl.incident.service import Declaration, IncidentService
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.catalog import TemplateCheck, find_playbook
from crisisctl.playbook.model import Input, Playbook

# Values for required inputs nobody gave: asked at a terminal, refused (naming the flag) elsewhere.
AskInputs = Callable[[list[Input]], Mapping[str, Any]]


class PlaybookFolder(Struct, frozen=True):
    """Where playbooks are found, the day their dates are judged by, and how their templates are checked."""

    path: Path
    today: dt.date
    template_check: TemplateCheck | None = None

    def find(self, playbook_id: str) -> Playbook:
        """The valid playbook with this id; exit 2 if unknown, exit 1 listing its problems if invalid."""
        return find_playbook(self.path, playbook_id, self.today, self.template_check)


class DeclareRequest(Struct, frozen=True):
    """What the person declaring stated: inputs as typed (NAME to text), roles (ROLE to person)."""

    playbook_id: str
    title: str | None = None  # default: the playbook's title
    severity: str | None = None  # default: the playbook's most severe level
    drill: bool = False
    inputs: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)
    at: str | None = None


class Declared(Struct, frozen=True):
    state: IncidentState
    warnings: list[str]  # people given a role who are not in the roster, each with a did-you-mean


def declare_incident(
    service: IncidentService, playbooks: PlaybookFolder, request: DeclareRequest, ask: AskInputs
) -> Declared:
    """Declare from a playbook of the folder: typed inputs, the playbook's defaults, `ask` for the rest."""
    from crisisctl.playbook.roster import load_roster

    roster = load_roster(playbooks.path)  # first: an invalid roster refuses before anything is recorded
    playbook = playbooks.find(request.playbook_id)
    severity = request.severity or playbook.severities[0].id
    rules.require_severity(playbook, severity)  # the flags before any question: no answer is typed in vain
    for role in request.roles:
        rules.require_role(playbook, role)
    values, missing = resolve_inputs(playbook, dict(request.inputs))
    values.update(ask(missing))
    declaration = Declaration(
        playbook=playbook,
        title=request.title or playbook.title,
        severity=severity,
        drill=request.drill,
        inputs=values,
        roles=dict(request.roles),
        at=request.at,
    )
    state = service.declare(declaration)
    return Declared(state, roster.warnings(declaration.roles.values()) if roster else [])


def start_drill(
    service: IncidentService, playbooks: PlaybookFolder, playbook_id: str, scenario_file: Path, speed: float
) -> IncidentState:
    """Validate the scenario against its playbook, declare the drill incident, and fire the injects due at once."""
    from crisisctl.incident.drills import fire_injects
    from crisisctl.playbook.scenario import validate_scenario
    from crisisctl.playbook.yamlsource import load_file

    if not 0.1 <= speed <= 3600:  # also refuses nan
        raise UsageError(
            f"--speed {speed:g} is out of range", "use a factor between 0.1 and 3600 (60: a minute is an hour)"
        )
    if not scenario_file.is_file():
        raise UsageError(f"scenario file {scenario_file} does not exist", "pass --scenario FILE")
    playbook = playbooks.find(playbook_id)
    loaded = load_file(scenario_file, str(scenario_file))
    named = loaded.document.items.get("playbook") if loaded.document else None
    rehearses = getattr(named, "value", None)
    if isinstance(rehearses, str) and rehearses != playbook.id:
        raise UsageError(
            f"{scenario_file} rehearses {rehearses}, not {playbook.id}",
            f"crisisctl drill start {rehearses} --scenario {scenario_file}",
        )
    result = validate_scenario(loaded, {playbook.id: playbook})
    if result.scenario is None:
        raise InvalidFileError(f"scenario {scenario_file} is not valid for {playbook.id}", result.problems)
    scenario = result.scenario
    defaults, _ = resolve_inputs(playbook, {})
    declaration = Declaration(
        playbook=playbook,
        title=f"Drill: {scenario.title}",
        severity=playbook.severities[0].id,
        drill=True,
        inputs=defaults | scenario.inputs,
        roles=dict(scenario.roles),
        speed=speed,
        scenario={"id": scenario.id, "sha256": scenario.sha256, "text": scenario.text},
    )
    state = service.declare(declaration)
    if fire_injects(service, state, scenario, dt.timedelta(0)):  # injects at 0m fire with the start
        state, _ = service.load(state.id)
    return state
