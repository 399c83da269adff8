"""Drill scenarios are known by their `kind:`, wherever they are kept, and checked against the playbook they name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from conftest import REPO, crisisctl

SCENARIO = REPO / "playbooks" / "scenarios" / "data-leak-exposed-order-exports.yaml"


def validate(*paths: str, cwd: Path, settings: tuple[str, ...] = ()) -> tuple[int, Any]:
    result = crisisctl(*settings, "playbook", "validate", "--format", "json", *paths, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def scenario_copy(folder: Path, *, step: str = "confirm-breach") -> Path:
    """The bundled data-leak scenario in a folder of its own, its first expectation naming `step`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SCENARIO.read_text(encoding="utf-8")
    assert "  - step: confirm-breach\n" in text
    path = folder / "leak-drill.yaml"
    path.write_text(text.replace("  - step: confirm-breach\n", f"  - step: {step}\n", 1), encoding="utf-8")
    return path


def test_a_scenario_anywhere_is_checked_against_the_playbook_folder(tmp_path: Path) -> None:
    good = scenario_copy(tmp_path / "some")
    code, report = validate(str(good), cwd=REPO)  # ./playbooks is the repository's
    assert code == 0 and report["errors"] == [], report

    bad = scenario_copy(tmp_path / "other", step="confirm-breech")
    code, report = validate(str(bad), cwd=REPO)
    assert code == 1
    (error,) = report["errors"]
    assert error["rule"] == "unknown-ref" and "confirm-breech" in error["message"]
    assert error["file"].endswith("leak-drill.yaml") and error["line"] > 5  # the expectation's line, not `kind:`


def test_the_playbook_folder_flag_is_where_a_scenario_finds_its_playbook(tmp_path: Path) -> None:
    scenario = scenario_copy(tmp_path / "some")
    code, report = validate(str(scenario), cwd=tmp_path)  # no ./playbooks here
    assert code == 1 and [error["rule"] for error in report["errors"]] == ["unknown-ref"]
    settings = ("--playbooks", str(REPO / "playbooks"), "--templates", str(REPO / "templates"))
    code, report = validate(str(scenario), cwd=tmp_path, settings=settings)
    assert code == 0 and report["errors"] == [], report


def test_a_scenario_beside_the_playbooks_is_a_scenario_not_a_bad_playbook(tmp_path: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    shutil.copy(REPO / "playbooks" / "data-leak.yaml", folder)
    scenario_copy(folder)  # at the top of the folder, not in scenarios/
    settings = ("--playbooks", str(folder), "--templates", str(REPO / "templates"))
    code, report = validate(str(folder), cwd=tmp_path, settings=settings)
    assert code == 0 and report["errors"] == [] and report["playbooks"] == 1, report
    code, report = validate(str(scenario_copy(folder, step="nowhere")), cwd=tmp_path, settings=settings)
    assert code == 1 and "nowhere" in report["errors"][0]["message"]

    listed = crisisctl(*settings, "playbook", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [(row["id"], row["valid"]) for row in json.loads(listed.stdout)] == [("data-leak", True)]


def test_a_file_without_a_kind_line_in_a_scenarios_folder_is_still_a_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "drills" / "scenarios"
    path = scenario_copy(folder)
    path.write_text(path.read_text(encoding="utf-8").replace("kind: Scenario\n", ""), encoding="utf-8")
    code, report = validate(str(path), cwd=REPO)
    assert code == 1
    assert [(error["rule"], error["path"]) for error in report["errors"]] == [("missing-key", "kind")]


def test_a_lone_valid_scenario_is_counted_as_a_scenario(tmp_path: Path) -> None:
    good = scenario_copy(tmp_path / "some")
    result = crisisctl("playbook", "validate", str(good), cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "✓ 1 file(s), 0 valid playbook(s), 1 valid scenario(s): 0 error(s), 0 warning(s)" in result.stdout


def _edited_copy(folder: Path, old: str, new: str) -> Path:
    path = scenario_copy(folder)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_yaml11_boolean_for_a_text_input_is_a_surprise_with_the_quote_hint(tmp_path: Path) -> None:
    """As in a playbook: `risk_level: no` is YAML 1.1's false, not "no"; the message shows what was written."""
    scenario = _edited_copy(tmp_path / "some", "  risk_level: high\n", "  risk_level: no\n")
    code, report = validate(str(scenario), cwd=REPO)
    assert code == 1
    (error,) = report["errors"]
    assert (error["rule"], error["path"], error["message"]) == (
        "yaml11-surprise",
        "inputs.risk_level",
        "`no` is not a valid string",
    )
    assert (
        error["hint"] == 'YAML 1.1 reads unquoted `no` as the boolean false; write "no" in quotes if you mean the text'
    )


def test_a_yaml11_boolean_word_in_a_scenario_is_warned_about(tmp_path: Path) -> None:
    scenario = _edited_copy(
        tmp_path / "some", "      records_exposed: 50\n", "      records_exposed: 50\n      vpn_down: yes\n"
    )
    code, report = validate(str(scenario), cwd=REPO)
    assert code == 0 and report["errors"] == []
    (warning,) = [warning for warning in report["warnings"] if warning["file"].endswith("leak-drill.yaml")]
    assert (warning["rule"], warning["path"]) == ("yaml11-boolean", "injects[0].signals.vpn_down")
    assert warning["line"] == scenario.read_text(encoding="utf-8").splitlines().index("      vpn_down: yes") + 1
    assert warning["column"] == 17
