"""The published JSON Schema is valid, current, and agrees with the validator."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from test_corpus import CASES, CORPUS, expectation

from crisisctl.blank import is_blank
from crisisctl.entry import main
from crisisctl.playbook.format import playbook_json_schema
from crisisctl.playbook.scenario import scenario_json_schema

REPO = Path(__file__).resolve().parent.parent
CORPUS_TEMPLATES = CORPUS / "templates"
SCHEMA_FILE = REPO / "docs" / "schema" / "playbook-v1.json"
SAMPLES = sorted((REPO / "playbooks").glob("*.yaml"))

# Rules the schema can express; the others (references, templates, the loader's own limits)
# need the whole file or the file system.
SCHEMA_RULES = {
    "api-version",
    "kind",
    "unknown-key",
    "missing-key",
    "type",
    "enum",
    "slug",
    "snake-case",
    "semver",
    "duration",
    "min-items",
    "empty-value",
    "yaml11-surprise",
    "condition",
    "condition-source",
    "locale",
    "input-default",
}
# Cases of those rules that compare two fields in a way JSON Schema cannot: a default among the choices.
CROSS_FIELD = {"input-default-not-in-choices.yaml"}


def as_editor_sees(path: Path) -> Any:
    """YAML as a schema-checking editor reads it: dates stay text."""

    def stringify(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {key: stringify(item) for key, item in value.items()}
        if isinstance(value, list):
            return [stringify(item) for item in value]
        return value

    return stringify(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = playbook_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_is_valid_draft_2020_12(validator: jsonschema.Draft202012Validator) -> None:
    assert isinstance(validator.schema, dict) and validator.schema["$schema"].endswith("2020-12/schema")


def test_published_schema_files_match_the_code() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == playbook_json_schema(), "run: crisisctl playbook schema > docs/schema/playbook-v1.json"
    scenario = json.loads((SCHEMA_FILE.parent / "scenario-v1.json").read_text(encoding="utf-8"))
    assert scenario == scenario_json_schema(), (
        "run: crisisctl playbook schema --scenario > docs/schema/scenario-v1.json"
    )


SCENARIOS = sorted((REPO / "playbooks" / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[path.name for path in SCENARIOS])
def test_scenario_schema_accepts_every_sample_scenario(scenario: Path) -> None:
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    assert [error.message for error in validator.iter_errors(as_editor_sees(scenario))] == []


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 7


@pytest.mark.parametrize("sample", SAMPLES, ids=[path.name for path in SAMPLES])
def test_schema_accepts_every_sample(sample: Path, validator: jsonschema.Draft202012Validator) -> None:
    errors = [error.message for error in validator.iter_errors(as_editor_sees(sample))]
    assert errors == []


@pytest.mark.parametrize("sample", SAMPLES, ids=[path.name for path in SAMPLES])
def test_every_sample_points_editors_at_the_schema(sample: Path) -> None:
    assert sample.read_text(encoding="utf-8").splitlines()[0] == (
        "# yaml-language-server: $schema=../docs/schema/playbook-v1.json"
    )


def test_schema_accepts_the_corpus_base(validator: jsonschema.Draft202012Validator) -> None:
    assert list(validator.iter_errors(as_editor_sees(REPO / "tests" / "corpus" / "base-playbook.yaml"))) == []


STRUCTURAL = [case for case in CASES if expectation(case)[0] in SCHEMA_RULES and case.name not in CROSS_FIELD]


@pytest.mark.parametrize("case", STRUCTURAL, ids=[case.name for case in STRUCTURAL])
def test_schema_rejects_what_the_validator_rejects(case: Path, validator: jsonschema.Draft202012Validator) -> None:
    assert list(validator.iter_errors(as_editor_sees(case))), f"the schema accepts {case.name}"


def _undescribed(node: Any, where: str = "") -> list[str]:
    """Every property (and x- pattern) declared in a schema without a description an editor could show."""
    missing: list[str] = []
    if isinstance(node, dict):
        for key in ("properties", "patternProperties"):
            for name, sub in node.get(key, {}).items():
                if not (isinstance(sub, dict) and str(sub.get("description", "")).strip()):
                    missing.append(f"{where}/{key}/{name}")
        for key, value in node.items():
            if key not in ("if", "then"):  # conditions restating properties declared beside them
                missing.extend(_undescribed(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            missing.extend(_undescribed(value, f"{where}/{index}"))
    return missing


@pytest.mark.parametrize("name", ["playbook-v1", "scenario-v1", "roster-v1"])
def test_every_property_of_the_published_schemas_has_a_description_for_hover_help(name: str) -> None:
    schema = json.loads((SCHEMA_FILE.parent / f"{name}.json").read_text(encoding="utf-8"))
    assert _undescribed(schema) == []
    assert len(schema["properties"]) >= 3


# Characters that are or are not white space to one regex dialect or another (U+FEFF is space to ECMA-262's \s),
# or invisible (U+200B, U+FEFF, U+00AD).
_TEXT_CHARACTERS = " \t\r\n\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u200a\u2028\u202f\u205f\u3000\ufeff\u200b\xadx中"


@settings(max_examples=examples(60), deadline=None)
@given(title=st.text(alphabet=_TEXT_CHARACTERS, max_size=4))
def test_schema_and_validator_agree_on_which_titles_are_blank(
    title: str, validator: jsonschema.Draft202012Validator
) -> None:
    """Through `playbook validate`: the title is refused as empty-value exactly when the schema refuses it."""
    with tempfile.TemporaryDirectory() as folder:
        playbook = Path(folder) / "p.yaml"
        base = (REPO / "tests" / "corpus" / "base-playbook.yaml").read_text(encoding="utf-8")
        # A JSON string is a YAML double-quoted scalar: every character arrives as written.
        playbook.write_text(
            base.replace("title: Base playbook for the defect corpus", f"title: {json.dumps(title)}"),
            encoding="utf-8",
        )
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["--templates", str(CORPUS_TEMPLATES), "playbook", "validate", str(playbook), "--format", "json"])
        refused = [error for error in json.loads(out.getvalue())["errors"] if error["path"] == "title"]
        editor = jsonschema.Draft202012Validator(playbook_json_schema())
        schema_refuses = [
            error for error in editor.iter_errors(as_editor_sees(playbook)) if error.path == deque(["title"])
        ]
    assert [error["rule"] for error in refused] == (["empty-value"] if schema_refuses else [])
    assert bool(refused) == is_blank(title)  # a zero-width space or a byte-order mark alone is blank too


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [pattern for value in node.values() for pattern in _patterns(value)]
    if isinstance(node, list):
        return [pattern for value in node for pattern in _patterns(value)]
    return []


def _anchored_patterns() -> list[str]:
    names = ("playbook-v1", "scenario-v1", "roster-v1")
    found = {
        pattern
        for name in names
        for pattern in _patterns(json.loads((SCHEMA_FILE.parent / f"{name}.json").read_text(encoding="utf-8")))
    }
    return sorted(pattern for pattern in found if pattern.startswith("^") and "$" in pattern)


_PATTERN_SAMPLES = ("service-outage", "affected_customers", "30m", "1.2.0", "zh-CN", "2026-01-31")


def test_no_anchored_pattern_accepts_a_trailing_newline_in_python_or_ecma_262() -> None:
    """`id: "service-outage\\n"`: Python's re.search (jsonschema's) lets `$` match before a final newline."""
    import re
    import subprocess

    from realtools import program

    cases = [
        [pattern, text + ending]
        for pattern in _anchored_patterns()
        for text in _PATTERN_SAMPLES
        if re.search(pattern, text)
        for ending in ("", "\n")
    ]
    assert {pattern for pattern, _ in cases} == set(_anchored_patterns()), "every pattern matches some sample"
    python = [bool(re.search(pattern, text)) for pattern, text in cases]
    script = "console.log(JSON.stringify(JSON.parse(process.argv[1]).map(([p, t]) => new RegExp(p, 'u').test(t))))"
    node_program = program("node", "install Node.js")
    node = subprocess.run([node_program, "-e", script, json.dumps(cases)], capture_output=True, text=True, check=True)
    assert json.loads(node.stdout) == python
    assert python == [not text.endswith("\n") for _, text in cases]


def test_the_schema_s_non_blank_pattern_agrees_with_is_blank_on_every_character_of_the_plane() -> None:
    """Under Python's re and ECMA-262 alike; characters beyond U+FFFF are the documented gap (crisisctl/blank.py)."""
    import re
    import subprocess

    from realtools import program

    pattern = playbook_json_schema()["properties"]["title"]["pattern"]
    characters = "".join(chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)
    python = "".join("1" if re.search(pattern, ch) else "0" for ch in characters)
    assert python == "".join("0" if is_blank(ch) else "1" for ch in characters)
    script = (
        "const [p, text] = JSON.parse(require('fs').readFileSync(0, 'utf8')); const r = new RegExp(p, 'u');"
        "process.stdout.write(Array.from(text, (ch) => (r.test(ch) ? '1' : '0')).join(''))"
    )
    node = subprocess.run(
        [program("node", "install Node.js"), "-e", script],
        input=json.dumps([pattern, characters]),
        capture_output=True,
        text=True,
        check=True,
    )
    assert node.stdout == python


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(-10, 10, allow_nan=False),
    st.sampled_from(["abc", "2026-01-31", "", "10"]),
)
_LEAF_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=2), st.just({"metric": "baseline", "times": 3}))


@settings(max_examples=examples(80), deadline=None)
@given(
    source=st.sampled_from(["metric", "input"]),
    op=st.sampled_from([">", ">=", "<", "<=", "==", "!=", "in", "contains"]),
    value=_LEAF_VALUES,
)
def test_schema_and_validator_agree_on_which_comparisons_can_work(source: str, op: str, value: Any) -> None:
    """Through `playbook validate`: a condition leaf's shape is refused exactly when the schema refuses it (whether
    the value fits the input's type, `condition-type`, is a cross-field rule only validate sees)."""
    leaf = json.dumps({source: "affected_customers", "op": op, "value": value})
    base = (REPO / "tests" / "corpus" / "base-playbook.yaml").read_text(encoding="utf-8")
    if source == "metric":
        text = base.replace(
            "category: service-outage\n", f"category: service-outage\ntriggers:\n  - id: t\n    when: {leaf}\n"
        )
    else:
        text = base.replace("    due: 2h\n", f"    due: 2h\n    when: {leaf}\n", 1)
    assert text != base, "the corpus base has the line the condition is put after"
    with tempfile.TemporaryDirectory() as folder:
        playbook = Path(folder) / "p.yaml"
        playbook.write_text(text, encoding="utf-8")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["--templates", str(CORPUS_TEMPLATES), "playbook", "validate", str(playbook), "--format", "json"])
        errors = json.loads(out.getvalue())["errors"]
        editor = jsonschema.Draft202012Validator(playbook_json_schema())
        schema_errors = list(editor.iter_errors(as_editor_sees(playbook)))
    assert [error["rule"] for error in errors if error["rule"] != "condition-type"] == (
        ["condition"] if schema_errors else []
    ), (errors, [error.message for error in schema_errors])
