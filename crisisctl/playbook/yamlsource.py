"""The only YAML entry point: a safe, bounded loader that keeps every node's position.

PyYAML's own loaders build plain Python values and forget where they came from,
keep the last of two duplicate keys, and expand aliases without limit. This
module lets the parser compose its node tree (in C, when PyYAML has libyaml),
then converts that tree into a small tree of located nodes, so that every later
error can name file, line and column, while refusing anything unsafe on the way.
"""

from __future__ import annotations

import contextlib
import gc
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

import yaml
from msgspec import Struct, field
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from crisisctl.errors import Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_EXPANSION = 10_000
MAX_EVENTS = 100_000  # parser events: about one per value, plus one per list or mapping end

SAFE_TAGS = frozenset(
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
# Scalars constructed into non-string values; other safe tags on a scalar keep its text.
_SCALAR_TAGS = frozenset("tag:yaml.org,2002:" + name for name in ("int", "float", "bool", "null", "timestamp"))

_FLATTEN = "flatten the structure"
_SYNTAX_HINT = "check indentation and quoting around this position"
_UNREADABLE_HINT = "make it readable by you, or move it out of the playbook folder"
_SPLIT_HINT = "split it into several playbooks; nothing this large is a readable plan"

HAS_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
# libyaml composes node trees by recursion; before 0.2.6 it set no nesting limit, so a file of
# deeply nested brackets overflowed the C stack. Older builds fall back to the Python composer.
_LIBYAML_VERSION: tuple[int, ...] = yaml._yaml.get_version() if HAS_LIBYAML else ()
COMPOSES_IN_C = _LIBYAML_VERSION >= (0, 2, 6)
SLOW_LOADER_REASON: str | None = None  # why loading is slower here, if it is
if not HAS_LIBYAML:
    SLOW_LOADER_REASON = "PyYAML was built without libyaml"
elif not COMPOSES_IN_C:
    SLOW_LOADER_REASON = f"PyYAML's libyaml is {'.'.join(map(str, _LIBYAML_VERSION))}, older than 0.2.6"
_Loader: type = yaml.CSafeLoader if COMPOSES_IN_C else yaml.SafeLoader
# Longer plain scalars are not cached (each is rare, and they would hold memory), and longer
# numbers are not read as numbers: no plan needs them, and building them grows quadratically.
_SHORT = 64


class YScalar(Struct, eq=False):
    """A scalar with the value YAML gave it and the text it was written as."""

    value: Any
    line: int
    column: int
    raw: str
    plain: bool


class YMap(Struct, eq=False):
    """A mapping whose keys are always read as the text written."""

    line: int
    column: int
    items: dict[str, YNode] = field(default_factory=dict)
    keys: dict[str, YScalar] = field(default_factory=dict)


class YSeq(Struct, eq=False):
    """A sequence of located nodes."""

    line: int
    column: int
    items: list[YNode] = field(default_factory=list)


YNode: TypeAlias = YScalar | YMap | YSeq


class LoadedYaml(Struct):
    """The outcome of loading one file: a document (None if unusable) and its problems."""

    file: str
    text: str
    document: YMap | None
    problems: list[Problem]
    yaml11_words: bool = False  # a plain scalar reads yes/no/on/off/y/n: worth the `yaml11-boolean` walk


def join_path(path: str, key: str | int) -> str:
    """Field paths as users read them: steps[3].depends_on[0]."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# Plain scalars that YAML 1.1 and 1.2 readers disagree on (booleans to one, text to the other, or both ways).
YAML11_WORDS = frozenset({"yes", "no", "on", "off", "y", "n"})

FieldPath: TypeAlias = str | tuple[Any, str | int]  # text, or nested (parent, key) pairs written out when reported


def render_path(path: FieldPath) -> str:
    """A field path as users read it, from text or from (parent, key) pairs."""
    keys: list[str | int] = []
    while isinstance(path, tuple):
        path, key = path
        keys.append(key)
    text = str(path)
    for key in reversed(keys):
        text = join_path(text, key)
    return text


def plain_value(node: YNode) -> Any:
    """The node as ordinary Python data, positions dropped."""
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq):
        return [plain_value(item) for item in node.items]
    return {key: plain_value(value) for key, value in node.items.items()}


def load_file(path: Path, display_name: str | None = None) -> LoadedYaml:
    """Read and parse one YAML file, refusing what is too big, not UTF-8 or unsafe."""
    name = display_name or str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        return _fatal(name, "", 1, 1, "unreadable", f"the file cannot be read: {reason}", _UNREADABLE_HINT)
    return load_bytes(data, name)


def load_bytes(data: bytes, file: str) -> LoadedYaml:
    """Decode UTF-8 (a BOM is allowed) and parse; more than MAX_FILE_BYTES is refused unread."""
    if len(data) > MAX_FILE_BYTES:
        return _fatal(
            file, "", 1, 1, "file-too-large", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB", _SPLIT_HINT
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position_of_offset(data, error.start)
        return _fatal(
            file,
            "",
            line,
            column,
            "encoding",
            f"byte 0x{data[error.start]:02x} is not valid UTF-8",
            "save the file as UTF-8",
        )
    return load_text(text, file)


def load_text(text: str, file: str) -> LoadedYaml:
    """Parse YAML text into a located tree; the top level must be one mapping."""
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        return _fatal(file, text, 1, 1, "empty", "the file is empty", "write a playbook mapping")
    converter = _Converter(file, text)
    try:
        if _too_many_events(text):
            return _fatal(
                file,
                text,
                1,
                1,
                "file-too-large",
                f"the file holds more than {MAX_EVENTS:,} YAML values",
                _SPLIT_HINT,
            )
        with _collector_paused():
            root = converter.convert(_compose(text))
    except _Abort as abort:
        return LoadedYaml(file, text, None, [*converter.problems, abort.problem])
    except yaml.MarkedYAMLError as error:
        return LoadedYaml(file, text, None, [_syntax_problem(file, text, error)])
    except yaml.YAMLError as error:
        return _fatal(file, text, 1, 1, "yaml-syntax", f"YAML syntax error: {error}", None)
    except RecursionError:  # only PyYAML's pure-Python composer recurses without a nesting limit
        return _fatal(file, text, 1, 1, "too-deep", f"nesting deeper than {MAX_DEPTH} levels", _FLATTEN)
    if root is None or (isinstance(root, YScalar) and root.value is None):
        return _fatal(file, text, 1, 1, "empty", "the file holds no document", "write a mapping")
    if not isinstance(root, YMap):
        kind = "a list" if isinstance(root, YSeq) else "a single value"
        return _fatal(
            file,
            text,
            root.line,
            root.column,
            "not-a-mapping",
            f"the top level is {kind}, not a mapping",
            "write `name: value` lines at the top level (a playbook starts with `apiVersion: crisisctl/v1`)",
        )
    return LoadedYaml(file, text, root, converter.problems, converter.yaml11_words)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a tree is built.

    A playbook becomes thousands of small objects at once, and the collector's passes over them
    (and over everything loaded before) took 40% of the loading time; a tree of nodes has no
    reference cycles for it to find.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Abort(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _fatal(file: str, text: str, line: int, column: int, rule: str, message: str, hint: str | None) -> LoadedYaml:
    return LoadedYaml(file, text, None, [Problem(file, line, column, "", rule, message, hint)])


def _position_of_offset(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return line, column


# --- Composing: libyaml builds the node tree in C -----------------------------------------------------------


class _Composer(_Loader):  # type: ignore[misc]
    """PyYAML's loader reduced to composing: libyaml builds the node tree without a Python object per event.

    The hooks below are all the Python the composer calls per node: it asks only for the YAML 1.1 tag
    of untagged scalars, and path-based resolvers are not used.
    """

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool] | bool) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:  # type: ignore[index]
                return _tag_cache.get(value) or _implicit_tag(value)  # type: ignore[arg-type]
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


def _too_many_events(text: str) -> bool:
    """Whether libyaml counts more than MAX_EVENTS events, counted in C without building anything.

    A composed tree keeps every node and two position marks at once, about 400 bytes a value, so a
    1 MiB file of tiny values would take hundreds of MB. An event takes at least about one character
    of text, so shorter files, every real playbook among them, are not counted.
    """
    return COMPOSES_IN_C and len(text) > MAX_EVENTS // 2 and _Loader(text).raw_parse() > MAX_EVENTS


def _compose(text: str) -> yaml.Node | None:
    composer = _Composer(text)
    try:
        return composer.get_single_node()  # type: ignore[no-any-return]
    finally:
        composer.dispose()


_IMPLICIT_RESOLVERS = Resolver.yaml_implicit_resolvers
_CONSTRUCTOR = SafeConstructor()
_CACHE_LIMIT = 20_000
# A set of playbooks repeats the same plain words and numbers thousands of times; both caches
# hold only immutable results (tags; str, int, float, bool, None, dates).
_tag_cache: dict[str, str] = {}
_value_cache: dict[tuple[str, str], Any] = {}
_UNREADABLE = object()


def _implicit_tag(value: str) -> str:
    """YAML 1.1's reading of a plain scalar: PyYAML's resolver table, without its per-call overhead.

    Text that looks like a date but is none (2026-13-40) stays text, and merge (`<<`) and value (`=`)
    tags are not given: the converter handles `<<` by its text.
    """
    tag = _tag_cache.get(value)
    if tag is None:
        tag = _STR_TAG
        for candidate, pattern in _IMPLICIT_RESOLVERS.get(value[:1], ()):
            if pattern.match(value):
                if candidate in _SCALAR_TAGS and _construct(candidate, value) is not _UNREADABLE:
                    tag = candidate
                break
        if len(value) <= _SHORT:
            if len(_tag_cache) >= _CACHE_LIMIT:
                _tag_cache.clear()
            _tag_cache[value] = tag
    return tag


def _construct(tag: str, raw: str) -> Any:
    """The value of a scalar of a non-text tag, or _UNREADABLE (an explicit `!!int x1`, a 100-digit number)."""
    key = (tag, raw)
    value = _value_cache.get(key, _UNREADABLE)
    if value is _UNREADABLE:
        if len(raw) > _SHORT:
            return _UNREADABLE
        try:
            value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, raw))
        except (ValueError, KeyError, IndexError, AttributeError, TypeError, OverflowError, yaml.YAMLError):
            return _UNREADABLE
        if len(_value_cache) >= _CACHE_LIMIT:
            _value_cache.clear()
        _value_cache[key] = value
    return value


def _syntax_problem(file: str, text: str, error: yaml.MarkedYAMLError) -> Problem:
    """A parser or composer error as one problem at its place."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    name = _anchor_name(text, mark.index) if mark else ""
    if error.problem == "but found another document":
        return Problem(
            file,
            line,
            column,
            "",
            "several-documents",
            "the file holds more than one YAML document",
            "keep one playbook per file; remove the `---` separator",
        )
    if error.problem == "found undefined alias":
        return Problem(
            file, line, column, "", "yaml-syntax", f"unknown alias *{name}", "define the anchor (&name) before using it"
        )
    if error.problem == "second occurrence" and error.context_mark is not None:
        first = error.context_mark.line + 1
        message = f"the anchor &{name} is defined twice (first at line {first})"
        return Problem(file, line, column, "", "yaml-syntax", message, "give each anchor its own name")
    message = " ".join(part for part in (error.context, error.problem) if part)
    if "nesting depth" in message:  # libyaml's own limit, met while scanning
        return Problem(file, line, column, "", "too-deep", f"nesting deeper than {MAX_DEPTH} levels", _FLATTEN)
    return Problem(file, line, column, "", "yaml-syntax", f"YAML syntax error: {message}", _syntax_hint(text, line))


# `op: >=`, `op: > 5`, `{op: >, ...}`: an operator written bare, which YAML takes for a block scalar's header.
_BARE_OPERATOR = re.compile(r"(?:^|[\s{,])op:\s+([>|][^\s,}]*)")


def _syntax_hint(text: str, line: int) -> str:
    """The usual hint, or, on a line that writes a comparison operator bare, to quote it."""
    lines = text.splitlines()
    match = _BARE_OPERATOR.search(lines[line - 1]) if 0 < line <= len(lines) else None
    return _SYNTAX_HINT if match is None else quote_operator_hint(match.group(1))


def quote_operator_hint(operator: str) -> str:
    """The hint for a comparison operator YAML read as syntax (a block scalar's `>` or `|`, a tag's `!`)."""
    return f'write the operator in quotes, op: "{operator}" (unquoted, YAML reads it as syntax of its own)'


# A node that starts with the non-specific tag `!` (before or after its anchor).
_NON_SPECIFIC_TAG = re.compile(r"(?:&[0-9A-Za-z_-]+[ \t]+)?![ \t\r\n]")
_ANCHOR_NAME = re.compile(r"[&*]([0-9A-Za-z_-]+)")  # the names libyaml reads


def _anchor_name(text: str, index: int) -> str:
    """The name of the anchor or alias written at `index` (a node's start may be its `&name`)."""
    match = _ANCHOR_NAME.search(text, index)
    return match.group(1) if match else ""


# --- Converting: composed nodes become located YNodes -------------------------------------------------------


class _Converter:
    """Turns composed nodes into YNodes, with limits on depth, aliases and tags, collecting duplicate keys."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.problems: list[Problem] = []
        # Only a file with an anchor can share a node between places. For such a file every node is
        # tracked (None while it is being built), to count what aliases expand to and catch an alias
        # inside its own anchor; the others skip that work.
        self.shared: dict[int, tuple[YNode, int] | None] | None = {} if "&" in text else None
        self.yaml11_words = False
        self.nodes = 0  # nodes built in a tracked file, alias expansions included
        self.expanded = 0
        self.aliases = 0

    def convert(self, root: yaml.Node | None) -> YNode | None:
        return None if root is None else self._node(root, 0, "")

    def _node(self, node: yaml.Node, depth: int, path: FieldPath) -> YNode:
        if self.shared is None:
            return self._build(node, depth, path)
        key = id(node)
        if key in self.shared:
            return self._alias(self.shared[key], path)
        self.shared[key] = None
        before = self.nodes
        built = self._build(node, depth, path)
        self.nodes += 1
        self.shared[key] = (built, self.nodes - before)
        return built

    def _alias(self, anchored: tuple[YNode, int] | None, path: FieldPath) -> YNode:
        """A node met again is an alias: the number of nodes it stands for counts against the budget."""
        self.aliases += 1
        if anchored is None:
            alias = self._current_alias()
            self._abort(
                alias.start_mark,
                path,
                "yaml-syntax",
                f"the alias *{alias.anchor} is used inside its own anchor",
                "use an alias only after the anchored node ends",
            )
        node, size = anchored
        self.expanded += size
        self.nodes += size
        if self.expanded > MAX_ALIAS_EXPANSION:
            self._abort(
                self._current_alias().start_mark,
                path,
                "alias-bomb",
                f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes",
                "write the values out, or use fewer nested aliases",
            )
        return node

    def _current_alias(self) -> Any:
        """The parser's event for the alias just met: composed nodes keep no trace of where an alias
        was written, so the events are read again (only when one is reported) up to that alias."""
        parser = _Loader(self.text)
        try:
            seen = 0
            while not parser.check_event(yaml.StreamEndEvent):
                event = parser.get_event()
                if isinstance(event, yaml.AliasEvent):
                    seen += 1
                    if seen == self.aliases:
                        return event
        finally:
            parser.dispose()
        raise AssertionError("an alias was counted that the parser did not report")

    def _build(self, node: yaml.Node, depth: int, path: FieldPath) -> YNode:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag not in SAFE_TAGS:
            self._unsafe_tag(node, path)
        if depth >= MAX_DEPTH:
            self._abort(node.start_mark, path, "too-deep", f"nesting deeper than {MAX_DEPTH} levels", _FLATTEN)
        if isinstance(node, yaml.SequenceNode):
            mark = node.start_mark
            items = [self._node(item, depth + 1, (path, index)) for index, item in enumerate(node.value)]
            return YSeq(mark.line + 1, mark.column + 1, items)
        return self._mapping(node, depth, path)

    def _scalar(self, node: yaml.ScalarNode, path: FieldPath) -> YScalar:
        tag = node.tag
        raw = node.value
        if tag == _STR_TAG:
            value = raw
        elif tag in _SCALAR_TAGS:
            # `! 12`: the non-specific tag keeps the text, though the composer resolved it as for `12`.
            value = raw if _NON_SPECIFIC_TAG.match(self.text, node.start_mark.index) else _construct(tag, raw)
            if value is _UNREADABLE:
                shown = raw if len(raw) <= _SHORT else raw[:_SHORT] + "…"
                self._abort(
                    node.start_mark,
                    path,
                    "bad-scalar",
                    f"`{shown}` cannot be read as {tag.rsplit(':', 1)[-1]}",
                    "quote the value or correct it",
                )
            if isinstance(value, float) and not math.isfinite(value):
                self._abort(
                    node.start_mark,
                    path,
                    "bad-scalar",
                    f"`{raw}` is not a finite number",
                    "write a finite number, or quote it: the log keeps values as JSON, which has no NaN or infinity",
                )
        elif tag in SAFE_TAGS:
            value = raw
        else:
            self._unsafe_tag(node, path)
        mark = node.start_mark
        if not node.style and len(raw) <= 3 and raw.lower() in YAML11_WORDS:
            self.yaml11_words = True
        return YScalar(value, mark.line + 1, mark.column + 1, raw, not node.style)

    def _mapping(self, node: yaml.Node, depth: int, path: FieldPath) -> YMap:
        mark = node.start_mark
        mapping = YMap(mark.line + 1, mark.column + 1)
        items, keys = mapping.items, mapping.keys
        merges: list[YNode] = []
        for key_node, value_node in node.value:
            key = self._node(key_node, depth + 1, path)
            if type(key) is not YScalar:
                self._abort(
                    key_node.start_mark,
                    path,
                    "bad-key",
                    "a mapping key must be plain text",
                    "use a simple word as the key",
                )
            name = key.raw
            value = self._node(value_node, depth + 1, (path, name))
            if name == "<<" and key.plain:
                merges.append(value)
                continue
            first = keys.get(name)
            if first is not None:
                self.problems.append(
                    Problem(
                        self.file,
                        key.line,
                        key.column,
                        render_path((path, name)),
                        "duplicate-key",
                        f"duplicate key `{name}` (first at line {first.line}, again at line {key.line})",
                        "YAML would silently keep only the last one; remove or rename one of them",
                    )
                )
                continue
            keys[name] = key
            items[name] = value
        for merged in merges:
            self._merge(mapping, merged, path)
        return mapping

    def _merge(self, target: YMap, merged: YNode, path: FieldPath) -> None:
        """`<<: *base`: the anchored mapping's keys, where the target does not set them itself."""
        for source in merged.items if isinstance(merged, YSeq) else [merged]:
            if not isinstance(source, YMap):
                self._abort(
                    _Mark(source.line, source.column),
                    path,
                    "bad-merge",
                    "`<<` must merge a mapping or a list of mappings",
                    "point the merge key at an anchored mapping",
                )
            for name, value in source.items.items():
                if name not in target.items:
                    target.items[name] = value
                    target.keys[name] = source.keys[name]

    def _unsafe_tag(self, node: yaml.Node, path: FieldPath) -> NoReturn:
        self._abort(
            node.start_mark,
            path,
            "unsafe-tag",
            f"the tag {node.tag} is not allowed",
            quote_operator_hint("!=")
            if node.tag == "!="
            else "playbooks are data: remove the tag and write a plain value",
        )

    def _abort(self, mark: Any, path: FieldPath, rule: str, message: str, hint: str) -> NoReturn:
        raise _Abort(Problem(self.file, mark.line + 1, mark.column + 1, render_path(path), rule, message, hint))


class _Mark:
    """A 0-based mark built from a node's 1-based position, for _abort."""

    def __init__(self, line: int, column: int) -> None:
        self.line = line - 1
        self.column = column - 1
