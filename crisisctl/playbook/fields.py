"""Field kinds: one declaration of the format that both checks files and emits JSON Schema.

Each kind checks a located YAML node, reporting problems with the node's
position, and describes itself as a JSON Schema fragment. `format.py` composes
them into the playbook and scenario formats, so the validator and the published
schema cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from msgspec import Struct, field

from crisisctl.blank import BLANK_CHARACTERS, is_blank
from crisisctl.errors import Problem
from crisisctl.playbook.durations import DURATION_PATTERN, parse_duration
from crisisctl.playbook.yamlsource import FieldPath, YMap, YNode, YScalar, YSeq, render_path
from crisisctl.suggest import did_you_mean, listing

JsonSchema = dict[str, Any]

# A character that is not blank, as is_blank() sees it (see crisisctl/blank.py for what the schema cannot say).
NOT_BLANK = f"[^{BLANK_CHARACTERS}]"

OWN_KEYS: JsonSchema = {"description": "your own key (x-...): kept and ignored by crisisctl"}
API_VERSION_HELP = "the format version: crisisctl/v1"


def child_path(path: FieldPath, key: str | int) -> FieldPath:
    """A field path that is only written out when a problem needs it.

    Checking a thousand playbooks walks a million fields; formatting each one's path as text
    (`steps[3].depends_on[0]`) cost more than the checks that almost never report.
    """
    return (path, key)


class Checker:
    """Collects problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def report(self, node: YNode | None, path: FieldPath, rule: str, message: str, hint: str | None = None) -> None:
        line, column = (node.line, node.column) if node is not None else (1, 1)
        self.problems.append(Problem(self.file, line, column, render_path(path), rule, message, hint))


def describe(node: YNode) -> str:
    """What YAML made of a node, in words a playbook author understands."""
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    value = node.value
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    return "text"


def surprise_hint(node: YScalar) -> str | None:
    """Explain YAML 1.1's reading of an unquoted value that was probably meant as text.

    Only readings that lose what was written count: `no` as false, `0755` as 493,
    `1:30` as 90, `1.10` as 1.1, `2026-01-01` as a date. A plain `90` is just a number.
    """
    if not node.plain or isinstance(node.value, str):
        return None
    raw = node.raw
    value = node.value
    if isinstance(value, bool):
        if raw.lower() in ("true", "false"):
            return None
        reading = f"the boolean {str(value).lower()}"
    elif isinstance(value, int | float) and ":" in raw:
        reading = f"a base-60 number ({value})"
    elif isinstance(value, int) and re.fullmatch(r"[-+]?0[0-7_]+", raw):
        reading = f"an octal number ({value})"
    elif isinstance(value, int | float):
        if str(value) == raw:
            return None
        reading = f"the number {value}"
    elif isinstance(value, dt.date):
        reading = "a date"
    else:
        return None
    return f'YAML 1.1 reads unquoted `{raw}` as {reading}; write "{raw}" in quotes if you mean the text'


class Kind:
    """A kind of value in the format."""

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        raise NotImplementedError

    def schema(self) -> JsonSchema:
        raise NotImplementedError


class Text(Struct, Kind, frozen=True, dict=True):
    """A string, optionally matching a pattern or one of a set of words."""

    pattern: str | None = None
    rule: str = "pattern"
    expected: str = "text"
    choices: tuple[str, ...] = ()
    non_empty: bool = True
    description: str = ""
    hint: str | None = None
    empty_hint: str = "write a value"

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if not isinstance(node, YScalar) or not isinstance(node.value, str):
            hint = surprise_hint(node) if isinstance(node, YScalar) else None
            if hint:
                checker.report(node, path, "yaml11-surprise", f"expected {self.expected}, found {describe(node)}", hint)
            elif isinstance(node, YScalar) and node.value is not None and (self.pattern or self.choices):
                rule = "enum" if self.choices else self.rule
                fits_as_text = self.pattern is not None and re.fullmatch(self.pattern, node.raw)
                hint = f'write it in quotes: "{node.raw}"' if fits_as_text else self.hint or _quote_hint(self)
                checker.report(node, path, rule, f"`{node.raw}` is not {self.expected}", hint)
            else:
                checker.report(
                    node, path, "type", f"expected {self.expected}, found {describe(node)}", _quote_hint(self)
                )
            return False
        value = node.value
        if self.non_empty and is_blank(value):
            checker.report(node, path, "empty-value", f"{self.expected} must not be empty", self.empty_hint)
            return False
        if self.choices and value not in self.choices:
            hint = did_you_mean(value, self.choices) or "one of: " + listing(self.choices)
            checker.report(node, path, "enum", f"`{value}` is not {self.expected}", hint)
            return False
        if self.regex is not None and not self.regex.fullmatch(value):
            checker.report(
                node, path, self.rule, f"`{value}` is not {self.expected}", self.hint or f"it must match {self.pattern}"
            )
            return False
        return True

    @functools.cached_property
    def regex(self) -> re.Pattern[str] | None:
        return re.compile(self.pattern) if self.pattern else None

    def schema(self) -> JsonSchema:
        out: JsonSchema = {"type": "string"}
        if self.choices:
            out["enum"] = list(self.choices)
        if self.pattern:
            # `$(?!\n)`: Python's re.search (jsonschema's) lets `$` match before a final newline; ECMA-262 does not.
            out["pattern"] = f"^(?:{self.pattern})$(?!\\n)"
        if self.non_empty and not self.choices and not self.pattern:
            out["pattern"] = NOT_BLANK  # unanchored: somewhere a character that is not white space
        if self.description:
            out["description"] = self.description
        return out


def _quote_hint(kind: Text) -> str:
    if kind.choices:
        return "one of: " + listing(kind.choices)
    return f"write {kind.expected}"


class Const(Struct, Kind, frozen=True):
    """Exactly one string."""

    value: str
    rule: str

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if isinstance(node, YScalar) and node.value == self.value:
            return True
        found = f"`{node.raw}`" if isinstance(node, YScalar) else describe(node)
        checker.report(
            node,
            path,
            self.rule,
            f"{render_path(path)} must be `{self.value}`, found {found}",
            f"write `{render_path(path)}: {self.value}`",
        )
        return False

    def schema(self) -> JsonSchema:
        return {"const": self.value}


class Scalar(Struct, Kind, frozen=True):
    """A boolean, integer or number."""

    type_name: str  # "boolean" | "integer" | "number"

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        value = node.value if isinstance(node, YScalar) else None
        ok = isinstance(node, YScalar) and _fits_scalar(self.type_name, value)
        if not ok:
            hint = "quote nothing; write true or false" if self.type_name == "boolean" else f"write a {self.type_name}"
            checker.report(node, path, "type", f"expected a {self.type_name}, found {describe(node)}", hint)
            return False
        return True

    def schema(self) -> JsonSchema:
        return {"type": self.type_name}


def _fits_scalar(type_name: str, value: Any) -> bool:
    if type_name == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if type_name == "integer":
        return isinstance(value, int)
    return isinstance(value, int | float)


class Date(Struct, Kind, frozen=True):
    """A calendar date YYYY-MM-DD, quoted or not."""

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if isinstance(node, YScalar):
            if isinstance(node.value, dt.date) and not isinstance(node.value, dt.datetime):
                return True
            if isinstance(node.value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.value):
                try:
                    dt.date.fromisoformat(node.value)
                    return True
                except ValueError:
                    checker.report(node, path, "date", f"`{node.value}` is not a real date", "check the month and day")
                    return False
        checker.report(
            node, path, "date", f"expected a date YYYY-MM-DD, found {describe(node)}", "for example 2026-09-30"
        )
        return False

    def schema(self) -> JsonSchema:
        return {"type": "string", "format": "date"}


class AnyValue(Struct, Kind, frozen=True):
    """A scalar or a list of scalars (defaults, condition values)."""

    allow_list: bool = True

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if isinstance(node, YScalar):
            return True
        if isinstance(node, YSeq) and self.allow_list and all(isinstance(item, YScalar) for item in node.items):
            return True
        checker.report(node, path, "type", f"expected a value or a list of values, found {describe(node)}", None)
        return False

    def schema(self) -> JsonSchema:
        scalar: JsonSchema = {"type": ["string", "number", "boolean", "null"]}
        if not self.allow_list:
            return scalar
        return {"anyOf": [scalar, {"type": "array", "items": scalar}]}


class ListOf(Struct, Kind, frozen=True):
    """A list whose items are all of one kind."""

    item: Kind
    min_items: int = 0

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if not isinstance(node, YSeq):
            checker.report(
                node,
                path,
                "type",
                f"expected a list, found {describe(node)}",
                "write a YAML list (`- item` lines or `[a, b]`)",
            )
            return False
        if len(node.items) < self.min_items:
            checker.report(node, path, "min-items", f"needs at least {self.min_items} item(s)", None)
            return False
        ok = True
        for index, item in enumerate(node.items):
            ok = self.item.check(item, child_path(path, index), checker) and ok
        return ok

    def schema(self) -> JsonSchema:
        out: JsonSchema = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        return out


class MapOf(Struct, Kind, frozen=True):
    """A mapping from free names to values of one kind."""

    key: Text
    value: Kind

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if not isinstance(node, YMap):
            checker.report(node, path, "type", f"expected a mapping, found {describe(node)}", None)
            return False
        ok = True
        for name, value in node.items.items():
            key_path = child_path(path, name)
            ok = self.key.check(node.keys[name], key_path, checker) and ok
            ok = self.value.check(value, key_path, checker) and ok
        return ok

    def schema(self) -> JsonSchema:
        return {
            "type": "object",
            "propertyNames": self.key.schema(),
            "additionalProperties": self.value.schema(),
        }


class Field(Struct, frozen=True):
    kind: Kind
    required: bool = False
    description: str = ""


class Obj(Struct, Kind, frozen=True, dict=True):
    """A mapping with a fixed set of keys; unknown keys are errors unless they start with x-."""

    name: str
    fields: dict[str, Field] = field(default_factory=dict)

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if not isinstance(node, YMap):
            where = render_path(path) or "the top level"
            checker.report(
                node,
                path,
                "type",
                f"{where} must be a mapping, found {describe(node)}",
                f"write the {self.name} as `key: value` lines",
            )
            return False
        ok = True
        fields = self.fields
        for name, value in node.items.items():
            spec = fields.get(name)
            if spec is not None:
                ok = spec.kind.check(value, child_path(path, name), checker) and ok
            elif not name.startswith("x-"):
                hint = did_you_mean(name, fields) or "known keys: " + listing(fields)
                checker.report(
                    node.keys[name], child_path(path, name), "unknown-key", f"unknown key `{name}` in {self.name}", hint
                )
                ok = False
        for name in self.required:
            if name not in node.items:
                checker.report(
                    node,
                    child_path(path, name),
                    "missing-key",
                    f"{self.name} is missing the required key `{name}`",
                    f"add `{name}:`",
                )
                ok = False
        return ok

    @functools.cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.fields.items() if spec.required)

    def schema(self) -> JsonSchema:
        properties: JsonSchema = {}
        for name, spec in self.fields.items():
            fragment = dict(spec.kind.schema())
            if spec.description:
                fragment["description"] = spec.description
            properties[name] = fragment
        out: JsonSchema = {
            "type": "object",
            "properties": properties,
            "patternProperties": {"^x-": OWN_KEYS},
            "additionalProperties": False,
        }
        if self.required:
            out["required"] = list(self.required)
        return out


class Ref(Struct, Kind, frozen=True):
    """A named definition, emitted once under $defs; `target` is filled in lazily for recursion."""

    name: str
    target: Callable[[], Kind]

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        return self.target().check(node, path, checker)

    def schema(self) -> JsonSchema:
        return {"$ref": f"#/$defs/{self.name}"}


class Duration(Text, frozen=True):
    """A v1 duration, at most ten years."""

    pattern: str | None = DURATION_PATTERN
    rule: str = "duration"
    expected: str = "a duration such as 30m, 2h, 3d or 1w"
    hint: str | None = "write a whole number and one unit (s, m, h, d, w): 45m, not `45 minutes` or `1h30m`"

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if not super().check(node, path, checker):
            return False
        assert isinstance(node, YScalar)
        try:
            parse_duration(node.value)
        except ValueError:
            checker.report(node, path, "duration", f"`{node.value}` is longer than ten years", "check the number")
            return False
        return True
