"""Condition trees of format v1, evaluated as data: nothing in a playbook runs as code."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from msgspec import Struct

OPERATORS = (">", ">=", "<", "<=", "==", "!=", "in", "contains")

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda left, right: left in right,
    "contains": lambda left, right: right in left,
}


class Scaled(Struct, frozen=True):
    """Another metric multiplied by a factor: a baseline such as three times normal."""

    metric: str
    times: float


class Leaf(Struct, frozen=True):
    """Compare one metric (triggers) or input (steps) with a value."""

    source: str  # "metric" | "input"
    name: str
    op: str
    value: Any  # scalar, tuple for `in`, or Scaled


class AllOf(Struct, frozen=True):
    items: tuple[Condition, ...]


class AnyOf(Struct, frozen=True):
    items: tuple[Condition, ...]


class NotOf(Struct, frozen=True):
    item: Condition


Condition: TypeAlias = Leaf | AllOf | AnyOf | NotOf


class Evaluation(Struct, frozen=True):
    """Whether a condition holds, which names it needed but did not get, and which it could not compare."""

    holds: bool
    missing: frozenset[str]
    unusable: frozenset[str] = frozenset()  # present, but not a value the comparison can use (text for `>`)


def condition_from_data(data: Mapping[str, Any]) -> Condition:
    """Build a condition from validated plain data."""
    if "all" in data:
        return AllOf(tuple(condition_from_data(item) for item in data["all"]))
    if "any" in data:
        return AnyOf(tuple(condition_from_data(item) for item in data["any"]))
    if "not" in data:
        return NotOf(condition_from_data(data["not"]))
    source = "metric" if "metric" in data else "input"
    value = data["value"]
    if isinstance(value, Mapping):
        value = Scaled(value["metric"], float(value["times"]))
    elif isinstance(value, list):
        value = tuple(value)
    return Leaf(source, data[source], data["op"], value)


def evaluate(condition: Condition, values: Mapping[str, Any]) -> Evaluation:
    """Evaluate against metric or input values; a missing or unusable value makes its leaf false."""
    if isinstance(condition, Leaf):
        return _compare(condition, values)[0]
    if isinstance(condition, NotOf):
        inner = evaluate(condition.item, values)
        return Evaluation(not inner.holds, inner.missing, inner.unusable)
    results = [evaluate(item, values) for item in condition.items]
    missing = frozenset().union(*(result.missing for result in results))
    unusable = frozenset().union(*(result.unusable for result in results))
    combine = all if isinstance(condition, AllOf) else any
    return Evaluation(combine(result.holds for result in results), missing, unusable)


ORDERING = frozenset({">", ">=", "<", "<="})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(leaf: Leaf, values: Mapping[str, Any]) -> tuple[Evaluation, Any]:
    """The leaf's evaluation, and what its value was compared with (None when a baseline could not be used)."""
    missing: set[str] = set()
    left = values.get(leaf.name)
    if left is None:
        missing.add(leaf.name)
    right = leaf.value
    if isinstance(right, Scaled):
        base = values.get(right.metric)
        if base is None:
            missing.add(right.metric)
        elif not _is_number(base):
            return Evaluation(False, frozenset(missing), frozenset({right.metric})), None  # a baseline must be a number
        else:
            right = base * right.times
    if isinstance(right, Scaled):
        return Evaluation(False, frozenset(missing)), None
    if left is None:
        return Evaluation(False, frozenset(missing)), right
    if leaf.op in ORDERING and _is_number(right) and not _is_number(left):
        return Evaluation(False, frozenset(missing), frozenset({leaf.name})), right  # "0.5" or true is not a number
    try:
        holds = bool(_COMPARE[leaf.op](left, right))
    except TypeError:
        return Evaluation(False, frozenset(missing), frozenset({leaf.name})), right
    return Evaluation(holds, frozenset(missing)), right


class Comparison(Struct, frozen=True):
    """One leaf as evaluated: the value given (None when missing), what it was compared with, whether it held."""

    leaf: Leaf
    value: Any
    threshold: Any  # the leaf's value, or the baseline times its factor (None when the baseline is missing or text)
    baseline: Any  # the baseline metric's value when the leaf compares with one, else None
    holds: bool


def explain(condition: Condition, values: Mapping[str, Any]) -> list[Comparison]:
    """The comparisons that decide the condition's outcome: for one that holds, the values that made it hold.

    Under `all` and `any`, the items whose outcome is the whole's decide it (every item of an `all` that
    holds; the items of an `any` that hold); `not` passes on its item's deciding comparisons, which then
    did not hold.
    """
    return _explained(condition, values)[1]


def _explained(condition: Condition, values: Mapping[str, Any]) -> tuple[bool, list[Comparison]]:
    if isinstance(condition, Leaf):
        evaluation, threshold = _compare(condition, values)
        base = values.get(condition.value.metric) if isinstance(condition.value, Scaled) else None
        comparison = Comparison(condition, values.get(condition.name), threshold, base, evaluation.holds)
        return evaluation.holds, [comparison]
    if isinstance(condition, NotOf):
        holds, deciding = _explained(condition.item, values)
        return not holds, deciding
    results = [_explained(item, values) for item in condition.items]
    combine = all if isinstance(condition, AllOf) else any
    holds = combine(result[0] for result in results)
    return holds, [comparison for held, deciding in results if held == holds for comparison in deciding]


def names(condition: Condition) -> set[str]:
    """Every metric or input name a condition reads, baselines included."""
    if isinstance(condition, Leaf):
        baseline = {condition.value.metric} if isinstance(condition.value, Scaled) else set()
        return {condition.name} | baseline
    if isinstance(condition, NotOf):
        return names(condition.item)
    return set().union(*(names(item) for item in condition.items))
