"""Where the sample playbooks and templates are: inside the installed wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

from crisisctl.errors import RefusedError

SAMPLE_FOLDERS = ("playbooks", "templates")
# pyproject.toml's [tool.hatch.build.targets.wheel.force-include] copies the repository's
# playbooks/ and templates/ here, so a wheel carries the one copy the repository keeps.
WHEEL_FOLDER = "samples"


def samples_root(package_dir: Path | None = None) -> Path:
    """The folder holding the sample `playbooks/` (with `scenarios/`) and `templates/`.

    An installed wheel has them at `crisisctl/samples/`; an editable install or a
    source checkout has them at the top of the repository, next to the package.
    """
    package = package_dir if package_dir is not None else Path(__file__).resolve().parent
    candidates = (package / WHEEL_FOLDER, package.parent)
    for candidate in candidates:
        if all((candidate / name).is_dir() for name in SAMPLE_FOLDERS):
            return candidate
    raise RefusedError(
        f"the sample playbooks are not installed (looked in {candidates[0]} and {candidates[1]})",
        "reinstall crisisctl from its wheel, or run it from a full source checkout",
    )
