"""What a command loads before it does its work: start-up is most of a read command's time (docs/performance.md)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, Workspace, crisisctl, declare, unmeasured_env


def test_no_module_of_crisisctl_uses_dataclasses() -> None:
    """Records are msgspec Structs: a frozen dataclass compiles its methods at import, about 0.35 ms a class."""
    users = []
    for path in sorted((REPO / "crisisctl").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if "dataclasses" in names:
                users.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert users == []


@pytest.mark.parametrize(("command", "shows"), [("incidents", "INC-1"), ("timeline", "declared"), ("next", "assess")])
def test_reading_an_incident_loads_neither_hashlib_nor_rich_in_a_pipe(
    workspace: Workspace, command: str, shows: str
) -> None:
    """Reads trust the chain, so they never hash it (hashlib loads OpenSSL: about 2 ms); in a pipe they print
    plain columns, and ASCII text needs no width tables, so rich stays unloaded too."""
    incident = declare(workspace)
    args = [*workspace.args(), command] + ([] if command == "incidents" else [incident])
    probe = (
        "import sys\n"
        "from crisisctl.entry import main\n"
        f"code = main({args!r})\n"
        "print(sorted({'hashlib', 'rich', 'dataclasses'} & set(sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=unmeasured_env()
    )
    assert result.returncode == 0, result.stderr
    assert shows in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_a_read_command_in_its_own_process_runs_without_a_collection_and_freezes_what_it_made(
    workspace: Workspace,
) -> None:
    """Start-up makes some 30,000 objects and few cycles: the cyclic collector is held back while a command runs
    (it walked them ~45 times, about 4 ms), and at exit what is left is frozen, so that the interpreter's last
    collections skip it (about 13 ms)."""
    incident = declare(workspace)
    probe = (
        "import gc, sys\n"
        f"sys.argv = ['crisisctl', *{[*workspace.args(), 'show', incident]!r}]\n"
        "from crisisctl.entry import main\n"
        "collections = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and collections.append(info['generation']))\n"
        "code = main()\n"
        "print(collections, gc.get_freeze_count() > 0, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=unmeasured_env()
    )
    assert result.returncode == 0, result.stderr
    assert incident in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[] True"


def test_running_a_command_in_a_callers_process_leaves_its_collector_alone(workspace: Workspace) -> None:
    """main(argv) is how tests and embedding scripts run a command: their process goes on, so nothing is frozen
    and the thresholds stay theirs."""
    import gc

    incident = declare(workspace)
    thresholds = gc.get_threshold()
    code, out, _ = workspace.run("incidents")
    assert code == 0 and incident in out
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0


def test_a_command_closes_the_sqlite_log_it_wrote_before_it_ends(workspace: Workspace) -> None:
    """What a command made is frozen at exit, so no finalizer closes the log for it: the command closes it
    itself, and SQLite folds its write-ahead file into the database file (a copy of the one file holds every
    event). Both commands run in processes of their own, as a user's do."""
    declared = crisisctl(*workspace.args(), "declare", "base", "--input", "affected_customers=1200", "--json")
    assert declared.returncode == 0, declared.stderr
    incident = json.loads(declared.stdout)["id"]
    noted = crisisctl(*workspace.args(), "note", incident, "closed behind us")
    assert noted.returncode == 0, noted.stderr
    log = Path(workspace.target)
    assert log.is_file()
    assert sorted(path.name for path in log.parent.iterdir()) == [log.name]
