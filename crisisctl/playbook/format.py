"""Format v1 declared once: field kinds for playbooks, their conditions, and the JSON Schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crisisctl.playbook.conditions import OPERATORS
from crisisctl.playbook.fields import (
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
from crisisctl.playbook.yamlsource import FieldPath, YMap, YNode, YSeq

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


@dataclass(frozen=True)
class ConditionKind(Kind):
    """A condition tree whose leaves read either metrics (triggers) or inputs (steps)."""

    source: str  # "metric" | "input"

    @property
    def leaf(self) -> Obj:
        """A single comparison: {metric|input: NAME, op: OP, value: V}."""
        return Obj(
            f"{self.source} condition",
            {
                self.source: Field(SNAKE, required=True),
                "op": Field(Text(choices=OPERATORS, expected="a comparison operator"), required=True),
                "value": Field(_leaf_value(self.source), required=True),
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
        if op == "in" and not isinstance(value, YSeq):
            checker.report(
                value, child_path(path, "value"), "condition", "`in` compares with a list", "write value: [a, b]"
            )
            return False
        return True

    def schema(self) -> JsonSchema:
        return {"$ref": f"#/$defs/{self.definition}"}

    def definition_schema(self) -> JsonSchema:
        ref = self.schema()
        leaf = self.leaf.schema()
        # `in` compares with a list, as _check_leaf insists.
        leaf["if"] = {"properties": {"op": {"const": "in"}}}
        leaf["then"] = {"properties": {"value": {"type": "array"}}}
        return {
            "oneOf": [
                leaf,
                _group_schema("all", {"type": "array", "items": ref, "minItems": 1}),
                _group_schema("any", {"type": "array", "items": ref, "minItems": 1}),
                _group_schema("not", ref),
            ]
        }


def _group_schema(name: str, inner: JsonSchema) -> JsonSchema:
    return {
        "type": "object",
        "properties": {name: inner},
        "patternProperties": {"^x-": {}},
        "required": [name],
        "additionalProperties": False,
    }


def _condition_hint(source: str) -> str:
    return f"write {{{source}: NAME, op: '>', value: 10}} or {{any: [...]}}"


SCALED = Obj("baseline value", {"metric": Field(SNAKE, required=True), "times": Field(Scalar("number"), required=True)})


class _LeafValue(Kind):
    """A leaf's value: a scalar, a list, or (for metrics) another metric scaled by a factor."""

    def __init__(self, allow_scaled: bool) -> None:
        self.allow_scaled = allow_scaled

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
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
        plain = AnyValue().schema()
        if not self.allow_scaled:
            return plain
        return {"anyOf": [*plain["anyOf"], SCALED.schema()]}


def _leaf_value(source: str) -> Kind:
    return _LeafValue(allow_scaled=source == "metric")


METRIC_CONDITION = ConditionKind("metric")
INPUT_CONDITION = ConditionKind("input")

SEVERITY = Obj(
    "severity",
    {
        "id": Field(SLUG, required=True),
        "name": Field(PLAIN_TEXT, required=True),
        "description": Field(PLAIN_TEXT),
    },
)
TRIGGER = Obj(
    "trigger",
    {
        "id": Field(SLUG, required=True),
        "description": Field(PLAIN_TEXT),
        "when": Field(METRIC_CONDITION, required=True),
        "severity": Field(SLUG),
    },
)
INPUT = Obj(
    "input",
    {
        "id": Field(SNAKE, required=True, description="snake_case, so templates can use it as inputs.ID"),
        "type": Field(Text(choices=INPUT_TYPES, expected="an input type"), required=True),
        "prompt": Field(PLAIN_TEXT),
        "required": Field(Scalar("boolean")),
        "default": Field(AnyValue()),
        "choices": Field(ListOf(AnyValue(allow_list=False), min_items=1)),
    },
)
ROLE = Obj(
    "role",
    {
        "id": Field(SLUG, required=True),
        "title": Field(PLAIN_TEXT, required=True),
        "responsibilities": Field(TEXT_LIST),
        "required": Field(Scalar("boolean")),
    },
)
STEP = Obj(
    "step",
    {
        "id": Field(SLUG, required=True),
        "title": Field(PLAIN_TEXT, required=True),
        "phase": Field(Text(choices=PHASES, expected="a phase"), required=True),
        "role": Field(SLUG, required=True),
        "due": Field(Duration(), description="measured from the declaration of the incident (or see `after`)"),
        "after": Field(
            Text(choices=STEP_AFTER, expected="declared or resolved"),
            description="declared (the default), or resolved: follow-up work after resolution (a revisit, a"
            " satisfaction survey), due counted from the resolution and workable after the incident is closed",
        ),
        "depends_on": Field(SLUG_LIST),
        "when": Field(INPUT_CONDITION),
        "checklist": Field(TEXT_LIST),
        "communication": Field(SLUG),
        "description": Field(PLAIN_TEXT),
    },
)
COMMUNICATION = Obj(
    "communication",
    {
        "id": Field(SLUG, required=True),
        "title": Field(PLAIN_TEXT, required=True),
        "audience": Field(Text(choices=AUDIENCES, expected="an audience"), required=True),
        "channel": Field(Text(choices=CHANNELS, expected="a channel"), required=True),
        "template": Field(
            PLAIN_TEXT, required=True, description="path relative to the template directory or the playbook's folder"
        ),
        "approvals": Field(SLUG_LIST),
        "locales": Field(
            ListOf(
                Text(pattern=LOCALE_PATTERN, rule="locale", expected="a locale such as en or zh-CN"),
                min_items=1,
            )
        ),
        "due": Field(Duration()),
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
        "apiVersion": Field(Const(API_VERSION, "api-version"), required=True),
        "kind": Field(Const("Playbook", "kind"), required=True),
        "id": Field(SLUG, required=True),
        "version": Field(
            Text(
                pattern=SEMVER_PATTERN,
                rule="semver",
                expected="a semantic version MAJOR.MINOR.PATCH",
                hint='write three numbers, quoted: "1.2.0"',
            ),
            required=True,
        ),
        "title": Field(PLAIN_TEXT, required=True),
        "summary": Field(PLAIN_TEXT),
        "owner": Field(PLAIN_TEXT),
        "category": Field(Text(choices=CATEGORIES, expected="a category"), required=True),
        "tags": Field(TEXT_LIST),
        "review": Field(Obj("review", {"every": Field(Duration()), "last_reviewed": Field(Date())})),
        "drill": Field(
            Obj(
                "drill",
                {
                    "every": Field(Duration()),
                    "last_drilled": Field(Date(), description="the date of the last drill, where no log records it"),
                },
            )
        ),
        "severities": Field(ListOf(Ref("Severity", lambda: SEVERITY), min_items=1)),
        "triggers": Field(ListOf(Ref("Trigger", lambda: TRIGGER))),
        "inputs": Field(ListOf(Ref("Input", lambda: INPUT))),
        "roles": Field(ListOf(Ref("Role", lambda: ROLE), min_items=1), required=True),
        "steps": Field(ListOf(Ref("Step", lambda: STEP), min_items=1), required=True),
        "communications": Field(ListOf(Ref("Communication", lambda: COMMUNICATION))),
        "postmortem": Field(
            Obj(
                "postmortem",
                {
                    "template": Field(PLAIN_TEXT),
                    "kpis": Field(ListOf(Text(choices=KPIS, expected="a known KPI"))),
                },
            )
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
