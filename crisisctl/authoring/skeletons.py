"""The scaffolds shipped in the package (crisisctl/scaffolds/): their data, and their Jinja skeletons rendered."""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from crisisctl.errors import RefusedError

if TYPE_CHECKING:
    from crisisctl.render.environment import CrisisSandbox

SKELETON_SUFFIX = ".j2"


def scaffolds_root() -> Path:
    """The package's scaffold folder, in an installed wheel or a checkout."""
    root = files("crisisctl").joinpath("scaffolds")
    if not isinstance(root, Path):  # a zip import: Jinja's loader and `init` read real files
        raise RefusedError(
            f"crisisctl's scaffolds are not files on disk ({root})", "reinstall crisisctl from its wheel with pip"
        )
    return root


def load_data(name: str) -> Any:
    """One of the scaffold data files, as YAML data."""
    return yaml.safe_load((scaffolds_root() / name).read_text(encoding="utf-8"))


def render(name: str, context: dict[str, Any]) -> str:
    """A skeleton rendered in the project's sandbox, with the `[[ ]]` placeholders of SCAFFOLD_SYNTAX."""
    return _environment().get_template(name).render(context)


@functools.cache
def _environment() -> CrisisSandbox:
    from crisisctl.authoring.yamlout import block_yaml
    from crisisctl.render.environment import SCAFFOLD_SYNTAX, make_environment

    environment = make_environment([scaffolds_root()], syntax=SCAFFOLD_SYNTAX)
    environment.filters["yaml"] = block_yaml
    return environment
