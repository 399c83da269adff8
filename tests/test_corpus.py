"""Each file in corpus/playbooks holds one defect; its first line says which rule and where.

A case is one file whose first line reads `# expect: RULE at LINE:COLUMN`. Adding
a case is adding such a file; the tests below discover it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crisisctl.entry import main

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted((CORPUS / "playbooks").glob("*.y*ml"))
EXPECT = re.compile(rb"# expect: ([a-z0-9-]+) at (\d+):(\d+)")


def expectation(case: Path) -> tuple[str, int, int]:
    match = EXPECT.match(case.read_bytes())
    assert match, f"{case.name} must start with `# expect: RULE at LINE:COLUMN`"
    return match.group(1).decode(), int(match.group(2)), int(match.group(3))


def run_validate(case: Path, report_format: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        ["--templates", str(CORPUS / "templates"), "playbook", "validate", str(case), "--format", report_format]
    )
    return code, capsys.readouterr().out


def test_corpus_has_many_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_defect_is_reported_with_rule_and_position_as_json(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule, line, column = expectation(case)
    code, out = run_validate(case, "json", capsys)
    assert code == 1
    errors = json.loads(out)["errors"]
    found = [(error["rule"], error["line"], error["column"]) for error in errors]
    assert (rule, line, column) in found, f"expected {rule} at {line}:{column}, got {found}"
    assert all(error["file"].endswith(case.name) for error in errors)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_defect_is_reported_in_text_github_and_sarif(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule, line, column = expectation(case)
    code, text = run_validate(case, "text", capsys)
    assert code == 1
    assert f"{line}:{column}" in text and f"[{rule}]" in text
    code, github = run_validate(case, "github", capsys)
    assert code == 1
    assert f"line={line},col={column}::[{rule}]" in github
    code, sarif = run_validate(case, "sarif", capsys)
    assert code == 1
    results = json.loads(sarif)["runs"][0]["results"]
    regions = [(result["ruleId"], result["locations"][0]["physicalLocation"]["region"]) for result in results]
    assert (rule, {"startLine": line, "startColumn": column}) in regions
