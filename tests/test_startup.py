"""What a command loads before it does its work: start-up is most of a read command's time (docs/performance.md)."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import REPO, Workspace, declare, subprocess_env


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
    env = subprocess_env()
    env.pop("COVERAGE_PROCESS_START", None)  # coverage, started in every child under CI, loads both itself
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert shows in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"
