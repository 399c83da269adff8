"""Dependencies point inwards: the core and the renderer never import the terminal layers (cli, output)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "crisisctl"
INNER = ("authoring", "delivery", "incident", "playbook", "render", "store")
OUTER = ("crisisctl.cli", "crisisctl.output")


def imports(path: Path) -> set[str]:
    """Every module a source file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_inner_module_imports_cli_or_output() -> None:
    crossings = {
        str(path.relative_to(PACKAGE)): sorted(
            module
            for module in imports(path)
            if any(module == outer or module.startswith(f"{outer}.") for outer in OUTER)
        )
        for package in INNER
        for path in sorted((PACKAGE / package).rglob("*.py"))
    }
    assert {path: modules for path, modules in crossings.items() if modules} == {}
