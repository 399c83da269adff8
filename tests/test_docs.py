"""The docs tell the truth: the command reference is current, the quick start is two commands."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from crisisctl.cli import app
from crisisctl.cli.reference import _commands, render_reference

REPO = Path(__file__).resolve().parent.parent


def test_cli_reference_is_generated_from_the_code() -> None:
    current = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render_reference(), "run: python -m crisisctl.cli.reference > docs/cli.md"


def test_every_command_has_a_summary_and_an_example() -> None:
    root = typer.main.get_command(app)
    for path, command in _commands(root, ["crisisctl"]):
        assert command.help, f"{' '.join(path)} has no help"
        if not hasattr(command, "list_commands"):  # groups list their commands instead
            assert "Example: crisisctl " in command.help, f"{' '.join(path)} has no example"


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.S)
    assert block
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands() -> None:
    assert len(quick_start_commands()) == 2


def test_ci_runs_the_readme_test_command() -> None:
    test_command = quick_start_commands()[1]
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert test_command in ci_lines


def test_the_registry_summaries_are_the_commands_own() -> None:
    """`crisisctl --help` lists summaries without importing the commands; they must not drift."""
    from crisisctl.cli.commands import COMMANDS, load_command

    for name, spec in COMMANDS.items():
        command = load_command(name, spec)
        assert command.help, name
        assert command.help.strip().splitlines()[0] == spec.summary, name
