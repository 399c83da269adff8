"""`crisisctl init`: a ready playbook repository from the bundled samples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crisisctl.cli.context import app_context
from crisisctl.cli.params import JsonFlag


def init_command(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to set up the repository; created if missing.")
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Set up a playbook repository: samples, schemas, pre-commit hook, CI workflow, editor settings.

    Writes the bundled playbooks (with their drill scenarios) and templates, the
    JSON Schemas with editor settings pointing at them, a pre-commit hook and a
    GitHub Actions workflow that run `crisisctl playbook validate`, and a README.
    Refuses (exit 1) to overwrite existing files unless --force; it then writes nothing.

    Example: crisisctl init crisis-playbooks
    """
    from crisisctl import __version__
    from crisisctl.authoring.repository import WORKFLOW, init_repository
    from crisisctl.authoring.source import PLACEHOLDER_HOST, installed_source
    from crisisctl.output.plain import print_json
    from crisisctl.safetext import inert

    context = app_context(ctx)
    source = installed_source(__version__)
    written = init_repository(directory, force=force, source=source)
    files = [path.relative_to(directory).as_posix() for path in written]
    if as_json:
        print_json({"directory": str(directory), "files": files, "ci_install_placeholder": not source.pinned})
        return
    shown = inert(str(directory), keep_newlines=False)
    context.out.print(f"playbook repository ready in {shown}: {len(files)} files")
    if not source.pinned:
        context.out.print(
            f"edit before the first push: {PLACEHOLDER_HOST} in {WORKFLOW} (and README.md) is a placeholder "
            "for where crisisctl's repository is (crisisctl's docs/ci.md)"
        )
    context.out.print("next:")
    if directory != Path("."):
        context.out.print(f"  cd {shown}")
    context.out.print("  crisisctl playbook validate")
    context.out.print("  git init && pre-commit install    # validate before every commit")
