"""`playbook validate` warns about unquoted yes/no/on/off/y/n, which YAML 1.1 and YAML 1.2 readers disagree on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crisisctl.entry import main

CORPUS = Path(__file__).parent / "corpus"
BASE = (CORPUS / "base-playbook.yaml").read_text(encoding="utf-8")
LIST_INPUT = "  - id: regions\n    type: list\n    default: [DE, NO]\n"


def validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, dict[str, Any]]:
    playbook = tmp_path / "p.yaml"
    playbook.write_text(text, encoding="utf-8")
    code = main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(playbook), "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, report


def position(text: str, line_start: str, word: str) -> tuple[int, int]:
    """The 1-based line and column of `word` on the first line starting with `line_start`."""
    number, line = next((n, line) for n, line in enumerate(text.splitlines(), 1) if line.startswith(line_start))
    return number, line.rindex(word) + 1


def test_yes_in_a_boolean_field_is_a_warning_with_position_and_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASE.replace("    required: true\nroles:", "    required: yes\nroles:")
    code, report = validate(tmp_path, capsys, text)
    assert code == 0 and report["errors"] == []
    (warning,) = report["warnings"]
    assert warning["rule"] == "yaml11-boolean"
    assert (warning["line"], warning["column"]) == position(text, "    required: yes", "yes")
    assert warning["path"] == "inputs[0].required"
    assert "boolean true" in warning["message"] and 'the text "yes"' in warning["message"]
    assert warning["hint"] == 'write true or false for a boolean, or quote it ("yes") if you mean the text'


def test_no_in_a_condition_value_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A boolean input compared with `NO`: it works, as false, but YAML 1.2 readers see the text."""
    boolean = "  - id: payments_affected\n    type: boolean\n"
    text = BASE.replace("roles:\n", boolean + "roles:\n", 1).replace(
        "    due: 2h\n", "    due: 2h\n    when: {input: payments_affected, op: ==, value: NO}\n"
    )
    code, report = validate(tmp_path, capsys, text)
    assert code == 0
    assert [(w["rule"], w["line"], w["column"], w["path"]) for w in report["warnings"]] == [
        ("yaml11-boolean", *position(text, "    when:", "NO"), "steps[1].when.value")
    ]


def test_no_compared_with_a_list_input_is_an_error_that_says_quote_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`NO` (the country) became false, which a list of text never contains: the condition could never hold."""
    text = BASE.replace("roles:\n", LIST_INPUT.replace("[DE, NO]", '["DE"]') + "roles:\n", 1).replace(
        "    due: 2h\n", "    due: 2h\n    when: {input: regions, op: contains, value: NO}\n"
    )
    code, report = validate(tmp_path, capsys, text)
    assert code == 1 and report["warnings"] == []
    (error,) = report["errors"]
    assert (error["rule"], error["line"], error["column"]) == ("condition-type", *position(text, "    when:", "NO"))
    assert error["hint"].startswith('YAML 1.1 reads unquoted `NO` as the boolean false; write "NO" in quotes')


def test_y_and_n_are_text_to_crisisctl_but_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BASE.replace("    title: Communications lead", "    title: n")
    code, report = validate(tmp_path, capsys, text)
    assert code == 0
    (warning,) = report["warnings"]
    assert warning["rule"] == "yaml11-boolean" and warning["path"] == "roles[1].title"
    assert "text to crisisctl" in warning["message"] and "boolean false" in warning["message"]


def test_a_value_an_error_reports_is_not_warned_about_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = validate(tmp_path, capsys, BASE.replace("    title: Communications lead", "    title: no"))
    assert code == 1
    assert [error["rule"] for error in report["errors"]] == ["yaml11-surprise"]
    assert report["warnings"] == []


def test_quoted_words_keys_and_true_false_are_not_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASE.replace("roles:\n", LIST_INPUT.replace("[DE, NO]", '[DE, "NO", "yes"]') + "roles:\n", 1)
    text = text.replace("category: service-outage", "category: service-outage\nx-notes: {on: 1, off: true}")
    code, report = validate(tmp_path, capsys, text)
    assert code == 0 and report["warnings"] == []


def test_an_ignore_comment_silences_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BASE.replace("    required: true\nroles:", "    required: yes  # crisisctl: ignore[yaml11-boolean]\nroles:")
    code, report = validate(tmp_path, capsys, text)
    assert code == 0 and report["warnings"] == [] and report["suppressed"] == 1


def test_values_under_your_own_x_keys_are_not_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """crisisctl ignores `x-` keys, so what YAML makes of their values is the user's own business."""
    text = BASE.replace("kind: Playbook\n", "kind: Playbook\nx-flag: yes\nx-notes: {reviewed: no, tags: [on, off]}\n")
    text = text.replace("    due: 30m\n", "    due: 30m\n    x-paged: no\n", 1)
    code, report = validate(tmp_path, capsys, text)
    assert code == 0
    assert report["warnings"] == []
