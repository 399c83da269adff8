"""Help that can be followed: every repository file a command's help names exists, whole on the screen, and every
playbook, step, input, communication and role its example names is one of the bundled playbooks' (what
`crisisctl init` writes)."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import typer
from conftest import REPO, Workspace, crisisctl

from crisisctl.cli import app
from crisisctl.cli.reference import _commands
from crisisctl.playbook.catalog import find_playbook
from crisisctl.playbook.model import Playbook
from crisisctl.samples import samples_root

# A path into one of the repository's own folders, as an example would name it: playbooks/scenarios/x.yaml.
_TOP_FOLDERS = sorted(path.name for path in REPO.iterdir() if path.is_dir() and not path.name.startswith("."))
_REPO_PATH = re.compile(rf"(?<![\w./-])(?:\./)?((?:{'|'.join(map(re.escape, _TOP_FOLDERS))})/[\w./-]*\w)")


def _helps(width: int) -> Iterator[tuple[str, str]]:
    """Each command's name and its help as `--help` prints it in a terminal this wide."""
    root = typer.main.get_command(app)
    for path, command in _commands(root, ["crisisctl"]):
        context = typer.Context(command, info_name=" ".join(path), terminal_width=width, max_content_width=width)
        yield " ".join(path), command.get_help(context)


def named_paths(width: int) -> list[tuple[str, str]]:
    return [(name, match) for name, text in _helps(width) for match in _REPO_PATH.findall(text)]


@pytest.mark.parametrize("width", [80, 88])  # a terminal's default, and docs/cli.md's
def test_every_repository_file_named_in_help_exists(width: int) -> None:
    named = named_paths(width)
    assert ("crisisctl drill start", "playbooks/scenarios/data-leak-exposed-order-exports.yaml") in named
    assert ("crisisctl drill run", "playbooks/scenarios/product-recall-listeria-pies.yaml") in named
    missing = [f"{name}: {path}" for name, path in named if not (REPO / path).exists()]
    assert not missing, "help names files the repository does not have (or cuts them at the line's end):\n" + (
        "\n".join(missing)
    )


def test_the_drill_start_example_runs_from_the_repository(workspace: Workspace) -> None:
    result = crisisctl(
        "--db",
        str(workspace.db),
        "drill",
        "start",
        "data-leak",
        "--scenario",
        "playbooks/scenarios/data-leak-exposed-order-exports.yaml",
        "--json",
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert '"drill": true' in result.stdout


_EXAMPLE = re.compile(r"Example: (crisisctl .*?)(?:\n\n|\Z)", re.S)
_GLOBAL_OPTIONS = ("--as", "--db", "--playbooks", "--templates")


def example_commands() -> dict[str, tuple[click.Command, list[str]]]:
    """Each command (by name, without `crisisctl`) and the words of its help's example after `crisisctl`."""
    root = typer.main.get_command(app)
    found: dict[str, tuple[click.Command, list[str]]] = {}
    for path, command in _commands(root, ["crisisctl"]):
        example = _EXAMPLE.search(command.help or "")
        if example is not None:
            found[" ".join(path[1:])] = (command, shlex.split(example.group(1).replace("\\\n", " "), comments=True)[1:])
    return found


def examples() -> dict[str, dict[str, Any]]:
    """Each command's example, as the command itself parses it: its parameters by name (what was given only)."""
    parsed: dict[str, dict[str, Any]] = {}
    for name, (command, words) in example_commands().items():
        while words and words[0] in _GLOBAL_OPTIONS:
            words = words[2:]
        assert " ".join(words).startswith(name), f"the example of {name} runs another command: {words}"
        context = command.make_context(f"crisisctl {name}", words[len(name.split()) :], resilient_parsing=True)
        parsed[name] = {key: value for key, value in context.params.items() if value not in (None, False, ())}
    return parsed


def bundled_playbooks() -> dict[str, Playbook]:
    folder = samples_root() / "playbooks"
    playbooks = (find_playbook(folder, path.stem, dt.date.today()) for path in sorted(folder.glob("*.yaml")))
    return {playbook.id: playbook for playbook in playbooks}


def _fact(assignment: str) -> str:
    return assignment.split("=", 1)[0]


def missing_for_the_incident(params: dict[str, dict[str, Any]], playbook: Playbook) -> list[str]:
    """What the examples about INC-7 name that this playbook does not have: its steps, inputs (set, measure),
    communications with their locales and approving roles, roles, severities."""
    steps = {step.id for step in playbook.steps}
    inputs = {spec.id for spec in playbook.inputs}
    roles = {role.id for role in playbook.roles}
    comms = {comm.id: comm for comm in playbook.communications}
    named: list[tuple[str, str, bool]] = []  # command, what it names, whether the playbook has it
    for command, given in params.items():
        if given.get("incident") != "INC-7":
            continue
        if command.startswith("step "):
            named.append((command, f"step {given['step']}", given["step"] in steps))
        for fact in given.get("facts", ()):
            named.append((command, f"input {_fact(fact)}", _fact(fact) in inputs))
        if "metric" in given:
            named.append((command, f"input {given['metric']}", given["metric"] in inputs))
        if command in ("assign", "unassign"):
            named.append((command, f"role {given['role']}", given["role"] in roles))
        if command == "severity":
            named.append((command, f"severity {given['level']}", given["level"] in {s.id for s in playbook.severities}))
        if "communication" in given:
            comm = comms.get(given["communication"])
            named.append((command, f"communication {given['communication']}", comm is not None))
            if comm is not None and "locale" in given:
                named.append((command, f"locale {given['locale']}", given["locale"] in ("en", *comm.locales)))
            if comm is not None and "role" in given:
                named.append((command, f"approver {given['role']}", given["role"] in comm.approvals))
    assert len(named) >= 12, named  # the examples were read: steps, inputs, notices, roles
    return [f"{command}: {what}" for command, what, found in named if not found]


def test_the_incident_examples_follow_one_bundled_playbook() -> None:
    """`step start INC-7 STEP`, `set INC-7 INPUT=...`, `comms draft INC-7 NOTICE`...: one bundled playbook has every
    step, input, notice, locale and role these examples name, so they work on one incident declared from it."""
    params = examples()
    misses = {playbook_id: missing_for_the_incident(params, p) for playbook_id, p in bundled_playbooks().items()}
    fitting = sorted(playbook_id for playbook_id, missing in misses.items() if not missing)
    closest = min(misses.values(), key=len)
    assert fitting, "no bundled playbook has what the INC-7 examples name; the closest lacks:\n" + "\n".join(closest)


def test_the_playbooks_examples_name_are_bundled_and_declare_gives_every_required_input() -> None:
    params = examples()
    playbooks = bundled_playbooks()
    named = {
        command: given.get("playbook_id", given.get("target"))
        for command, given in params.items()
        if command in ("declare", "run", "drill demo", "drill start", "drill run", "playbook show")
    }
    assert len(named) == 6, named
    assert {command: playbook_id for command, playbook_id in named.items() if playbook_id not in playbooks} == {}
    declared = playbooks[params["declare"]["playbook_id"]]
    given = {_fact(assignment) for assignment in params["declare"].get("inputs", ())}
    required = {spec.id for spec in declared.inputs if spec.required and spec.default is None}
    assert sorted(required - given) == [], f"declare {declared.id} exits 2 in a script without these inputs"
    assert given <= {spec.id for spec in declared.inputs}
    roles = {_fact(assignment) for assignment in params["declare"].get("assign", ())}
    assert roles <= {role.id for role in declared.roles}


def test_the_declare_example_runs_against_the_repository_init_writes(workspace: Workspace, tmp_path: Path) -> None:
    given = examples()["declare"]
    repository = tmp_path / "repo"
    assert crisisctl("init", str(repository), cwd=tmp_path).returncode == 0
    args = [given["playbook_id"]]
    args += [arg for assignment in given.get("inputs", ()) for arg in ("--input", assignment)]
    args += [arg for assignment in given.get("assign", ()) for arg in ("--assign", assignment)]
    declared = crisisctl("--db", str(workspace.db), "declare", *args, cwd=repository)
    assert declared.returncode == 0, declared.stderr


# The examples about INC-7 that need no particular state of the incident before them, in the order a team would run
# them (`unassign` and `severity` need someone in the role, another level, and `step done` its step started).
FOLLOWED_IN_ORDER = ("step start", "step done", "step block", "step skip", "set", "measure", "assign", "comms draft")


def test_the_incident_examples_run_in_order_on_a_drill_of_the_playbook_they_follow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crisisctl.entry import main

    params = examples()
    [playbook] = [p for p in bundled_playbooks().values() if not missing_for_the_incident(params, p)]
    values = {"string": "x", "list": "email", "integer": "3", "number": "0.5", "boolean": "false", "date": "2026-11-24"}
    facts = {spec.id: spec.choices[-1] if spec.choices else values[spec.type] for spec in playbook.inputs}
    required = [f"--input={spec.id}={facts[spec.id]}" for spec in playbook.inputs if spec.required]
    base = ["--db", str(tmp_path / "log.sqlite3"), "--playbooks", str(samples_root() / "playbooks")]
    base += ["--templates", str(samples_root() / "templates")]
    holders = [f"--assign={assignment}" for assignment in params["declare"]["assign"]]  # as declare's example does
    assert main([*base, "declare", playbook.id, "--drill", *required, *holders]) == 0, capsys.readouterr().err
    commands = example_commands()
    for name in FOLLOWED_IN_ORDER:
        words = ["INC-1" if word == "INC-7" else word for word in commands[name][1]]
        capsys.readouterr()
        assert main([*base, *words]) == 0, f"{' '.join(words)}: {capsys.readouterr().err}"
