"""Check the templates a playbook names: inside the roots, compiling, using only known names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import TemplateSyntaxError, meta, nodes
from msgspec import Struct

from crisisctl.errors import Problem, UsageError
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.validate import DeclaredNames, TemplateUse
from crisisctl.render.context import FIELDS_BY_NAME, NOTICE_NAMES, REPORT_FIELDS_BY_NAME, REPORT_NAMES
from crisisctl.render.environment import CrisisSandbox, make_environment, resolve_template
from crisisctl.render.notices import localized_name
from crisisctl.suggest import closest, did_you_mean, listing

if TYPE_CHECKING:
    from crisisctl.render.noticelint import RenderCache

MAX_TEMPLATE_BYTES = 256 * 1024


class _Usage(Struct, frozen=True):
    """What one template file refers to, found once and reused for every playbook naming it."""

    syntax_error: tuple[int, str] | None
    top_names: dict[str, int]  # name -> first template line using it
    attributes: frozenset[tuple[str, str, int]]  # (object, attribute, template line)
    dashed: frozenset[tuple[str, str, int]] = frozenset()  # `roles.partner-manager`: (roles, partner-manager, line)


class TemplateChecker:
    """Checks template uses; caches each file's analysis so a thousand playbooks stay fast."""

    def __init__(self, template_dir: Path) -> None:
        self.template_dir = template_dir
        self._environment: CrisisSandbox | None = None
        self._cache: dict[Path, _Usage] = {}
        self._resolved: dict[tuple[str, Path], Path | UsageError | None] = {}
        self._rendering: dict[Path, CrisisSandbox] = {}  # for the notice lint, by the playbook's folder
        self._renders: RenderCache = {}

    @property
    def environment(self) -> CrisisSandbox:
        if self._environment is None:
            self._environment = make_environment([self.template_dir])
        return self._environment

    def check(self, uses: Iterable[TemplateUse], declared: DeclaredNames | None, playbook_dir: Path) -> list[Problem]:
        """Problems for each use; name checks need the playbook's declared inputs and roles."""
        problems: list[Problem] = []
        roots = [self.template_dir, playbook_dir]
        for use in uses:
            names = [use.name] + [localized_name(use.name, locale) for locale in use.locales]
            for index, name in enumerate(names):
                try:
                    path = self._resolve(name, playbook_dir)
                except UsageError as error:
                    problems.append(self._problem(use, "template-path", error.message, error.hint))
                    break
                if path is None:
                    if index == 0:
                        where = " or ".join(str(root) for root in roots)
                        problems.append(
                            self._problem(
                                use,
                                "template-missing",
                                f"template `{name}` not found in {where}",
                                "create it, or correct the path (relative to the template folder)",
                            )
                        )
                        break
                    continue
                problems.extend(self._check_file(use, name, path, declared))
        return problems

    def lint_notices(self, playbook: Playbook, uses: Sequence[TemplateUse], playbook_dir: Path) -> list[Problem]:
        """The notice lint (render/noticelint.py) of a valid playbook, at the places its templates are named."""
        from crisisctl.render.noticelint import notice_findings

        environment = self._rendering.get(playbook_dir)
        if environment is None:
            environment = self._rendering[playbook_dir] = make_environment([self.template_dir, playbook_dir])
        positions = _UsePositions({use.path: (use.line, use.column) for use in uses})
        return notice_findings(
            playbook,
            [self.template_dir, playbook_dir],
            positions,
            environment,
            self._renders,
            lambda name: self._resolve(name, playbook_dir),
        )

    def _resolve(self, name: str, playbook_dir: Path) -> Path | None:
        """resolve_template, once per name and folder: a thousand playbooks name the same few templates."""
        key = (name, playbook_dir)
        if key not in self._resolved:
            try:
                self._resolved[key] = resolve_template(name, [self.template_dir, playbook_dir])
            except UsageError as error:
                self._resolved[key] = error
        found = self._resolved[key]
        if isinstance(found, UsageError):
            raise found
        return found

    def _problem(self, use: TemplateUse, rule: str, message: str, hint: str | None) -> Problem:
        return Problem(use.file, use.line, use.column, use.path, rule, message, hint)

    def _check_file(self, use: TemplateUse, name: str, path: Path, declared: DeclaredNames | None) -> list[Problem]:
        try:
            usage = self._analyse(path)
        except OSError as error:
            return [
                self._problem(
                    use,
                    "template-path",
                    f"template `{name}` cannot be read: {error.strerror or error}",
                    "make it readable by you",
                )
            ]
        if usage.syntax_error is not None:
            line, message = usage.syntax_error
            return [
                self._problem(
                    use, "template-syntax", f"{name}:{line}: {message}", "fix the Jinja syntax in the template"
                )
            ]
        allowed = (REPORT_NAMES if use.purpose == "report" else NOTICE_NAMES) | frozenset(self.environment.globals)
        problems = [
            self._problem(
                use,
                "template-variable",
                f"{name}:{line} uses `{top}`, which templates are not given",
                did_you_mean(top, allowed) or "see docs/templates.md for the names templates can use",
            )
            for top, line in sorted(usage.top_names.items())
            if top not in allowed
        ]
        known_roots = {"inputs": declared.inputs, "roles": declared.roles} if declared is not None else {}
        problems.extend(self._dashed_problem(use, name, dashed, known_roots) for dashed in sorted(usage.dashed))
        if declared is None:
            return problems
        known = {
            "inputs": declared.inputs,
            "roles": declared.roles,
            **(REPORT_FIELDS_BY_NAME if use.purpose == "report" else FIELDS_BY_NAME),
        }
        for owner, attribute, line in sorted(usage.attributes):
            if owner not in known or attribute in known[owner]:
                continue
            declared_in_playbook = owner in ("inputs", "roles")
            what = f"the playbook's {owner}" if declared_in_playbook else f"the {owner} fields"
            fallback = (
                f"declare it under `{owner}:`" if declared_in_playbook else "known: " + listing(sorted(known[owner]))
            )
            match = closest(attribute, known[owner])
            problems.append(
                self._problem(
                    use,
                    "template-variable",
                    f"{name}:{line} uses `{_expression(owner, attribute)}`, which is not among {what}",
                    f"did you mean `{_expression(owner, match)}`?" if match else fallback,
                )
            )
        return problems

    def _dashed_problem(
        self, use: TemplateUse, name: str, dashed: tuple[str, str, int], known: dict[str, frozenset[str]]
    ) -> Problem:
        """`roles.partner-manager`: Jinja subtracts `manager` from `roles.partner`; the id needs brackets."""
        owner, attribute, line = dashed
        first, _, rest = attribute.partition("-")
        declared = known.get(owner, frozenset())
        meant = attribute if attribute in declared or not declared else closest(attribute, declared) or attribute
        return self._problem(
            use,
            "template-variable",
            f"{name}:{line} uses `{owner}.{attribute}`, which Jinja reads as `{owner}.{first}` minus"
            f" `{rest.replace('-', '` minus `')}`",
            f"write `{_expression(owner, meant)}`"
            + ("" if meant.isidentifier() else " (a name with a dash needs brackets and quotes)"),
        )

    def _analyse(self, path: Path) -> _Usage:
        cached = self._cache.get(path)
        if cached is None:
            cached = self._cache[path] = _analyse_source(self.environment, path)
        return cached


class _UsePositions(Struct, frozen=True):
    """Positions of the `template:` fields, known from validation without reading the file again."""

    known: dict[str, tuple[int, int]]

    def position(self, path: str) -> tuple[int, int]:
        return self.known.get(path, (1, 1))


def _expression(owner: str, attribute: str) -> str:
    """How a template writes a field: `roles.lead`, or `roles['partner-manager']` for a name Jinja cannot dot."""
    return f"{owner}.{attribute}" if attribute.isidentifier() else f"{owner}[{attribute!r}]"


def _analyse_source(environment: CrisisSandbox, path: Path) -> _Usage:
    """Parse the template and find the names it uses; a template too large or too deep is a syntax problem."""
    with path.open("rb") as handle:
        data = handle.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        return _Usage((1, f"larger than {MAX_TEMPLATE_BYTES // 1024} KiB, more than any notice needs"), {}, frozenset())
    try:
        tree = environment.parse(data.decode("utf-8", errors="replace"), filename=str(path))
        # Finding the undeclared names runs Jinja's code generator over the tree, which raises
        # every error compiling would (a block defined twice...), short of making Python bytecode.
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateSyntaxError as error:
        return _Usage((error.lineno, error.message or "syntax error"), {}, frozenset())
    except RecursionError:  # Jinja's parser and code generator recurse once per nesting level
        return _Usage((1, "nested too deeply (expressions, blocks or filters) to compile"), {}, frozenset())
    dashed, consumed = _dashed_names(tree, undeclared)
    return _Usage(
        None, _first_lines(tree, undeclared, consumed), frozenset(_attributes(tree, consumed)), frozenset(dashed)
    )


def _dashed_names(tree: nodes.Template, undeclared: set[str]) -> tuple[list[tuple[str, str, int]], set[int]]:
    """`roles.partner-manager` parses as `roles.partner - manager`: find such chains, whose right-hand names are
    undefined, as the dashed names they were meant to be; and the ids of the nodes they consumed."""
    found: list[tuple[str, str, int]] = []
    consumed: set[int] = set()
    for sub in tree.find_all(nodes.Sub):
        if id(sub) in consumed:
            continue  # inside a longer chain already read: a-b-c is (a - b) - c
        parts: list[str] = []
        chain: list[nodes.Node] = []
        node: nodes.Node = sub
        while isinstance(node, nodes.Sub) and isinstance(node.right, nodes.Name) and node.right.name in undeclared:
            parts.insert(0, node.right.name)
            chain.extend((node, node.right))
            node = node.left
        if parts and isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            found.append((node.node.name, "-".join([node.attr, *parts]), sub.lineno))
            consumed.update(id(part) for part in (*chain, node))
    return found, consumed


def _first_lines(tree: nodes.Template, names: set[str], consumed: set[int]) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in names and node.name not in lines and id(node) not in consumed:
            lines[node.name] = node.lineno
    return lines


def _attributes(tree: nodes.Template, consumed: set[int]) -> Sequence[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if id(node) in consumed:
            continue
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            found.append((node.node.name, node.attr, node.lineno))
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.node, nodes.Name)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            found.append((node.node.name, node.arg.value, node.lineno))
    return found
