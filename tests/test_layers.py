"""Dependencies point inwards: the core and the renderer never import the terminal layers (cli, output)."""

from __future__ import annotations

from pathlib import Path

from test_command_registry import imported_modules

PACKAGE = Path(__file__).resolve().parent.parent / "crisisctl"
INNER = ("authoring", "delivery", "incident", "playbook", "render", "store")
OUTER = ("crisisctl.cli", "crisisctl.output")


def test_no_inner_module_imports_cli_or_output() -> None:
    crossings = {
        str(path.relative_to(PACKAGE)): sorted(
            module
            for module in imported_modules(path)
            if any(module == outer or module.startswith(f"{outer}.") for outer in OUTER)
        )
        for package in INNER
        for path in sorted((PACKAGE / package).rglob("*.py"))
    }
    assert {path: modules for path, modules in crossings.items() if modules} == {}
