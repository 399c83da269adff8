"""The only YAML entry point: a safe, bounded loader that keeps every node's position.

PyYAML's own loaders build plain Python values and forget where they came from,
keep the last of two duplicate keys, and expand aliases without limit. This
module reads the parser's event stream instead (libyaml's C parser when it is
installed) and builds a small tree of located nodes, so that every later error
can name file, line and column, while refusing anything unsafe on the way.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from crisisctl.errors import Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_EXPANSION = 10_000

SAFE_TAGS = frozenset(
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
_STR_TAG = "tag:yaml.org,2002:str"
# Scalars constructed into non-string values; other resolved tags (merge, value) stay text.
_SCALAR_TAGS = frozenset("tag:yaml.org,2002:" + name for name in ("int", "float", "bool", "null", "timestamp"))

_FLATTEN = "flatten the structure"
_SYNTAX_HINT = "check indentation and quoting around this position"

HAS_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
_Loader: type = yaml.CSafeLoader if HAS_LIBYAML else yaml.SafeLoader


@dataclass(slots=True, eq=False)
class YScalar:
    """A scalar with the value YAML gave it and the text it was written as."""

    value: Any
    line: int
    column: int
    raw: str
    plain: bool


@dataclass(slots=True, eq=False)
class YMap:
    """A mapping whose keys are always read as the text written."""

    line: int
    column: int
    items: dict[str, YNode] = field(default_factory=dict)
    keys: dict[str, YScalar] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class YSeq:
    """A sequence of located nodes."""

    line: int
    column: int
    items: list[YNode] = field(default_factory=list)


YNode: TypeAlias = YScalar | YMap | YSeq


@dataclass(slots=True)
class LoadedYaml:
    """The outcome of loading one file: a document (None if unusable) and its problems."""

    file: str
    text: str
    document: YMap | None
    problems: list[Problem]


def join_path(path: str, key: str | int) -> str:
    """Field paths as users read them: steps[3].depends_on[0]."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


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
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _fatal(
            name,
            "",
            1,
            1,
            "file-too-large",
            f"the file is larger than {MAX_FILE_BYTES // 1024} KiB",
            "split it into several playbooks; nothing this large is a readable plan",
        )
    return load_bytes(data, name)


def load_bytes(data: bytes, file: str) -> LoadedYaml:
    """Decode UTF-8 (a BOM is allowed) and parse."""
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
    builder = _TreeBuilder(file)
    try:
        with _collector_paused():
            builder.consume(text)
    except _Abort as abort:
        return LoadedYaml(file, text, None, [*builder.problems, abort.problem])
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(part for part in (error.context, error.problem) if part)
        if "nesting depth" in message:  # libyaml's own limit, met while scanning ahead
            problem = Problem(file, line, column, "", "too-deep", f"nesting deeper than {MAX_DEPTH} levels", _FLATTEN)
        else:
            problem = Problem(file, line, column, "", "yaml-syntax", f"YAML syntax error: {message}", _SYNTAX_HINT)
        return LoadedYaml(file, text, None, [*builder.problems, problem])
    except yaml.YAMLError as error:
        problem = Problem(file, 1, 1, "", "yaml-syntax", f"YAML syntax error: {error}", None)
        return LoadedYaml(file, text, None, [problem])
    root = builder.root
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
    return LoadedYaml(file, text, root, builder.problems)


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


class _Frame:
    __slots__ = ("anchor", "merges", "node", "path", "pending_key", "size")

    def __init__(self, node: YMap | YSeq, anchor: str | None, path: str) -> None:
        self.node = node
        self.anchor = anchor
        self.path = path
        self.pending_key: YScalar | None = None
        self.size = 1
        self.merges: list[YNode] = []


class _TreeBuilder:
    """Turns parser events into YNodes with limits on depth, aliases and tags."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.root: YNode | None = None
        self.documents = 0
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[YNode, int]] = {}
        self.expanded = 0
        self.implicit_resolvers = Resolver.yaml_implicit_resolvers
        self.constructor = SafeConstructor()

    def consume(self, text: str) -> None:
        """Pull the parser's events one by one (yaml.parse adds a generator and a check per event)."""
        parser = _Loader(text)
        try:
            self._consume(parser.get_event)
        finally:
            parser.dispose()

    def _consume(self, next_event: Any) -> None:
        scalar_event = yaml.ScalarEvent
        stream_end = yaml.StreamEndEvent
        stack = self.stack
        while True:
            event = next_event()
            kind = type(event)
            if kind is stream_end:
                return
            if kind is scalar_event:
                if event.tag is not None or event.anchor is not None or not stack:
                    self._scalar(event)  # tags, anchors and the document root take the careful path
                    continue
                # The common case, inlined: most nodes of a playbook are untagged scalars inside a
                # mapping or a list, and call overhead was most of the loader's time.
                raw = event.value
                plain = not event.style
                value = self._resolve(event, self._implicit_tag(raw)) if plain else raw
                mark = event.start_mark
                node = YScalar(value, mark.line + 1, mark.column + 1, raw, plain)
                frame = stack[-1]
                frame.size += 1
                if type(frame.node) is YSeq:
                    frame.node.items.append(node)
                elif frame.pending_key is None:
                    frame.pending_key = node
                else:
                    self._add_value(frame, node)
            elif kind is yaml.MappingStartEvent:
                self._start(event, YMap(event.start_mark.line + 1, event.start_mark.column + 1))
            elif kind is yaml.SequenceStartEvent:
                self._start(event, YSeq(event.start_mark.line + 1, event.start_mark.column + 1))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._end()
            elif kind is yaml.AliasEvent:
                self._alias(event)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self._abort(
                        event.start_mark,
                        "several-documents",
                        "the file holds more than one YAML document",
                        "keep one playbook per file; remove the `---` separator",
                    )

    def _abort(self, mark: Any, rule: str, message: str, hint: str) -> NoReturn:
        raise _Abort(Problem(self.file, mark.line + 1, mark.column + 1, self._next_path(), rule, message, hint))

    def _next_path(self) -> str:
        """The field path of the node about to be added, for error messages."""
        if not self.stack:
            return ""
        frame = self.stack[-1]
        if isinstance(frame.node, YSeq):
            return join_path(frame.path, len(frame.node.items))
        key = frame.pending_key
        return join_path(frame.path, key.raw) if key is not None else frame.path

    def _check_tag(self, event: Any) -> None:
        tag = event.tag
        if tag is None or tag == "!" or tag in SAFE_TAGS:
            return
        self._abort(
            event.start_mark,
            "unsafe-tag",
            f"the tag {tag} is not allowed",
            "playbooks are data: remove the tag and write a plain value",
        )

    def _start(self, event: Any, node: YMap | YSeq) -> None:
        self._check_tag(event)
        if len(self.stack) >= MAX_DEPTH:
            self._abort(
                event.start_mark,
                "too-deep",
                f"nesting deeper than {MAX_DEPTH} levels",
                _FLATTEN,
            )
        self.stack.append(_Frame(node, event.anchor, self._next_path()))

    def _end(self) -> None:
        frame = self.stack.pop()
        node = frame.node
        if isinstance(node, YMap):
            self._apply_merges(frame)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (node, frame.size)
        self._add(node, frame.size)

    def _scalar(self, event: Any) -> None:
        self._check_tag(event)
        mark = event.start_mark
        plain = not event.style  # libyaml reports "" for plain scalars, pure Python None
        tag = event.tag
        if tag is None:
            tag = self._implicit_tag(event.value) if plain else _STR_TAG
        elif tag == "!":
            tag = _STR_TAG
        value = self._resolve(event, tag)
        scalar = YScalar(value, mark.line + 1, mark.column + 1, event.value, plain)
        if event.anchor is not None:
            self.anchors[event.anchor] = (scalar, 1)
        self._add(scalar, 1)

    def _resolve(self, event: Any, tag: str) -> Any:
        """The scalar's value for its tag: text stays text; numbers, booleans, nulls and dates are built."""
        if tag not in _SCALAR_TAGS:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.yaml_constructors[tag](self.constructor, node)
        except (ValueError, KeyError, AttributeError, TypeError, yaml.YAMLError):
            if tag.endswith(":timestamp") and event.tag is None:
                return event.value  # 2026-13-40 looks like a date but is none: keep the text
            self._abort(
                event.start_mark,
                "bad-scalar",
                f"`{event.value}` cannot be read as {tag.rsplit(':', 1)[-1]}",
                "quote the value or correct it",
            )

    def _implicit_tag(self, value: str) -> str:
        """YAML 1.1's reading of a plain scalar (PyYAML's resolver table, without its per-call overhead)."""
        for tag, pattern in self.implicit_resolvers.get(value[:1], ()):
            if pattern.match(value):
                return str(tag)
        return _STR_TAG

    def _alias(self, event: Any) -> None:
        anchored = self.anchors.get(event.anchor)
        if anchored is None:
            self._abort(
                event.start_mark,
                "yaml-syntax",
                f"unknown alias *{event.anchor}",
                "define the anchor (&name) before using it",
            )
        node, size = anchored
        self.expanded += size
        if self.expanded > MAX_ALIAS_EXPANSION:
            self._abort(
                event.start_mark,
                "alias-bomb",
                f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes",
                "write the values out, or use fewer nested aliases",
            )
        self._add(node, size)

    def _add(self, node: YNode, size: int) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        frame.size += size
        parent = frame.node
        if isinstance(parent, YSeq):
            parent.items.append(node)
            return
        if frame.pending_key is None:
            if not isinstance(node, YScalar):
                self._abort(
                    _Mark(node.line, node.column),
                    "bad-key",
                    "a mapping key must be plain text",
                    "use a simple word as the key",
                )
            frame.pending_key = node
            return
        self._add_value(frame, node)

    def _add_value(self, frame: _Frame, node: YNode) -> None:
        """A mapping's value arrived: file it under the pending key, catching duplicates and merges."""
        key = frame.pending_key
        parent = frame.node
        assert key is not None and isinstance(parent, YMap)
        frame.pending_key = None
        name = key.raw
        if name == "<<" and key.plain:
            frame.merges.append(node)
            return
        first = parent.keys.get(name)
        if first is not None:
            self.problems.append(
                Problem(
                    self.file,
                    key.line,
                    key.column,
                    join_path(frame.path, name),
                    "duplicate-key",
                    f"duplicate key `{name}` (first at line {first.line}, again at line {key.line})",
                    "YAML would silently keep only the last one; remove or rename one of them",
                )
            )
            return
        parent.keys[name] = key
        parent.items[name] = node

    def _apply_merges(self, frame: _Frame) -> None:
        target = frame.node
        assert isinstance(target, YMap)
        for merged in frame.merges:
            sources = merged.items if isinstance(merged, YSeq) else [merged]
            for source in sources:
                if not isinstance(source, YMap):
                    self._abort(
                        _Mark(source.line, source.column),
                        "bad-merge",
                        "`<<` must merge a mapping or a list of mappings",
                        "point the merge key at an anchored mapping",
                    )
                for name, value in source.items.items():
                    if name not in target.items:
                        target.items[name] = value
                        target.keys[name] = source.keys[name]


class _Mark:
    """A 0-based mark built from a node's 1-based position, for _abort."""

    def __init__(self, line: int, column: int) -> None:
        self.line = line - 1
        self.column = column - 1
