"""Format v1 declared once: field kinds for playbooks, their conditions, and the JSON Schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from crisisctl.numbers import MAX_EXACT_INTEGER
from crisisctl.playbook.conditions import OPERATORS, ORDERING
from crisisctl.playbook.fields import (
    API_VERSION_HELP,
    OWN_KEYS,
    AnyValue,
    Checker,
    Const,
    Date,
    Duration,
    Field,
    JsonSchema,
    Kind,
    ListOf,
    Obj,
    Ref,
    Scalar,
    Text,
    child_path,
    describe,
)
from crisisctl.playbook.inputtypes import fits_input_type
from crisisctl.playbook.vocabulary import (
    API_VERSION,
    AUDIENCES,
    CATEGORIES,
    CHANNELS,
    INPUT_TYPES,
    KPIS,
    LOCALE_PATTERN,
    PHASES,
    SEMVER_PATTERN,
    SLUG_PATTERN,
    SNAKE_PATTERN,
    STEP_AFTER,
    UPDATES_UNTIL,
)
from crisisctl.playbook.yamlsource import FieldPath, YMap, YNode, YScalar, YSeq, quote_operator_hint

SLUG = Text(
    pattern=SLUG_PATTERN,
    rule="slug",
    expected="a slug (lower-case letters, digits, hyphens)",
    hint="use lower-case letters, digits and hyphens, starting with a letter or digit: customer-notice",
)
SNAKE = Text(
    pattern=SNAKE_PATTERN,
    rule="snake-case",
    expected="a snake_case name",
    hint="use lower-case letters, digits and underscores, starting with a letter: affected_customers",
)
PLAIN_TEXT = Text()
TEXT_LIST = ListOf(PLAIN_TEXT)
SLUG_LIST = ListOf(SLUG)
# An operator written bare: `op: >` starts a folded block of text, empty here (`op: >=`, a malformed one, is a
# syntax error with the same hint).
OPERATOR_QUOTES = quote_operator_hint(">")


class ConditionKind(Struct, Kind, frozen=True):
    """A condition tree whose leaves read either metrics (triggers) or inputs (steps)."""

    source: str  # "metric" | "input"

    @property
    def leaf(self) -> Obj:
        """A single comparison: {metric|input: NAME, op: OP, value: V}."""
        return Obj(
            f"{self.source} condition",
            {
                self.source: Field(SNAKE, required=True, description=_LEAF_NAME[self.source]),
                "op": Field(
                    Text(choices=OPERATORS, expected="a comparison operator", empty_hint=OPERATOR_QUOTES),
                    required=True,
                    description='the comparison: >, >=, <, <=, ==, !=, in, contains; write it in quotes (op: ">"),'
                    " since YAML reads a bare > as the start of a block of text",
                ),
                "value": Field(_leaf_value(self.source), required=True, description=_LEAF_VALUE[self.source]),
            },
        )

    @property
    def definition(self) -> str:
        return f"{self.source.capitalize()}Condition"

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if not isinstance(node, YMap):
            checker.report(
                node,
                path,
                "condition",
                f"expected a condition mapping, found {describe(node)}",
                _condition_hint(self.source),
            )
            return False
        groups = [key for key in ("all", "any", "not") if key in node.items]
        if groups:
            return self._check_group(node, groups, path, checker)
        return self._check_leaf(node, path, checker)

    def _check_group(self, node: YMap, groups: Sequence[str], path: FieldPath, checker: Checker) -> bool:
        extra = [key for key in node.items if key not in groups and not key.startswith("x-")]
        if len(groups) > 1 or extra:
            checker.report(
                node,
                path,
                "condition",
                "a condition group holds exactly one of all, any or not",
                "nest groups instead of combining them",
            )
            return False
        group = groups[0]
        inner = node.items[group]
        inner_path = child_path(path, group)
        if group == "not":
            return self.check(inner, inner_path, checker)
        return ListOf(self, min_items=1).check(inner, inner_path, checker)

    def _check_leaf(self, node: YMap, path: FieldPath, checker: Checker) -> bool:
        other = "input" if self.source == "metric" else "metric"
        if other in node.items and self.source not in node.items:
            where = "trigger" if self.source == "metric" else "step"
            checker.report(
                node.keys[other],
                child_path(path, other),
                "condition-source",
                f"{where} conditions use `{self.source}` leaves, not `{other}`",
                "triggers compare signals (metric); steps compare the incident's facts (input)",
            )
            return False
        if not self.leaf.check(node, path, checker):
            return False
        op = node.items["op"].value  # type: ignore[union-attr]
        value = node.items["value"]
        if op == "in" and not (isinstance(value, YSeq) and value.items):
            found = "an empty list" if isinstance(value, YSeq) else describe(value)
            checker.report(
                value,
                child_path(path, "value"),
                "condition",
                f"`in` compares with a list of at least one value, found {found}",
                "write value: [a, b]",
            )
            return False
        if op in ORDERING and not self._orderable(value):
            checker.report(
                value,
                child_path(path, "value"),
                "condition",
                f"`{op}` compares numbers{' or dates' if self.source == 'input' else ''}, found {describe(value)}",
                _ORDERING_HINT[self.source],
            )
            return False
        return True

    def _orderable(self, value: YNode) -> bool:
        """What `>` can compare with: a number; a baseline (metric) or a date (input; the input's type decides)."""
        if isinstance(value, YMap):
            return self.source == "metric"
        if not isinstance(value, YScalar):
            return False
        if isinstance(value.value, int | float) and not isinstance(value.value, bool):
            return True
        return self.source == "input" and fits_input_type(value.value, "date")

    def schema(self) -> JsonSchema:
        return {"$ref": f"#/$defs/{self.definition}"}

    def definition_schema(self) -> JsonSchema:
        ref = self.schema()
        leaf = self.leaf.schema()
        # `in` compares with a non-empty list, `>` and the like with numbers (or baselines, or dates), as _check_leaf
        # insists.
        orderable: list[JsonSchema] = [{"type": "number"}]
        orderable.append({"type": "object"} if self.source == "metric" else INPUT_VALUE_SCHEMAS["date"])
        leaf["allOf"] = [
            {
                "if": {"properties": {"op": {"const": "in"}}, "required": ["op"]},
                "then": {"properties": {"value": {"type": "array", "minItems": 1}}},
            },
            {
                "if": {"properties": {"op": {"enum": sorted(ORDERING)}}, "required": ["op"]},
                "then": {"properties": {"value": {"anyOf": orderable}}},
            },
        ]
        return {
            "oneOf": [
                leaf,
                _group_schema("all", {"type": "array", "items": ref, "minItems": 1}),
                _group_schema("any", {"type": "array", "items": ref, "minItems": 1}),
                _group_schema("not", ref),
            ]
        }


_LEAF_NAME = {
    "metric": "the signal to compare, as named in the signals given to crisisctl check",
    "input": "the input to compare: one declared under inputs",
}
_LEAF_VALUE = {
    "metric": "what to compare with: a value, a list (for in), or {metric, times}: another signal scaled",
    "input": "what to compare with: a value, or a list (for in)",
}
_GROUP_DESCRIPTIONS = {
    "all": "true when every condition listed is true",
    "any": "true when at least one condition listed is true",
    "not": "true when the condition given is false",
}


_ORDERING_HINT = {
    "metric": "write a number (value: 10), or a baseline ({metric: NAME, times: 3})",
    "input": "write a number (value: 10), or an unquoted date (value: 2026-01-31) for a date input",
}


def _group_schema(name: str, inner: JsonSchema) -> JsonSchema:
    return {
        "type": "object",
        "properties": {name: inner | {"description": _GROUP_DESCRIPTIONS[name]}},
        "patternProperties": {"^x-": OWN_KEYS},
        "required": [name],
        "additionalProperties": False,
    }


def _condition_hint(source: str) -> str:
    return f"write {{{source}: NAME, op: '>', value: 10}} or {{any: [...]}}"


SCALED = Obj(
    "baseline value",
    {
        "metric": Field(SNAKE, required=True, description="the baseline signal"),
        "times": Field(Scalar("number"), required=True, description="the factor the baseline is multiplied by"),
    },
)


class _LeafValue(Kind):
    """A leaf's value: a scalar, a list, or (for metrics) another metric scaled by a factor."""

    def __init__(self, allow_scaled: bool) -> None:
        self.allow_scaled = allow_scaled

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if isinstance(node, YScalar) and node.value is None:
            checker.report(
                node, path, "condition", "a comparison with nothing (null) never holds", "write the value to compare"
            )
            return False
        if isinstance(node, YMap):
            if not self.allow_scaled:
                checker.report(
                    node,
                    path,
                    "condition",
                    "a step condition compares with a plain value",
                    "baselines ({metric, times}) belong in triggers",
                )
                return False
            return SCALED.check(node, path, checker)
        return AnyValue().check(node, path, checker)

    def schema(self) -> JsonSchema:
        scalar, values = AnyValue().schema()["anyOf"]
        not_null = {"type": [name for name in scalar["type"] if name != "null"]}
        return {"anyOf": [not_null, values, *([SCALED.schema()] if self.allow_scaled else [])]}


def _leaf_value(source: str) -> Kind:
    return _LeafValue(allow_scaled=source == "metric")


METRIC_CONDITION = ConditionKind("metric")
INPUT_CONDITION = ConditionKind("input")

SEVERITY = Obj(
    "severity",
    {
        "id": Field(SLUG, required=True, description="the level's id (a slug), as triggers and declare name it"),
        "name": Field(PLAIN_TEXT, required=True, description="the level's name, such as Critical"),
        "description": Field(PLAIN_TEXT, description="when this level applies"),
    },
)
TRIGGER = Obj(
    "trigger",
    {
        "id": Field(SLUG, required=True, description="the trigger's id (a slug), unique in the playbook"),
        "description": Field(PLAIN_TEXT, description="what the trigger detects"),
        "when": Field(METRIC_CONDITION, required=True, description="the condition on signals (metric leaves)"),
        "severity": Field(SLUG, description="the severity it suggests: a declared severity id"),
    },
)
# What an input's value is, by its declared type, as an editor reads it (a date is text there). Numbers stop at 2^53,
# what the log keeps exactly. A gap: JSON has one kind of number, so the schema takes 2.0 for an integer.
_EXACT = {"minimum": -MAX_EXACT_INTEGER, "maximum": MAX_EXACT_INTEGER}
INPUT_VALUE_SCHEMAS: dict[str, JsonSchema] = {
    "string": {"type": "string"},
    "integer": {"type": "integer", **_EXACT},
    "number": {"type": "number", **_EXACT},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$(?!\n)"},
    "list": {"type": "array", "items": {"type": "string"}},
}


class InputKind(Obj, frozen=True):
    """An input: its `default` and `choices` fit its `type` (validate says so in _References, the schema here)."""

    def schema(self) -> JsonSchema:
        out = super().schema()
        out["allOf"] = [
            {
                "if": {"properties": {"type": {"const": type_name}}, "required": ["type"]},
                "then": {
                    "properties": {
                        "default": value,
                        "choices": {"items": INPUT_VALUE_SCHEMAS["string"] if type_name == "list" else value},
                    }
                },
            }
            for type_name, value in INPUT_VALUE_SCHEMAS.items()
        ]
        return out


INPUT = InputKind(
    "input",
    {
        "id": Field(SNAKE, required=True, description="snake_case, so templates can use it as inputs.ID"),
        "type": Field(
            Text(choices=INPUT_TYPES, expected="an input type"),
            required=True,
            description="string, integer, number, boolean, date (YYYY-MM-DD) or list",
        ),
        "prompt": Field(PLAIN_TEXT, description="the question asked at declaration"),
        "required": Field(Scalar("boolean"), description="true: an incident cannot be declared without it"),
        "default": Field(AnyValue(), description="the value when none is given; it must fit the type"),
        "choices": Field(ListOf(AnyValue(allow_list=False), min_items=1), description="the values allowed"),
    },
)
ROLE = Obj(
    "role",
    {
        "id": Field(SLUG, required=True, description="the role's id (a slug): templates write roles['ID']"),
        "title": Field(PLAIN_TEXT, required=True, description="the role's name, such as Incident lead"),
        "responsibilities": Field(TEXT_LIST, description="what the holder of the role does"),
        "required": Field(Scalar("boolean"), description="true: the role must be held during an incident"),
    },
)
STEP = Obj(
    "step",
    {
        "id": Field(SLUG, required=True, description="the step's id (a slug), unique in the playbook"),
        "title": Field(PLAIN_TEXT, required=True, description="what is done, as an instruction"),
        "phase": Field(
            Text(choices=PHASES, expected="a phase"),
            required=True,
            description="detect, respond, contain, recover or review",
        ),
        "role": Field(SLUG, required=True, description="the role that owns the step: a declared role id"),
        "due": Field(Duration(), description="measured from the declaration of the incident (or see `after`)"),
        "after": Field(
            Text(choices=STEP_AFTER, expected="declared or resolved"),
            description="declared (the default), or resolved: follow-up work after resolution (a revisit, a"
            " satisfaction survey), due counted from the resolution and workable after the incident is closed",
        ),
        "depends_on": Field(SLUG_LIST, description="the steps that must be done first (step ids)"),
        "when": Field(
            INPUT_CONDITION, description="the condition on inputs that makes the step apply; otherwise not applicable"
        ),
        "checklist": Field(TEXT_LIST, description="the items to tick off while doing the step"),
        "communication": Field(SLUG, description="the communication this step sends: a declared communication id"),
        "description": Field(PLAIN_TEXT, description="more on how to do the step"),
    },
)
COMMUNICATION = Obj(
    "communication",
    {
        "id": Field(SLUG, required=True, description="the communication's id (a slug), unique in the playbook"),
        "title": Field(PLAIN_TEXT, required=True, description="what the notice is, such as Notice to customers"),
        "audience": Field(
            Text(choices=AUDIENCES, expected="an audience"),
            required=True,
            description="customers, internal, regulator, media, partners or key-accounts",
        ),
        "channel": Field(
            Text(choices=CHANNELS, expected="a channel"),
            required=True,
            description="email, sms, social, web, hotline-script, press or letter",
        ),
        "template": Field(
            PLAIN_TEXT, required=True, description="path relative to the template directory or the playbook's folder"
        ),
        "approvals": Field(SLUG_LIST, description="the roles that must approve before it is sent (role ids)"),
        "locales": Field(
            ListOf(
                Text(pattern=LOCALE_PATTERN, rule="locale", expected="a locale such as en or zh-CN"),
                min_items=1,
            ),
            description="the languages it is sent in, first the default; name.LOCALE.ext.j2 is used when it exists",
        ),
        "due": Field(Duration(), description="when it must be sent, measured from the declaration"),
        "four_eyes": Field(
            Scalar("boolean"),
            description="true (the default): the person who drafted a notice cannot be its only approver",
        ),
        "every": Field(
            Duration(),
            description="send numbered updates: the next one is due this long after the last was sent",
        ),
        "until": Field(
            Text(choices=UPDATES_UNTIL, expected="resolved or closed"),
            description="with every: updates are due until the incident is resolved (the default) or closed",
        ),
    },
)
PLAYBOOK = Obj(
    "playbook",
    {
        "apiVersion": Field(Const(API_VERSION, "api-version"), required=True, description=API_VERSION_HELP),
        "kind": Field(Const("Playbook", "kind"), required=True, description="Playbook"),
        "id": Field(SLUG, required=True, description="the playbook's id (a slug), unique across the playbook set"),
        "version": Field(
            Text(
                pattern=SEMVER_PATTERN,
                rule="semver",
                expected="a semantic version MAJOR.MINOR.PATCH",
                hint='write three numbers, quoted: "1.2.0"',
            ),
            required=True,
            description='the playbook\'s semantic version MAJOR.MINOR.PATCH, quoted: "1.2.0"',
        ),
        "title": Field(PLAIN_TEXT, required=True, description="the playbook's name"),
        "summary": Field(PLAIN_TEXT, description="the crisis it is for, in a sentence"),
        "owner": Field(PLAIN_TEXT, description="who keeps it current: a person or team, often an email address"),
        "category": Field(
            Text(choices=CATEGORIES, expected="a category"), required=True, description="the kind of crisis"
        ),
        "tags": Field(TEXT_LIST, description="free words to find the playbook by"),
        "review": Field(
            Obj(
                "review",
                {
                    "every": Field(Duration(), description="how often the playbook is reviewed, such as 180d"),
                    "last_reviewed": Field(Date(), description="the date of the last review, YYYY-MM-DD"),
                },
            ),
            description="how often the playbook is reviewed; validate warns when a review is overdue",
        ),
        "drill": Field(
            Obj(
                "drill",
                {
                    "every": Field(Duration(), description="how often the playbook is rehearsed, such as 365d"),
                    "last_drilled": Field(Date(), description="the date of the last drill, where no log records it"),
                },
            ),
            description="how often the playbook is rehearsed in a drill",
        ),
        "severities": Field(
            ListOf(Ref("Severity", lambda: SEVERITY), min_items=1),
            description="the severity levels, most severe first; default sev1 Critical to sev4 Low",
        ),
        "triggers": Field(
            ListOf(Ref("Trigger", lambda: TRIGGER)), description="conditions on signals that suggest this playbook"
        ),
        "inputs": Field(ListOf(Ref("Input", lambda: INPUT)), description="the facts captured at declaration"),
        "roles": Field(
            ListOf(Ref("Role", lambda: ROLE), min_items=1), required=True, description="who does what (at least one)"
        ),
        "steps": Field(
            ListOf(Ref("Step", lambda: STEP), min_items=1), required=True, description="the work, with deadlines"
        ),
        "communications": Field(
            ListOf(Ref("Communication", lambda: COMMUNICATION)), description="the notices sent, with approvals"
        ),
        "postmortem": Field(
            Obj(
                "postmortem",
                {
                    "template": Field(PLAIN_TEXT, description="a report template; a built-in report otherwise"),
                    "kpis": Field(
                        ListOf(Text(choices=KPIS, expected="a known KPI")), description="the KPIs the report shows"
                    ),
                },
            ),
            description="the post-mortem report",
        ),
    },
)

_DEFINITIONS: dict[str, Kind] = {
    "Severity": SEVERITY,
    "Trigger": TRIGGER,
    "Input": INPUT,
    "Role": ROLE,
    "Step": STEP,
    "Communication": COMMUNICATION,
}


def playbook_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of format v1, built from the same kinds the validator runs."""
    definitions: dict[str, Any] = {name: kind.schema() for name, kind in _DEFINITIONS.items()}
    for condition in (METRIC_CONDITION, INPUT_CONDITION):
        definitions[condition.definition] = condition.definition_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:crisisctl:schema:playbook-v1",
        "title": "crisisctl playbook (format v1)",
        "description": "A crisis playbook: triggers, roles, steps with deadlines and communications.",
        **PLAYBOOK.schema(),
        "$defs": definitions,
    }
