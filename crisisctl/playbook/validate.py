"""Every rule of format v1 for one playbook file: all problems in one run, then a frozen model."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from crisisctl.errors import Problem
from crisisctl.playbook.build import build_playbook
from crisisctl.playbook.durations import parse_duration
from crisisctl.playbook.fields import Checker, surprise_hint
from crisisctl.playbook.format import PLAYBOOK
from crisisctl.playbook.future import future_date_warnings
from crisisctl.playbook.ignores import Ignores, read_ignores
from crisisctl.playbook.inputtypes import comparison_misfit, fits_input_type
from crisisctl.playbook.locate import DocumentLocator
from crisisctl.playbook.model import (
    DEFAULT_SEVERITIES,
    Playbook,
)
from crisisctl.playbook.timing import timing_findings
from crisisctl.playbook.vocabulary import BASELINE_SUFFIX, INPUT_TYPES, LOCALE_PATTERN, OUTCOME_METRICS
from crisisctl.playbook.yamlsource import (
    YAML11_WORDS,
    FieldPath,
    LoadedYaml,
    YMap,
    YNode,
    YScalar,
    YSeq,
    join_path,
    plain_value,
    render_path,
)
from crisisctl.suggest import did_you_mean, listing

_LIST_SECTIONS = ("severities", "triggers", "inputs", "roles", "steps", "communications")


class TemplateUse(Struct, frozen=True):
    """A template named by a playbook, with the place that names it."""

    name: str
    file: str
    line: int
    column: int
    path: str
    purpose: str  # "notice" | "report"
    locales: tuple[str, ...] = ()


class DeclaredNames(Struct, frozen=True):
    """The input and role ids a playbook declares: what its templates may refer to."""

    inputs: frozenset[str]
    roles: frozenset[str]


class ValidatedPlaybook(Struct):
    """One file's outcome: the model when it is valid, every problem otherwise."""

    file: str
    playbook: Playbook | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    templates: list[TemplateUse] = field(default_factory=list)
    playbook_id: str | None = None
    id_position: tuple[int, int] = (1, 1)
    valid: bool = False  # kept even when the model itself is dropped to save memory
    declared: DeclaredNames | None = None  # set when the file is valid, model or not
    ignores: Ignores = field(default_factory=Ignores)
    suppressed: list[Problem] = field(default_factory=list)  # warnings an ignore comment silenced
    # The notice lint's warnings, worked out beside the parse (in a worker for a large set); reported only when
    # the templates hold no error.
    notice_warnings: list[Problem] = field(default_factory=list)


def validate_playbook(loaded: LoadedYaml, today: dt.date, keep: frozenset[str] | None = None) -> ValidatedPlaybook:
    """Check structure, then references and types, then build the model if nothing is wrong.

    `keep`, when given, names the only ids whose model is kept; the others report validity only.
    """
    result = ValidatedPlaybook(loaded.file, None, list(loaded.problems))
    document = loaded.document
    if document is None:
        return result
    checker = Checker(loaded.file)
    if not _check_header(document, checker):
        result.problems.extend(checker.problems)
        return result
    PLAYBOOK.check(document, "", checker)
    id_node = document.items.get("id")
    if isinstance(id_node, YScalar) and isinstance(id_node.value, str):
        result.playbook_id = id_node.value
        result.id_position = (id_node.line, id_node.column)
    _References(document, checker).check_all()
    result.problems.extend(checker.problems)
    result.ignores = read_ignores(loaded.text, loaded.file)
    result.warnings.extend(result.ignores.problems)
    if loaded.yaml11_words:
        result.warnings.extend(yaml11_boolean_warnings(document, loaded.file, result.problems))
    result.warnings.extend(_review_warnings(document, loaded.file, today))
    result.warnings.extend(future_date_warnings(document, loaded.file, today))
    result.warnings.extend(_outcome_input_warnings(document, loaded.file))
    result.templates.extend(_template_uses(document, loaded.file))
    if not result.problems:
        result.valid = True
        result.declared = DeclaredNames(
            frozenset(_text(item.items.get("id")) or "" for _, item in _entries(document, "inputs")),
            frozenset(_text(item.items.get("id")) or "" for _, item in _entries(document, "roles")),
        )
        digest = hashlib.sha256(loaded.text.encode("utf-8")).hexdigest()
        playbook = build_playbook(plain_value(document), loaded.file, digest, loaded.text)
        result.warnings.extend(timing_findings(playbook, DocumentLocator(document)))
        if keep is None or result.playbook_id in keep:
            result.playbook = playbook
    result.problems.sort(key=Problem.sort_key)
    return result


def _check_header(document: YMap, checker: Checker) -> bool:
    """apiVersion and kind come first: a file of another format gets one clear message."""
    api = document.items.get("apiVersion")
    kind = document.items.get("kind")
    if api is None or kind is None:
        missing = "apiVersion" if api is None else "kind"
        checker.report(
            document,
            missing,
            "missing-key",
            f"playbook is missing the required key `{missing}`",
            "start the file with `apiVersion: crisisctl/v1` and `kind: Playbook`",
        )
        return False
    if not isinstance(api, YScalar) or api.value != "crisisctl/v1":
        found = api.raw if isinstance(api, YScalar) else "a structure"
        checker.report(
            api,
            "apiVersion",
            "api-version",
            f"apiVersion `{found}` is not supported",
            "this crisisctl reads `apiVersion: crisisctl/v1`",
        )
        return False
    if not isinstance(kind, YScalar) or kind.value != "Playbook":
        found = kind.raw if isinstance(kind, YScalar) else "a structure"
        checker.report(
            kind,
            "kind",
            "kind",
            f"kind `{found}` is not a playbook",
            _kind_hint(found),
        )
        return False
    return True


def _kind_hint(found: str) -> str:
    """A scenario is known by `kind: Scenario` wherever it is kept, so the hint names the kind, not a folder."""
    if found.lower() in ("playbook", "scenario"):
        return f"kinds are case-sensitive: write `kind: {found.capitalize()}`"
    return "write `kind: Playbook`, or `kind: Scenario` for a drill scenario (kept in any folder)"


def _entries(document: YMap, section: str) -> Iterator[tuple[int, YMap]]:
    node = document.items.get(section)
    if isinstance(node, YSeq):
        for index, item in enumerate(node.items):
            if isinstance(item, YMap):
                yield index, item


def _text(node: YNode | None) -> str | None:
    return node.value if isinstance(node, YScalar) and isinstance(node.value, str) else None


class _References:
    """Cross-references within a playbook: unique ids, known names, no dependency cycles."""

    def __init__(self, document: YMap, checker: Checker) -> None:
        self.document = document
        self.checker = checker
        # Where the format's checks already found a value's shape wrong, for lookups (thousands of conditions).
        self.misshapen = {(problem.line, problem.column) for problem in checker.problems}
        # A section that is not a list has no usable ids (None): references to it are not checked,
        # since its own type error already says what is wrong.
        self.ids: dict[str, list[str] | None] = {
            section: self._unique_ids(section) if isinstance(document.items.get(section, YSeq(0, 0)), YSeq) else None
            for section in _LIST_SECTIONS
        }
        if "severities" not in document.items:
            self.ids["severities"] = [severity.id for severity in DEFAULT_SEVERITIES]
        # For lookups: a playbook may hold thousands of references to check.
        self.id_sets = {section: frozenset(ids or ()) for section, ids in self.ids.items()}
        self.input_types = {
            _text(item.items.get("id")) or "": _text(item.items.get("type")) or ""
            for _, item in _entries(document, "inputs")
        }

    def check_all(self) -> None:
        for index, trigger in _entries(self.document, "triggers"):
            self._reference(trigger, f"triggers[{index}]", "severity", "severities", "severity")
        for index, step in _entries(self.document, "steps"):
            path = f"steps[{index}]"
            self._reference(step, path, "role", "roles", "role")
            self._reference(step, path, "communication", "communications", "communication")
            self._reference_list(step, path, "depends_on", "steps", "step")
            self._condition_inputs(step.items.get("when"), join_path(path, "when"))
        for index, comm in _entries(self.document, "communications"):
            self._reference_list(comm, f"communications[{index}]", "approvals", "roles", "role")
            if "until" in comm.items and "every" not in comm.items:
                self.checker.report(
                    comm.items["until"],
                    f"communications[{index}].until",
                    "until-without-every",
                    "`until` says how long updates are due, but this communication has no `every`",
                    "add `every: 2h` (the rhythm of updates), or remove `until`",
                )
        for index, item in _entries(self.document, "inputs"):
            self._input_values(item, f"inputs[{index}]")
        self._follow_up_dependencies()
        self._cycles()

    def _follow_up_dependencies(self) -> None:
        """A step of the response cannot wait for follow-up work, which only starts once the incident is resolved."""
        steps = list(_entries(self.document, "steps"))
        follow_ups = {_text(step.items.get("id")) for _, step in steps if _text(step.items.get("after")) == "resolved"}
        for index, step in steps:
            depends_on = step.items.get("depends_on")
            if _text(step.items.get("after")) == "resolved" or not isinstance(depends_on, YSeq):
                continue
            for position, entry in enumerate(depends_on.items):
                if _text(entry) in follow_ups:
                    self.checker.report(
                        entry,
                        f"steps[{index}].depends_on[{position}]",
                        "depends-on-follow-up",
                        f"step `{_text(step.items.get('id'))}` waits for `{_text(entry)}`, follow-up work that only"
                        " starts once the incident is resolved",
                        "make this step `after: resolved` too, or remove the dependency",
                    )

    def _unique_ids(self, section: str) -> list[str]:
        seen: dict[str, YScalar] = {}
        for index, item in _entries(self.document, section):
            node = item.items.get("id")
            value = _text(node)
            if value is None:
                continue
            assert isinstance(node, YScalar)
            if value in seen:
                self.checker.report(
                    node,
                    f"{section}[{index}].id",
                    "duplicate-id",
                    f"id `{value}` is used twice in {section} (first at line {seen[value].line})",
                    "give every entry its own id",
                )
            else:
                seen[value] = node
        return list(seen)

    def _reference(self, item: YMap, path: str, key: str, section: str, noun: str) -> None:
        node = item.items.get(key)
        self._known(node, join_path(path, key), section, noun)

    def _reference_list(self, item: YMap, path: str, key: str, section: str, noun: str) -> None:
        node = item.items.get(key)
        if isinstance(node, YSeq):
            for index, entry in enumerate(node.items):
                self._known(entry, f"{join_path(path, key)}[{index}]", section, noun)

    def _known(self, node: YNode | None, path: str, section: str, noun: str) -> None:
        value = _text(node)
        known = self.ids[section]
        if value is None or known is None or value in self.id_sets[section]:
            return
        hint = did_you_mean(value, known) or (
            f"declared {section}: " + listing(known) if known else f"declare it under `{section}`"
        )
        self.checker.report(node, path, "unknown-ref", f"unknown {noun} `{value}`", hint)

    def _condition_inputs(self, node: YNode | None, path: str) -> None:
        if not isinstance(node, YMap):
            return
        for group in ("all", "any"):
            inner = node.items.get(group)
            if isinstance(inner, YSeq):
                for index, item in enumerate(inner.items):
                    self._condition_inputs(item, f"{join_path(path, group)}[{index}]")
        if "not" in node.items:
            self._condition_inputs(node.items["not"], join_path(path, "not"))
        if "input" in node.items:
            self._known(node.items["input"], join_path(path, "input"), "inputs", "input")
            self._comparison(node, path)

    def _comparison(self, leaf: YMap, path: str) -> None:
        """A step condition's value must fit its input's declared type, or the comparison never holds."""
        input_type = self.input_types.get(_text(leaf.items["input"]) or "")
        op, value = _text(leaf.items.get("op")), leaf.items.get("value")
        if input_type not in INPUT_TYPES or op is None or value is None:
            return
        if (value.line, value.column) in self.misshapen:
            return  # the value's shape is wrong already
        misfit = comparison_misfit(op, input_type, plain_value(value))
        if misfit is None:
            return
        surprise = surprise_hint(value) if isinstance(value, YScalar) else None
        if input_type == "date" and isinstance(value, YScalar) and isinstance(value.value, str):
            hint = "write the date without quotes (value: 2026-01-31): YAML reads it as a date, as the input holds"
        else:
            hint = surprise or f"compare with a value of type {input_type}, or with the operator that fits it"
        self.checker.report(
            value, join_path(path, "value"), "condition-type", f"{misfit}: the condition never holds", hint
        )

    def _input_values(self, item: YMap, path: str) -> None:
        """Choices and defaults must fit the declared type; a list's items must be among the choices."""
        type_name = _text(item.items.get("type"))
        if type_name is None:
            return
        element_type = "string" if type_name == "list" else type_name
        choices = item.items.get("choices")
        allowed: list[Any] | None = None
        if isinstance(choices, YSeq):
            allowed = [plain_value(choice) for choice in choices.items]
            for index, choice in enumerate(choices.items):
                self._fits(choice, element_type, f"{join_path(path, 'choices')}[{index}]", "a choice")
        default = item.items.get("default")
        if default is None:
            return
        default_path = join_path(path, "default")
        if not self._fits(default, type_name, default_path, "`default`"):
            return
        members: list[tuple[int | None, YNode]] = (
            list(enumerate(default.items)) if isinstance(default, YSeq) else [(None, default)]
        )
        for position, member in members:
            member_path = default_path if position is None else f"{default_path}[{position}]"
            if position is not None and not self._fits(member, element_type, member_path, "an item of `default`"):
                continue
            if allowed is not None and isinstance(member, YScalar) and member.value not in allowed:
                self.checker.report(
                    member,
                    member_path,
                    "input-default",
                    f"`{member.raw}` is not one of the choices",
                    "pick a listed choice",
                )

    def _fits(self, node: YNode, type_name: str, path: str, what: str) -> bool:
        if fits_input_type(plain_value(node), type_name):
            return True
        if isinstance(node, YScalar) and node.value is None:
            self.checker.report(
                node,
                path,
                "input-default",
                f"{what} is empty (null)",
                f"write a value that fits the type {type_name}, or remove it",
            )
            return False
        surprise = text_surprise(node, type_name)
        shown = node.raw if isinstance(node, YScalar) else plain_value(node)
        self.checker.report(
            node,
            path,
            "yaml11-surprise" if surprise else "input-default",
            f"`{shown}` does not fit the input type {type_name}",
            surprise or "make the value match the declared type",
        )
        return False

    def _cycles(self) -> None:
        graph: _DependencyGraph = {}
        for index, step in _entries(self.document, "steps"):
            step_id = _text(step.items.get("id"))
            depends = step.items.get("depends_on")
            if step_id is None:
                continue
            graph[step_id] = (
                [
                    (_text(node) or "", node, f"steps[{index}].depends_on[{position}]")
                    for position, node in enumerate(depends.items)
                ]
                if isinstance(depends, YSeq)
                else []
            )
        for cycle, node, path in _DependencyCycles(graph).find():
            self.checker.report(
                node,
                path,
                "dependency-cycle",
                "steps depend on each other in a cycle: " + " -> ".join(cycle),
                "remove one of these depends_on entries",
            )


_DependencyGraph = dict[str, list[tuple[str, YNode, str]]]  # step id -> (step it depends on, its node, its path)


class _DependencyCycles:
    """Each cycle among steps once, with the depends_on entry that closes it, by a depth-first walk.

    The walk keeps its own stack: a chain of thousands of steps must not meet Python's recursion
    limit. And it is a class, not a recursive closure, which would be a reference cycle keeping
    the whole document alive until the garbage collector runs.
    """

    def __init__(self, graph: _DependencyGraph) -> None:
        self.graph = graph
        self.state: dict[str, int] = {}  # 1 while on the walk's trail, 2 when done
        self.reported: set[frozenset[str]] = set()
        self.found: list[tuple[list[str], YNode, str]] = []

    def find(self) -> list[tuple[list[str], YNode, str]]:
        for step_id in self.graph:
            if step_id not in self.state:
                self._walk(step_id)
        return self.found

    def _walk(self, start: str) -> None:
        self.state[start] = 1
        trail = [start]
        pending = [iter(self.graph[start])]  # the dependencies still to follow, per step on the trail
        while pending:
            for target, node, path in pending[-1]:
                if target not in self.graph:
                    continue
                if self.state.get(target) == 1:
                    cycle = [*trail[trail.index(target) :], target]
                    if frozenset(cycle) not in self.reported:
                        self.reported.add(frozenset(cycle))
                        self.found.append((cycle, node, path))
                elif target not in self.state:
                    self.state[target] = 1
                    trail.append(target)
                    pending.append(iter(self.graph[target]))
                    break
            else:
                self.state[trail.pop()] = 2
                pending.pop()


def text_surprise(node: YNode, type_name: str) -> str | None:
    """For a value of a text input (a default, a scenario's input) that YAML 1.1 read as something else (`no` as
    false): the hint that says so and to quote it."""
    return surprise_hint(node) if isinstance(node, YScalar) and type_name == "string" else None


def yaml11_boolean_warnings(document: YMap, file: str, errors: list[Problem]) -> list[Problem]:
    """Unquoted yes/no/on/off/y/n values: YAML 1.1 readers (crisisctl's, for yes/no/on/off) take them for
    booleans, YAML 1.2 readers (editors checking the JSON Schema) for text. A value an error already reports is
    left to that error. Values under your own keys (`x-...`), which crisisctl ignores, are left alone."""
    reported = {(error.line, error.column) for error in errors}
    warnings = []
    # Paths as (parent, key) pairs, written out only for a value reported: most documents have none.
    pending: list[tuple[YNode, FieldPath]] = [(document, "")]
    while pending:
        node, path = pending.pop()
        if isinstance(node, YMap):
            pending.extend(
                (value, (path, key)) for key, value in reversed(node.items.items()) if not key.startswith("x-")
            )
        elif isinstance(node, YSeq):
            pending.extend((item, (path, index)) for index, item in reversed(list(enumerate(node.items))))
        elif (
            node.plain
            and len(node.raw) <= 3
            and node.raw.lower() in YAML11_WORDS
            and (node.line, node.column) not in reported
        ):
            warnings.append(_yaml11_boolean(node, file, render_path(path)))
    return warnings


def _yaml11_boolean(node: YScalar, file: str, path: str) -> Problem:
    if isinstance(node.value, bool):
        reading = f"the boolean {str(node.value).lower()} to YAML 1.1 readers such as crisisctl"
        other = f'the text "{node.raw}" to YAML 1.2 readers such as editors checking the schema'
    else:
        truth = "true" if node.raw.lower() == "y" else "false"
        reading = f"text to crisisctl (and to YAML 1.2 readers), but the boolean {truth} to other YAML 1.1 readers"
        other = ""
    return Problem(
        file,
        node.line,
        node.column,
        path,
        "yaml11-boolean",
        f"unquoted `{node.raw}` is {reading}" + (f", and {other}" if other else ""),
        f'write true or false for a boolean, or quote it ("{node.raw}") if you mean the text',
    )


def _review_warnings(document: YMap, file: str, today: dt.date) -> list[Problem]:
    review = document.items.get("review")
    if not isinstance(review, YMap):
        return []
    every, last = review.items.get("every"), review.items.get("last_reviewed")
    try:
        interval = parse_duration(_text(every) or "")
        last_date = (
            last.value
            if isinstance(last, YScalar) and type(last.value) is dt.date  # a date and time is a `date` error
            else dt.date.fromisoformat(str(_text(last)))
        )
        due = last_date + interval
    except (ValueError, TypeError, OverflowError):  # no date, or a review due after the year 9999
        return []
    if due >= today:
        return []
    assert isinstance(last, YScalar)
    return [
        Problem(
            file,
            last.line,
            last.column,
            "review.last_reviewed",
            "review-overdue",
            f"review overdue since {due.isoformat()} (last reviewed {last_date.isoformat()}, every {_text(every)})",
            "review the playbook with its owner and update review.last_reviewed",
        )
    ]


def _outcome_input_warnings(document: YMap, file: str) -> list[Problem]:
    """A customer outcome listed in `postmortem.kpis` whose inputs are not declared: its figure would always read
    "not measured" in a declared incident's `set`, prompts and templates (`measure` records it regardless)."""
    postmortem = document.items.get("postmortem")
    kpis = postmortem.items.get("kpis") if isinstance(postmortem, YMap) else None
    if not isinstance(kpis, YSeq):
        return []
    declared = {_text(item.items.get("id")) for _, item in _entries(document, "inputs")}
    warnings = []
    for index, node in enumerate(kpis.items):
        metric = _text(node)
        if metric not in OUTCOME_METRICS:
            continue
        missing = [name for name in (metric, metric + BASELINE_SUFFIX) if name not in declared]
        if missing:
            warnings.append(
                Problem(
                    file,
                    node.line,
                    node.column,
                    f"postmortem.kpis[{index}]",
                    "outcome-input-missing",
                    f"the KPI {metric} is listed, but the inputs {' and '.join(missing)} are not declared",
                    "declare them under `inputs` with `type: number` (the follow-up figure and the figure before"
                    f" the crisis), e.g. `- {{id: {missing[0]}, type: number}}`; `crisisctl measure` records them",
                )
            )
    return warnings


def _template_uses(document: YMap, file: str) -> list[TemplateUse]:
    uses: list[TemplateUse] = []
    for index, comm in _entries(document, "communications"):
        node = comm.items.get("template")
        name = _text(node)
        if name is None:
            continue
        assert isinstance(node, YScalar)
        locales = comm.items.get("locales")
        locale_names = (
            tuple(locale for item in locales.items if (locale := _text(item)) and re.fullmatch(LOCALE_PATTERN, locale))
            if isinstance(locales, YSeq)
            else ()
        )
        uses.append(
            TemplateUse(name, file, node.line, node.column, f"communications[{index}].template", "notice", locale_names)
        )
    postmortem = document.items.get("postmortem")
    if isinstance(postmortem, YMap):
        node = postmortem.items.get("template")
        name = _text(node)
        if name is not None:
            assert isinstance(node, YScalar)
            uses.append(TemplateUse(name, file, node.line, node.column, "postmortem.template", "report"))
    return uses
