"""Hostile input fuzzed: conditions, signals and scenario files never raise anything but crisisctl's own errors.

CI runs a short pass. For a long run (nightly), set HYPOTHESIS_PROFILE=nightly:
    HYPOTHESIS_PROFILE=nightly .venv/bin/python -m pytest -q tests/test_fuzz.py tests/test_validate_fuzz.py
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisisctl.errors import CrisisError
from crisisctl.playbook.conditions import OPERATORS, condition_from_data, evaluate
from crisisctl.playbook.scenario import validate_scenario
from crisisctl.playbook.validate import validate_playbook
from crisisctl.playbook.yamlsource import load_bytes, load_file, load_text

REPO = Path(__file__).resolve().parent.parent
PLAYBOOKS = {
    result.playbook.id: result.playbook
    for path in sorted((REPO / "playbooks").glob("*.yaml"))
    if (result := validate_playbook(load_file(path), dt.date(2026, 11, 25))).playbook is not None
}
SCENARIOS = [yaml.safe_load(path.read_text()) for path in sorted((REPO / "playbooks" / "scenarios").glob("*.yaml"))]

names = st.sampled_from(["a", "b", "rate", "rate_baseline", "missing"])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True), st.text(max_size=8)
)
leaf_values = st.one_of(
    scalars, st.lists(scalars, max_size=3), st.fixed_dictionaries({"metric": names, "times": scalars})
)
leaves = st.fixed_dictionaries({"metric": names, "op": st.sampled_from(OPERATORS), "value": leaf_values})
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"not": inner}),
    ),
    max_leaves=10,
)
signal_maps = st.dictionaries(names, scalars, max_size=5)


@settings(max_examples=examples(300), deadline=None)
@given(conditions, signal_maps)
def test_conditions_evaluate_any_values_as_data(data: dict[str, Any], signals: dict[str, Any]) -> None:
    try:
        condition = condition_from_data(data)
    except (TypeError, ValueError):
        return  # a baseline `times` that is not a number never gets past the validator
    result = evaluate(condition, signals)
    assert isinstance(result.holds, bool)
    assert result.missing <= {"a", "b", "rate", "rate_baseline", "missing"}


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=1024))
def test_signals_files_of_any_bytes_load_or_give_problems(data: bytes) -> None:
    start = time.perf_counter()
    loaded = load_bytes(data, "signals.yaml")
    assert loaded.document is not None or loaded.problems
    assert time.perf_counter() - start < 1.0


def mutate(draw: st.DrawFn, data: Any) -> Any:
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        if not isinstance(data, dict) or not data:
            break
        key = draw(st.sampled_from(sorted(data)))
        choice = draw(st.sampled_from(["replace", "delete", "nested"]))
        if choice == "replace":
            data[key] = draw(
                st.one_of(
                    scalars, st.lists(scalars, max_size=2), st.dictionaries(st.text(max_size=5), scalars, max_size=2)
                )
            )
        elif choice == "delete":
            del data[key]
        elif isinstance(data[key], list) and data[key]:
            index = draw(st.integers(0, len(data[key]) - 1))
            item = data[key][index]
            if isinstance(item, dict) and item:
                inner = draw(st.sampled_from(sorted(item)))
                item[inner] = draw(scalars)
    return data


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> str:
    return yaml.safe_dump(mutate(draw, draw(st.sampled_from(SCENARIOS))), allow_unicode=True)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_scenarios())
def test_mutated_scenarios_get_problems_not_exceptions(text: str) -> None:
    start = time.perf_counter()
    result = validate_scenario(load_text(text, "scenario.yaml"), PLAYBOOKS)
    assert (result.scenario is None) == bool(result.problems)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("raw", ["--at", "+1h", "x=y", "\x00", "\u202e", "9" * 400, "[" * 500])
def test_cli_values_never_crash(raw: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from crisisctl.entry import main

    base = [
        "--db",
        str(tmp_path / "log.sqlite3"),
        "--playbooks",
        str(REPO / "playbooks"),
        "--templates",
        str(REPO / "templates"),
    ]
    for args in (
        ["declare", "service-outage", "--input", f"affected_service={raw}", "--at", raw],
        ["note", raw, raw],
        ["show", raw],
        ["check", "-"],
    ):
        try:
            code = main([*base, *args])
        except CrisisError:  # pragma: no cover - main turns them into exit codes
            pytest.fail("a CrisisError escaped main()")
        assert code in (0, 1, 2, 4)
        assert "Traceback" not in capsys.readouterr().err
