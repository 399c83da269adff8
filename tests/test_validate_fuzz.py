"""Mutated playbooks: the validator reports problems, never raises, and stays fast."""

from __future__ import annotations

import copy
import datetime as dt
import time
from pathlib import Path
from typing import Any

import yaml
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisisctl.playbook.validate import validate_playbook
from crisisctl.playbook.yamlsource import load_text
from crisisctl.render.templatecheck import TemplateChecker

CORPUS = Path(__file__).parent / "corpus"
BASE = yaml.safe_load((CORPUS / "base-playbook.yaml").read_text(encoding="utf-8"))
CHECKER = TemplateChecker(CORPUS / "templates")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["no", "on", "1.10", "0755", "1:30", "2h", "sev1", "incident-lead", "assess", "../x.j2", "\u202e"]),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(paths(value, (*prefix, index)))
    return found


@st.composite
def mutated_playbooks(draw: st.DrawFn) -> str:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        targets = paths(data)
        path = draw(st.sampled_from(targets[1:])) if len(targets) > 1 else ()
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if not path:
            break
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        last = path[-1]
        if action == "replace":
            parent[last] = draw(values)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(values)
        else:
            parent.append(draw(values))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=draw(st.booleans()))


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_playbooks())
def test_mutated_playbooks_get_problems_not_exceptions(text: str) -> None:
    start = time.perf_counter()
    result = validate_playbook(load_text(text, "fuzz.yaml"), dt.date(2026, 11, 25))
    CHECKER.check(result.templates, result.declared, CORPUS)
    assert time.perf_counter() - start < 1.0
    assert (result.playbook is None) == bool(result.problems)
    for problem in result.problems:
        assert problem.line >= 1 and problem.column >= 1 and problem.rule and problem.message
