"""A playbook set from files and folders: discovery, set-level rules, lookup by id."""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from msgspec import Struct, field

from crisisctl.errors import CrisisError, InvalidFileError, Problem, UsageError
from crisisctl.playbook.files import SCENARIO_FOLDER, discover, is_roster_file, is_scenario_file
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.roster import validate_roster
from crisisctl.playbook.scenario import ValidatedScenario, validate_scenario
from crisisctl.playbook.validate import DeclaredNames, TemplateUse, ValidatedPlaybook, validate_playbook
from crisisctl.playbook.yamlsource import SLOW_LOADER_REASON, LoadedYaml, load_file
from crisisctl.suggest import did_you_mean

TemplateCheck = Callable[[Sequence[TemplateUse], DeclaredNames | None, Path], list[Problem]]
# Warnings about a valid playbook's notices as rendered from its templates (render/noticelint.py).
NoticeLint = Callable[[Playbook, Sequence[TemplateUse], Path], list[Problem]]


class CatalogReport(Struct):
    """Everything known about a set of playbook files after validation."""

    files: int = 0
    results: list[ValidatedPlaybook] = field(default_factory=list)
    scenarios: list[ValidatedScenario] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    suppressed: list[Problem] = field(default_factory=list)  # warnings silenced by ignore comments

    @property
    def playbooks(self) -> list[Playbook]:
        return [result.playbook for result in self.results if result.playbook is not None]

    @property
    def valid_count(self) -> int:
        return sum(result.valid for result in self.results)

    @property
    def valid_scenario_count(self) -> int:
        return sum(not scenario.problems for scenario in self.scenarios)

    @property
    def ok(self) -> bool:
        return not self.problems


def _display(path: Path) -> str:
    """The path as users read it in reports: relative to the working folder when inside it, else as given."""
    relative = os.path.relpath(path)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return str(path)
    return relative


# Below this many files one process is faster than starting workers.
PARALLEL_THRESHOLD = 64


def validate_files(
    files: Sequence[Path],
    today: dt.date,
    template_check: TemplateCheck | None = None,
    *,
    keep_models: bool = True,
    notice_lint: NoticeLint | None = None,
    playbook_dir: Path | None = None,
) -> CatalogReport:
    """Validate each file (in parallel for large sets), then the rules that span the set (unique ids).

    A scenario is checked against the playbook it names: one of this set, else one in the folder above its
    scenarios/ folder, else one in `playbook_dir` (the playbook folder, ./playbooks by default).

    With keep_models=False only the models that scenarios in the set rehearse are kept: a report of a
    thousand playbooks then holds their problems, not a thousand models (each is dropped once linted).
    Warnings that an ignore comment silences move to `suppressed`.
    """
    report = CatalogReport(files=len(files))
    first_by_id: dict[str, ValidatedPlaybook] = {}
    scenario_files = [path for path in files if is_scenario_file(path)]
    roster_files = [path for path in files if is_roster_file(path)]
    playbook_files = [path for path in files if not is_scenario_file(path) and not is_roster_file(path)]
    keep = None if keep_models else _rehearsed_ids(scenario_files)
    for path, result in _validate_each(playbook_files, _Job(today, keep, notice_lint)):
        if template_check is not None:
            _check_templates(result, path, template_check)
        if result.valid:
            result.warnings.extend(result.notice_warnings)
        result.warnings, result.suppressed = result.ignores.split(result.warnings)
        if result.playbook_id is not None:
            first = first_by_id.setdefault(result.playbook_id, result)
            if first is not result:
                line, column = result.id_position
                result.problems.append(
                    Problem(
                        result.file,
                        line,
                        column,
                        "id",
                        "duplicate-playbook-id",
                        f"playbook id `{result.playbook_id}` is also used by {first.file}",
                        "playbook ids must be unique across the set; rename one",
                    )
                )
                result.playbook = None
                result.valid = False
        result.problems = _capped(result.problems)
        report.results.append(result)
        report.problems.extend(result.problems)
        report.warnings.extend(result.warnings)
        report.suppressed.extend(result.suppressed)
    for path in scenario_files:
        scenario = validate_scenario(_load(path), _playbooks_for(path, report, today, playbook_dir))
        scenario.problems = _capped(scenario.problems)
        report.scenarios.append(scenario)
        report.problems.extend(scenario.problems)
        report.warnings.extend(scenario.warnings)
    declared_roles = {role for result in report.results if result.declared for role in result.declared.roles}
    for path in roster_files:
        roster = validate_roster(_load(path))
        report.problems.extend(_capped(roster.problems))
        if declared_roles:
            report.warnings.extend(roster.unknown_roles(declared_roles))
    if SLOW_LOADER_REASON is not None and files:
        report.warnings.append(
            Problem(
                "",
                1,
                1,
                "",
                "libyaml-missing",
                f"{SLOW_LOADER_REASON}; loading is several times slower",
                "install PyYAML 6.0.4 or later from a wheel, which bundles libyaml 0.2.6",
            )
        )
    return report


MAX_LISTED_PROBLEMS = 500  # per file: a generated file can hold tens of thousands, which help no one


def _capped(problems: list[Problem]) -> list[Problem]:
    """A file's problems in order, at most MAX_LISTED_PROBLEMS, then one saying how many more there are."""
    if len(problems) <= MAX_LISTED_PROBLEMS:
        return problems
    ordered = sorted(problems, key=Problem.sort_key)
    first_left_out = ordered[MAX_LISTED_PROBLEMS]
    return [
        *ordered[:MAX_LISTED_PROBLEMS],
        Problem(
            first_left_out.file,
            first_left_out.line,
            first_left_out.column,
            "",
            "too-many-problems",
            f"{len(problems) - MAX_LISTED_PROBLEMS:,} more problems in this file are not listed; the next is here",
            "fix the problems listed, then validate again",
        ),
    ]


def _playbooks_for(
    scenario: Path, report: CatalogReport, today: dt.date, playbook_dir: Path | None
) -> dict[str, Playbook]:
    """The playbooks a scenario may name: this run's, then those of the folder above its scenarios/ folder,
    then the playbook folder's. Folders are read only while the playbook it names is not found."""
    playbooks = {playbook.id: playbook for playbook in report.playbooks}
    named = _rehearsed_ids([scenario])
    folders = [scenario.parent.parent] if scenario.parent.name == SCENARIO_FOLDER else []
    folders += [playbook_dir] if playbook_dir is not None else []
    for folder in folders:
        if named <= playbooks.keys() or not folder.is_dir():
            continue
        for path in discover([folder]):
            result = validate_playbook(_load(path), today)
            if result.playbook is not None:
                playbooks.setdefault(result.playbook.id, result.playbook)
    return playbooks


def _rehearsed_ids(scenario_files: Sequence[Path]) -> frozenset[str]:
    """The playbook ids that scenario files name (their `playbook:` key)."""
    ids = set()
    for path in scenario_files:
        document = _load(path).document
        named = document.items.get("playbook") if document else None
        if isinstance(getattr(named, "value", None), str):
            ids.add(named.value)  # type: ignore[union-attr]
    return frozenset(ids)


def _check_templates(result: ValidatedPlaybook, path: Path, template_check: TemplateCheck) -> None:
    """The templates of a readable file; any problem makes the file invalid."""
    if not result.templates or _has_fatal(result):
        return
    result.problems.extend(template_check(result.templates, result.declared, path.parent))
    if result.problems:
        result.playbook = None
        result.valid = False


class _Job(Struct, frozen=True):
    """What each file of a set gets: the day reviews are judged by, the ids whose models are kept, the notice lint."""

    today: dt.date
    keep: frozenset[str] | None
    notice_lint: NoticeLint | None

    def validate(self, path: Path) -> ValidatedPlaybook:
        """The file's result; the notice lint runs here, beside the parse, as it needs the model that `keep`
        may then drop (a worker sends back a thousand problems lists, not a thousand models)."""
        result = validate_playbook(_load(path), self.today, None if self.notice_lint else self.keep)
        if self.notice_lint is not None and result.playbook is not None:
            try:
                result.notice_warnings = self.notice_lint(result.playbook, result.templates, path.parent)
            except CrisisError:  # a template name it may not resolve: the template check reports that, an error
                result.notice_warnings = []
            if self.keep is not None and result.playbook_id not in self.keep:
                result.playbook = None
        return result


def _validate_each(files: Sequence[Path], job: _Job) -> Iterator[tuple[Path, ValidatedPlaybook]]:
    """Each file with its result, in file order; a large set is spread over the CPUs with forked workers.

    Results stream back as workers finish them, so the caller's template checks (each template is
    compiled once, in this process) overlap with the workers' parsing and notice lint.
    """
    workers = min(_usable_cpus(), 8)
    if len(files) < PARALLEL_THRESHOLD or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for path in files:
            yield path, job.validate(path)
        return
    global _WORKER_JOB
    _WORKER_JOB = job
    context = multiprocessing.get_context("fork")
    # Frozen, what was loaded before the fork is skipped by the workers' collectors, which would
    # otherwise walk it again and again (and copy the pages they touch).
    gc.freeze()
    try:
        with context.Pool(workers) as pool:
            chunks = max(1, len(files) // (workers * 40))
            yield from zip(files, pool.imap(_validate_in_worker, files, chunksize=chunks), strict=True)
    finally:
        gc.unfreeze()


def _usable_cpus() -> int:
    """The CPUs this process may run on (a CI runner or `taskset` may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_WORKER_JOB: _Job | None = None


def _validate_in_worker(path: Path) -> ValidatedPlaybook:
    assert _WORKER_JOB is not None
    return _WORKER_JOB.validate(path)


def _load(path: Path) -> LoadedYaml:
    return load_file(path, _display(path))


def _has_fatal(result: ValidatedPlaybook) -> bool:
    return any(problem.rule in ("api-version", "kind") for problem in result.problems)


def find_playbook(
    folder: Path, playbook_id: str, today: dt.date, template_check: TemplateCheck | None = None
) -> Playbook:
    """The valid playbook with this id; exit 2 if unknown, exit 1 listing problems if invalid."""
    if not folder.is_dir():
        raise UsageError(f"playbook folder {folder} does not exist", "pass --playbooks DIR or set CRISISCTL_PLAYBOOKS")
    files = discover([folder])
    likely = [path for path in files if path.stem == playbook_id]
    for group in (likely, [path for path in files if path not in likely]):
        for path in group:
            result = validate_playbook(_load(path), today)
            if result.playbook_id != playbook_id:
                continue
            if template_check is not None and not result.problems:
                result.problems.extend(template_check(result.templates, result.declared, path.parent))
            if result.problems:
                raise InvalidFileError(
                    f"playbook `{playbook_id}` is not valid ({len(result.problems)} problem(s))", result.problems
                )
            assert result.playbook is not None
            return result.playbook
    known = [path.stem for path in files]
    raise UsageError(
        f"no playbook with id `{playbook_id}` in {folder}",
        did_you_mean(playbook_id, known) or "run `crisisctl playbook list` to see the ids",
    )
