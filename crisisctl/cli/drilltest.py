"""`crisisctl drill test`: every scenario played by a perfect team in a throw-away log; can the playbook make it?"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from msgspec.structs import replace

from crisisctl.cli.context import AppContext
from crisisctl.errors import CrisisError, InvalidFileError, UsageError
from crisisctl.incident.perfectteam import ScenarioOutcome


def scenario_files(paths: list[Path], playbooks: Path) -> list[Path]:
    """The files named, and the scenario files in the folders named (by default the playbook folder), found as
    `playbook validate` finds them: at the top of a folder or in its scenarios/ folder, a file that says
    `kind: Scenario` (one without a `kind:` line, by its scenarios/ folder). Playbooks, rosters and other YAML
    (a pre-commit config) beside them are left alone."""
    from crisisctl.playbook.files import discover, is_scenario_file

    named = paths or [playbooks]
    found: list[Path] = []
    for path in named:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(child for child in discover([path], all_kinds=True) if is_scenario_file(child))
        else:
            raise UsageError(f"{path} does not exist", "name scenario files or folders (default: the playbook folder)")
    if not found:
        raise UsageError(
            f"no scenario files in {', '.join(str(path) for path in named)} (a scenario file says `kind: Scenario`, "
            "or is kept in a scenarios/ folder)",
            "write one (docs: drills), or name the files or folders that hold them: crisisctl drill test PATH...",
        )
    return found


def test_scenarios(context: AppContext, files: list[Path]) -> list[ScenarioOutcome]:
    """Play each scenario in a log of its own, made in a temporary folder and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="crisisctl-drill-test-"))
    try:
        return [_test_one(context, path, folder / f"{number}.sqlite3") for number, path in enumerate(files, 1)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _test_one(context: AppContext, path: Path, log: Path) -> ScenarioOutcome:
    from crisisctl.delivery.config import DeliveryConfig
    from crisisctl.delivery.sender import Courier
    from crisisctl.incident.declaring import start_drill
    from crisisctl.incident.drills import pinned_scenario
    from crisisctl.incident.perfectteam import FACILITATOR, PerfectTeam
    from crisisctl.incident.service import IncidentService
    from crisisctl.playbook.scenario import validate_scenario
    from crisisctl.playbook.yamlsource import YMap, YScalar, load_file
    from crisisctl.render.drafts import make_renderer

    outcome = ScenarioOutcome(str(path))
    loaded = load_file(path, str(path))
    document = loaded.document
    if isinstance(document, YMap):
        for key in ("id", "playbook"):
            node = document.items.get(key)
            if isinstance(node, YScalar) and isinstance(node.value, str):
                setattr(outcome, "scenario" if key == "id" else key, node.value)
    if outcome.playbook is None:
        outcome.error = f"scenario {path} is not valid"
        outcome.problems = validate_scenario(loaded, {}).problems
        return outcome
    drill = AppContext(replace(context.settings, db_flag=str(log), actor_flag=FACILITATOR))
    drill.clock = context.get_clock()
    try:
        state = start_drill(drill.service(), drill.playbook_folder(), outcome.playbook, path, 1.0)
        scenario = pinned_scenario(state)
        assert scenario is not None
        team = PerfectTeam(
            lambda person: IncidentService(drill.log, drill.get_clock(), person),
            make_renderer(drill.settings.templates, [drill.settings.playbooks]),
            Courier(DeliveryConfig(), drill.settings.db),
            scenario,
        )
        outcome.verdict = team.play(state.id)
    except InvalidFileError as invalid:
        outcome.error, outcome.problems = invalid.message, invalid.problems
    except CrisisError as error:
        outcome.error = error.message + (f" ({error.hint})" if error.hint else "")
    finally:
        drill.close()
    return outcome
