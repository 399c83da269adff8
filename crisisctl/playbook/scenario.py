"""Drill scenarios (`kind: Scenario`): declared once with field kinds, checked against their playbook."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from msgspec import Struct, field

from crisisctl.errors import Problem
from crisisctl.playbook.durations import parse_duration
from crisisctl.playbook.fields import (
    API_VERSION_HELP,
    AnyValue,
    Checker,
    Const,
    Duration,
    Field,
    JsonSchema,
    Kind,
    ListOf,
    MapOf,
    Obj,
    Text,
    describe,
)
from crisisctl.playbook.format import PLAIN_TEXT, SLUG, SNAKE
from crisisctl.playbook.inputtypes import fits_input_type
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.validate import text_surprise, yaml11_boolean_warnings
from crisisctl.playbook.vocabulary import API_VERSION
from crisisctl.playbook.yamlsource import FieldPath, LoadedYaml, YMap, YNode, YScalar, YSeq, join_path, plain_value
from crisisctl.suggest import did_you_mean, listing

INJECT = Obj(
    "inject",
    {
        "at": Field(Duration(), required=True, description="from the start of the drill"),
        "message": Field(PLAIN_TEXT, required=True, description="what the facilitator tells the team"),
        "signals": Field(
            MapOf(SNAKE, AnyValue(allow_list=False)), description="signal values at this moment, as check reads them"
        ),
        "inputs": Field(MapOf(SNAKE, AnyValue()), description="facts the inject changes: set when it fires"),
    },
)
STEP_EXPECTATION = Obj(
    "step expectation",
    {
        "step": Field(SLUG, required=True, description="the step expected done"),
        "by": Field(Duration(), required=True, description="by when, from the start of the drill"),
    },
)
COMM_EXPECTATION = Obj(
    "communication expectation",
    {
        "communication": Field(SLUG, required=True, description="the communication expected sent"),
        "sent_by": Field(Duration(), required=True, description="by when, from the start of the drill"),
    },
)


class ExpectationKind(Kind):
    """Either {step, by} or {communication, sent_by}."""

    def check(self, node: YNode, path: FieldPath, checker: Checker) -> bool:
        if isinstance(node, YMap) and "communication" in node.items:
            return COMM_EXPECTATION.check(node, path, checker)
        if isinstance(node, YMap) and "step" in node.items:
            return STEP_EXPECTATION.check(node, path, checker)
        checker.report(
            node,
            path,
            "expectation",
            f"an expectation names a step or a communication, found {describe(node)}",
            "write {step: ID, by: 4h} or {communication: ID, sent_by: 12h}",
        )
        return False

    def schema(self) -> JsonSchema:
        return {"oneOf": [STEP_EXPECTATION.schema(), COMM_EXPECTATION.schema()]}


SCENARIO = Obj(
    "scenario",
    {
        "apiVersion": Field(Const(API_VERSION, "api-version"), required=True, description=API_VERSION_HELP),
        "kind": Field(Const("Scenario", "kind"), required=True, description="Scenario"),
        "id": Field(SLUG, required=True, description="the scenario's id (a slug)"),
        "playbook": Field(SLUG, required=True, description="id of the playbook being rehearsed"),
        "title": Field(PLAIN_TEXT, required=True, description="the scenario's name"),
        "description": Field(PLAIN_TEXT, description="the story of the drill"),
        "inputs": Field(MapOf(SNAKE, AnyValue()), description="the incident's inputs, as at declaration"),
        "roles": Field(MapOf(SLUG, Text(expected="a person")), description="who plays which role"),
        "injects": Field(ListOf(INJECT), description="what happens during the drill, and when"),
        "expectations": Field(ListOf(ExpectationKind()), description="what the team should have done by when"),
    },
)


def scenario_json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:crisisctl:schema:scenario-v1",
        "title": "crisisctl drill scenario (format v1)",
        **SCENARIO.schema(),
    }


class Inject(Struct, frozen=True):
    at: dt.timedelta
    message: str
    signals: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)  # JSON-ready, as the log keeps input values


class Expectation(Struct, frozen=True):
    kind: str  # "step" | "communication"
    target: str
    by: dt.timedelta


class Scenario(Struct, frozen=True):
    id: str
    playbook: str
    title: str
    inputs: dict[str, Any]
    roles: dict[str, str]
    injects: tuple[Inject, ...]
    expectations: tuple[Expectation, ...]
    source: str = ""
    sha256: str = ""
    text: str = ""  # the file as read; equal texts have equal sha256, which is compared first


class ValidatedScenario(Struct):
    file: str
    scenario: Scenario | None
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)


def validate_scenario(loaded: LoadedYaml, playbooks: dict[str, Playbook]) -> ValidatedScenario:
    """Structure first, then every reference into the scenario's playbook."""
    result = ValidatedScenario(loaded.file, None, list(loaded.problems))
    document = loaded.document
    if document is None:
        return result
    checker = Checker(loaded.file)
    SCENARIO.check(document, "", checker)
    playbook_node = document.items.get("playbook")
    playbook_id = playbook_node.value if isinstance(playbook_node, YScalar) else None
    playbook = playbooks.get(playbook_id) if isinstance(playbook_id, str) else None
    if isinstance(playbook_id, str) and playbook is None:
        checker.report(
            playbook_node,
            "playbook",
            "unknown-ref",
            f"no valid playbook with id `{playbook_id}`",
            did_you_mean(playbook_id, playbooks) or "the playbook must exist and pass validation",
        )
    if playbook is not None:
        _check_references(document, playbook, checker)
    _check_inject_order(document, checker)
    result.problems.extend(checker.problems)
    if loaded.yaml11_words:
        result.warnings.extend(yaml11_boolean_warnings(document, loaded.file, result.problems))
    if not result.problems:
        result.scenario = build_scenario(plain_value(document), loaded)
    result.problems.sort(key=Problem.sort_key)
    return result


def _check_references(document: YMap, playbook: Playbook, checker: Checker) -> None:
    inputs = document.items.get("inputs")
    _check_input_values(inputs, "inputs", playbook, checker)
    given = inputs.items if isinstance(inputs, YMap) else {}
    for declared in playbook.inputs:
        if declared.required and declared.default is None and declared.id not in given:
            checker.report(
                inputs if isinstance(inputs, YMap) else document,
                join_path("inputs", declared.id),
                "missing-input",
                f"the playbook requires input `{declared.id}`",
                f"add `{declared.id}:` under inputs",
            )
    injects = document.items.get("injects")
    for index, inject in enumerate(injects.items if isinstance(injects, YSeq) else []):
        if isinstance(inject, YMap):
            _check_input_values(inject.items.get("inputs"), f"injects[{index}].inputs", playbook, checker)
    roles = document.items.get("roles")
    if isinstance(roles, YMap):
        known = [role.id for role in playbook.roles]
        for name in roles.items:
            if name not in known:
                checker.report(
                    roles.keys[name],
                    join_path("roles", name),
                    "unknown-ref",
                    f"the playbook has no role `{name}`",
                    did_you_mean(name, known) or "roles: " + listing(known),
                )
    expectations = document.items.get("expectations")
    if isinstance(expectations, YSeq):
        steps = [step.id for step in playbook.steps]
        comms = [comm.id for comm in playbook.communications]
        for index, item in enumerate(expectations.items):
            if not isinstance(item, YMap):
                continue
            for field_name, known_ids, noun in (("step", steps, "step"), ("communication", comms, "communication")):
                named = item.items.get(field_name)
                if isinstance(named, YScalar) and isinstance(named.value, str) and named.value not in known_ids:
                    checker.report(
                        named,
                        f"expectations[{index}].{field_name}",
                        "unknown-ref",
                        f"the playbook has no {noun} `{named.value}`",
                        did_you_mean(named.value, known_ids) or f"{noun}s: " + listing(known_ids),
                    )


def _check_input_values(inputs: YNode | None, path: str, playbook: Playbook, checker: Checker) -> None:
    """Each named input must be declared by the playbook, and its value fit the input's type and choices."""
    if not isinstance(inputs, YMap):
        return
    declared_inputs = {declared.id: declared for declared in playbook.inputs}
    for name, node in inputs.items.items():
        value_path = join_path(path, name)
        declared = declared_inputs.get(name)
        if declared is None:
            checker.report(
                inputs.keys[name],
                value_path,
                "unknown-ref",
                f"the playbook has no input `{name}`",
                did_you_mean(name, declared_inputs) or "declared inputs: " + listing(declared_inputs),
            )
        elif not fits_input_type(plain_value(node), declared.type):
            surprise = text_surprise(node, declared.type)
            checker.report(
                node,
                value_path,
                "yaml11-surprise" if surprise else "input-type",
                f"`{node.raw if isinstance(node, YScalar) else plain_value(node)}` is not a valid {declared.type}",
                surprise or f"input {name} is declared as {declared.type}",
            )
        elif declared.choices:
            values = plain_value(node) if declared.type == "list" else [plain_value(node)]
            outside = [value for value in values if value not in declared.choices]
            if outside:
                checker.report(
                    node,
                    value_path,
                    "input-type",
                    f"`{outside[0]}` is not one of the choices for {name}",
                    "choose from: " + listing(declared.choices),
                )


def _check_inject_order(document: YMap, checker: Checker) -> None:
    injects = document.items.get("injects")
    if not isinstance(injects, YSeq):
        return
    previous: dt.timedelta | None = None
    for index, item in enumerate(injects.items):
        at = item.items.get("at") if isinstance(item, YMap) else None
        if not isinstance(at, YScalar) or not isinstance(at.value, str):
            continue
        try:
            moment = parse_duration(at.value)
        except ValueError:
            continue
        if previous is not None and moment < previous:
            checker.report(
                at,
                f"injects[{index}].at",
                "inject-order",
                f"inject at {at.value} comes after a later one",
                "list injects in time order",
            )
        previous = moment


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _jsonable_inputs(inputs: dict[str, Any] | None) -> dict[str, Any]:
    return {name: _jsonable(value) for name, value in (inputs or {}).items()}


def build_scenario(data: dict[str, Any], loaded: LoadedYaml) -> Scenario:
    return Scenario(
        id=data["id"],
        playbook=data["playbook"],
        title=data["title"],
        inputs=_jsonable_inputs(data.get("inputs")),
        roles=dict(data.get("roles") or {}),
        injects=tuple(
            Inject(
                parse_duration(item["at"]),
                item["message"],
                dict(item.get("signals") or {}),
                _jsonable_inputs(item.get("inputs")),
            )
            for item in data.get("injects") or []
        ),
        expectations=tuple(
            Expectation("step", item["step"], parse_duration(item["by"]))
            if "step" in item
            else Expectation("communication", item["communication"], parse_duration(item["sent_by"]))
            for item in data.get("expectations") or []
        ),
        source=loaded.file,
        sha256=hashlib.sha256(loaded.text.encode("utf-8")).hexdigest(),
        text=loaded.text,
    )
