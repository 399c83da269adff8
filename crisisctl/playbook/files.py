"""Finding playbook files, and telling which file now holds a playbook id, without parsing YAML."""

from __future__ import annotations

import re
from codecs import BOM_UTF8
from collections.abc import Iterable
from pathlib import Path

from crisisctl.errors import UsageError

PLAYBOOK_SUFFIXES = (".yaml", ".yml")
SCENARIO_FOLDER = "scenarios"
ROSTER_FILE = "people.yaml"


def discover(paths: Iterable[Path], *, all_kinds: bool = False) -> list[Path]:
    """Files named directly, or the playbooks found at the top of the named folders; with `all_kinds`, also
    the folders' roster (people.yaml) and scenarios/ folder, for validation."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(child for child in yaml_files(path) if all_kinds or not is_roster_file(child))
            if all_kinds and (path / SCENARIO_FOLDER).is_dir():
                found.extend(yaml_files(path / SCENARIO_FOLDER))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path} does not exist", "name a playbook file or folder (default: ./playbooks)")
    return found


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files of a folder; hidden ones (.pre-commit-config.yaml, .yamllint.yaml) are other tools' settings."""
    return sorted(
        child
        for child in folder.iterdir()
        if child.suffix in PLAYBOOK_SUFFIXES and not child.name.startswith(".") and child.is_file()
    )


def is_scenario_file(path: Path) -> bool:
    """A drill scenario by its `kind: Scenario`, wherever it is kept; a file without a kind line, by its
    scenarios/ folder."""
    kind = declared_kind(path)
    return kind == "Scenario" if kind is not None else path.parent.name == SCENARIO_FOLDER


# The top-level `kind:` line; a text search, not a YAML parse, so that sorting files costs no second parse.
_KIND_LINE = re.compile(r"^kind:[ \t]*([\"']?)([A-Za-z]+)\1[ \t]*(?:#.*)?$", re.MULTILINE)


def declared_kind(path: Path) -> str | None:
    """The kind a YAML file declares (Playbook, Scenario, Roster), or None if it has no such line or cannot be
    read (its validation then says why)."""
    try:
        found = _KIND_LINE.search(path.read_bytes().decode("utf-8", errors="replace"))
    except OSError:
        return None
    return found.group(2) if found else None


def is_roster_file(path: Path) -> bool:
    return path.name == ROSTER_FILE and not is_scenario_file(path)


def current_text(folder: Path, playbook_id: str) -> str | None:
    """The text of the file that now holds this playbook id, read as a playbook is (UTF-8, without a BOM),
    or None if none does.

    A text search for the top-level `id:` line, not a YAML parse: `show` asks this on every run and compares
    the text with the one the incident pinned, without hashing it.
    """
    if not folder.is_dir():
        return None
    id_line = re.compile(rf"^id:[ \t]*([\"']?){re.escape(playbook_id)}\1[ \t]*(#.*)?$", re.MULTILINE)
    files = discover([folder])
    ordered = [path for path in files if path.stem == playbook_id] + [
        path for path in files if path.stem != playbook_id
    ]
    for path in ordered:
        # An undecodable byte becomes a lone surrogate, which no pinned (valid UTF-8) text holds: a change.
        text = path.read_bytes().removeprefix(BOM_UTF8).decode("utf-8", errors="surrogateescape")
        if id_line.search(text):
            return text
    return None
