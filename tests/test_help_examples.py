"""Help that can be followed: every repository file a command's help names exists, whole on the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from conftest import REPO, Workspace, crisisctl

from crisisctl.cli import app
from crisisctl.cli.reference import _commands

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
