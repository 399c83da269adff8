"""`crisisctl init`: a ready playbook repository: the samples, the schemas, and the files of scaffolds/repository/."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from crisisctl import __version__
from crisisctl.authoring.files import NewFile, write_new_files
from crisisctl.authoring.skeletons import SKELETON_SUFFIX, render, scaffolds_root
from crisisctl.authoring.source import CrisisctlSource, installed_source
from crisisctl.playbook.format import playbook_json_schema
from crisisctl.playbook.scenario import scenario_json_schema
from crisisctl.samples import SAMPLE_FOLDERS, samples_root

PLAYBOOK_SCHEMA = PurePosixPath("schema/playbook-v1.json")
SCENARIO_SCHEMA = PurePosixPath("schema/scenario-v1.json")
SCHEMA_COMMENT = "# yaml-language-server: $schema="
REPOSITORY_FOLDER = "repository"
WORKFLOW = ".github/workflows/playbooks.yml"  # the CI workflow, from scaffolds/repository/dot_github/
DOT_PREFIX = "dot_"  # `dot_github/` in the package is `.github/` in the repository: no hidden files in the wheel


def init_repository(
    target: Path, *, force: bool = False, samples: Path | None = None, source: CrisisctlSource | None = None
) -> list[Path]:
    """Write a ready playbook repository into `target`: samples, schemas, hooks, CI and editor settings; CI and the
    README install crisisctl from `source` (default: where the running crisisctl was installed from)."""
    files = repository_files(
        samples if samples is not None else samples_root(),
        source if source is not None else installed_source(__version__),
    )
    return write_new_files([NewFile(target / str(relative), text) for relative, text in files], force=force)


def repository_files(samples: Path, source: CrisisctlSource) -> list[tuple[PurePosixPath, str]]:
    """Every file of a new playbook repository, by path relative to its top."""
    sample_files = _sample_files(samples)
    schemas = [(PLAYBOOK_SCHEMA, _json(playbook_json_schema())), (SCENARIO_SCHEMA, _json(scenario_json_schema()))]
    return [*sample_files, *schemas, *_scaffold_files(sample_files, source)]


def _scaffold_files(
    sample_files: Sequence[tuple[PurePosixPath, str]], source: CrisisctlSource
) -> list[tuple[PurePosixPath, str]]:
    """scaffolds/repository/ as it is, its `.j2` skeletons rendered (README, CI workflow)."""
    playbook, scenario = _drill_example(sample_files) or ("PLAYBOOK", "playbooks/scenarios/SCENARIO.yaml")
    context = {
        "version": __version__,
        "requirement": source.requirement,
        "pinned": source.pinned,
        "playbook": playbook,
        "scenario": scenario,
    }
    top = scaffolds_root() / REPOSITORY_FOLDER
    found: list[tuple[PurePosixPath, str]] = []
    for path in sorted(path for path in top.rglob("*") if path.is_file()):
        relative = PurePosixPath(path.relative_to(top).as_posix())
        written = PurePosixPath(*(_undotted(part) for part in relative.parts))
        if relative.suffix == SKELETON_SUFFIX:
            found.append((written.with_suffix(""), render(f"{REPOSITORY_FOLDER}/{relative}", context)))
        else:
            found.append((written, path.read_text(encoding="utf-8")))
    return found


def _undotted(part: str) -> str:
    return f".{part.removeprefix(DOT_PREFIX)}" if part.startswith(DOT_PREFIX) else part


def _sample_files(samples: Path) -> list[tuple[PurePosixPath, str]]:
    """The sample playbooks, scenarios and templates, with their schema comments aimed at schema/."""
    found: list[tuple[PurePosixPath, str]] = []
    for folder in SAMPLE_FOLDERS:
        for path in sorted((samples / folder).rglob("*")):
            relative = PurePosixPath(path.relative_to(samples).as_posix())
            if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                continue
            text = path.read_text(encoding="utf-8")
            if folder == "playbooks" and path.suffix in (".yaml", ".yml"):
                schema = SCENARIO_SCHEMA if relative.parent.name == "scenarios" else PLAYBOOK_SCHEMA
                text = with_schema_comment(text, posixpath.relpath(schema, relative.parent))
            found.append((relative, text))
    return found


def with_schema_comment(text: str, schema: str) -> str:
    """The YAML text with its first-line schema comment (for the YAML language server) aimed at `schema`."""
    comment = f"{SCHEMA_COMMENT}{schema}"
    first, newline, rest = text.partition("\n")
    if first.startswith(SCHEMA_COMMENT):
        return f"{comment}{newline}{rest}"
    return f"{comment}\n{text}"


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _drill_example(sample_files: Sequence[tuple[PurePosixPath, str]]) -> tuple[str, str] | None:
    """A (playbook id, scenario path) pair from the samples for the README, preferring data-leak."""
    from crisisctl.playbook.yamlsource import YScalar, load_text

    pairs: list[tuple[str, str]] = []
    for relative, text in sample_files:
        if relative.parent != PurePosixPath("playbooks/scenarios"):
            continue
        document = load_text(text, str(relative)).document
        named = document.items.get("playbook") if document is not None else None
        if isinstance(named, YScalar) and isinstance(named.value, str):
            pairs.append((named.value, str(relative)))
    preferred = [pair for pair in pairs if pair[0] == "data-leak"] or pairs
    return preferred[0] if preferred else None
