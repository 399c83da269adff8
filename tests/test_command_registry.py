"""The command registry: the overview `crisisctl` prints is made from it, and commands stay apart."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import typer
from conftest import crisisctl, subprocess_env
from typer.core import TyperArgument, TyperGroup

from crisisctl.cli import app
from crisisctl.cli.commands import COMMANDS, GROUPS, load_command

REPO = Path(__file__).resolve().parent.parent


def registered_commands() -> list[str]:
    """The commands the typer app answers to, as its root group lists them."""
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    return root.list_commands(typer.Context(root))


def overview_entries(text: str) -> list[tuple[str, str]]:
    """(group, command) for each line of the overview that names a command, in order; every other line of its
    body must be a purpose put on a line of its own under a long usage."""
    body = text.split("\n\n")[1]
    entries: list[tuple[str, str]] = []
    group = ""
    for line in body.splitlines():
        label, rest = line[:12].strip(), line[13:]
        if not label and rest.startswith(" "):
            assert entries and rest.strip(), f"a line that names no command: {line!r}"
            continue
        group = label or group
        entries.append((group, rest.split()[0]))
    return entries


def test_crisisctl_without_arguments_lists_every_command_by_group_and_nothing_else() -> None:
    result = crisisctl()
    assert result.returncode == 0, result.stderr
    entries = overview_entries(result.stdout)
    names = [name for _, name in entries]
    assert sorted(names) == sorted(registered_commands())
    assert len(names) == len(set(names))
    assert [group for group in GROUPS if any(label == group for label, _ in entries)] == list(GROUPS)
    for group, name in entries:
        assert group == COMMANDS[name].group, name
    assert result.stdout.splitlines()[0].startswith("crisisctl: run customer-facing crises")
    assert "Start here:  crisisctl drill demo" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100


def test_the_overview_shows_each_commands_usage_and_purpose() -> None:
    out = crisisctl().stdout
    assert "comms list|draft|show|approve|send|reconcile\n" in out  # a long usage: the purpose on its own line
    assert "Draft, approve and send the playbook's notices" in out
    assert "declare PLAYBOOK                Declare an incident from a playbook\n" in out
    assert "show INCIDENT                   Show an incident\n" in out  # the summary's first clause


def derived_usage(command: typer.core.TyperCommand | TyperGroup) -> str:
    """What a command takes, read from the command itself: a group's subcommands, or the arguments."""
    if isinstance(command, TyperGroup):
        return "|".join(command.commands)
    words = []
    for param in command.params:
        if isinstance(param, TyperArgument):
            word = param.metavar or (param.name or "").upper()
            if not param.required and not word.startswith("["):
                word = f"[{word}]"
            if param.nargs == -1 and not word.endswith("..."):
                word += "..."
            words.append(word)
    return " ".join(words)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_registry_usage_is_the_commands_own(name: str) -> None:
    command = load_command(name, COMMANDS[name])
    assert isinstance(command, typer.core.TyperCommand | TyperGroup)
    assert COMMANDS[name].usage == derived_usage(command)


def test_the_overview_loads_no_command_module() -> None:
    """The overview is made from the registry alone: no command module, and nothing heavy, is imported."""
    script = (
        "import contextlib, io, sys\n"
        "from crisisctl.entry import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main([])\n"
        "print('\\n'.join(sys.modules))\n"
    )
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=subprocess_env()
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    command_modules = {spec.module for spec in COMMANDS.values()}
    assert not loaded & command_modules
    assert not loaded & {"jinja2", "sqlite_utils", "questionary", "rich", "yaml"}


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at the top or inside a function (`from a import b` counts `a.b` too, as b
    may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def defines_a_command(path: Path) -> bool:
    """Whether a module defines a command (or the app's callback): a function taking `ctx: typer.Context` and
    returning None. Helpers taking ctx return what they found (the AppContext, completions)."""
    return any(
        isinstance(node, ast.FunctionDef)
        and any(
            arg.arg == "ctx" and ast.unparse(arg.annotation or ast.Constant(None)) == "typer.Context"
            for arg in node.args.args
        )
        and node.returns is not None
        and ast.unparse(node.returns) == "None"
        for node in ast.parse(path.read_text(encoding="utf-8")).body
    )


def command_modules() -> set[str]:
    """The registry's modules and every other cli module that defines a command, wherever it is registered."""
    cli = REPO / "crisisctl" / "cli"
    defining = {
        "crisisctl.cli" + ("" if path.stem == "__init__" else f".{path.stem}")
        for path in cli.glob("*.py")
        if defines_a_command(path)
    }
    return defining | {spec.module for spec in COMMANDS.values()}


def module_path(module: str) -> Path:
    path = REPO / module.replace(".", "/")
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_no_command_module_imports_another() -> None:
    """What two commands share is a use case in the core or a helper module, never another command's module."""
    modules = command_modules()
    assert {"crisisctl.cli", "crisisctl.cli.playbook", "crisisctl.cli.incident"} <= modules
    crossings = {module: sorted(imported_modules(module_path(module)) & (modules - {module})) for module in modules}
    assert {module: others for module, others in crossings.items() if others} == {}
