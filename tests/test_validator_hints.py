"""The hints `playbook validate` gives for two common slips: a dashed id after a dot in a template, and a comparison
operator written without quotes, which YAML reads as syntax of its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crisisctl.entry import main

CORPUS = Path(__file__).parent / "corpus"
BASE = (
    (CORPUS / "base-playbook.yaml")
    .read_text(encoding="utf-8")
    .replace("  - id: comms-lead\n", "  - id: partner-manager\n    title: Partner manager\n  - id: comms-lead\n")
)


def validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], playbook: str, template: str) -> list[dict[str, Any]]:
    """The errors of the playbook, with base/notice.md.j2 holding `template`."""
    (tmp_path / "templates" / "base").mkdir(parents=True, exist_ok=True)
    (tmp_path / "templates" / "base" / "notice.md.j2").write_text(template, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(playbook, encoding="utf-8")
    args = ["--templates", str(tmp_path / "templates"), "playbook", "validate", str(tmp_path / "p.yaml")]
    code = main([*args, "--format", "json"])
    errors: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["errors"]
    assert code == (1 if errors else 0)
    return errors


@pytest.mark.parametrize(
    "template",
    ["Dear {{ roles.partner-manager }}", "{% if roles.partner-manager %}Call your partner manager.{% endif %}"],
)
def test_a_dashed_role_after_a_dot_is_one_problem_whose_hint_writes_brackets(
    template: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (error,) = validate(tmp_path, capsys, BASE, template)
    assert error["rule"] == "template-variable"
    assert "uses `roles.partner-manager`, which Jinja reads as `roles.partner` minus `manager`" in error["message"]
    assert error["hint"] == "write `roles['partner-manager']` (a name with a dash needs brackets and quotes)"


def test_the_text_output_shows_the_bracket_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    validate(tmp_path, capsys, BASE, "{{ roles.partner-manager }}")
    main(["--templates", str(tmp_path / "templates"), "playbook", "validate", str(tmp_path / "p.yaml")])
    assert "hint: write `roles['partner-manager']`" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("template", "written", "suggested"),
    [
        ("{{ roles.partner_manager }}", "roles.partner_manager", "roles['partner-manager']"),
        ("{{ roles['partner-manger'] }}", "roles['partner-manger']", "roles['partner-manager']"),
        ("{{ roles.incident_lead }}", "roles.incident_lead", "roles['incident-lead']"),
    ],
)
def test_a_suggested_dashed_role_is_written_with_brackets(
    template: str, written: str, suggested: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (error,) = validate(tmp_path, capsys, BASE, template)
    assert f"uses `{written}`, which is not among the playbook's roles" in error["message"]
    assert error["hint"] == f"did you mean `{suggested}`?"


def test_a_dashed_input_is_pointed_at_its_snake_case_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (error,) = validate(tmp_path, capsys, BASE, "{{ inputs.affected-customers }} accounts")
    assert "`inputs.affected-customers`, which Jinja reads as `inputs.affected` minus `customers`" in error["message"]
    assert error["hint"] == "write `inputs.affected_customers`"


def test_a_real_subtraction_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = "{% set handled = 10 %}{{ inputs.affected_customers - handled }} left; {{ roles['partner-manager'] }}"
    assert validate(tmp_path, capsys, BASE, template) == []


BLOCK_WHEN = "    due: 2h\n    when:\n      input: affected_customers\n      op: OP\n      value: 5\n"


def with_operator(written: str, flow: bool = False) -> str:
    when = (
        f"    due: 2h\n    when: {{ input: affected_customers, op: {written}, value: 5 }}\n"
        if flow
        else BLOCK_WHEN.replace("OP", written)
    )
    return BASE.replace("    due: 2h\n", when)


def test_an_operator_yaml_read_as_an_empty_block_gets_the_hint_to_quote_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (error,) = validate(tmp_path, capsys, with_operator(">"), "Hello")
    assert (error["rule"], error["path"]) == ("empty-value", "steps[1].when.op")
    assert error["hint"] == 'write the operator in quotes, op: ">" (unquoted, YAML reads it as syntax of its own)'


@pytest.mark.parametrize(
    ("written", "flow", "rule", "quoted"),
    [
        (">=", False, "yaml-syntax", ">="),
        ("> 5", False, "yaml-syntax", ">"),
        (">", True, "yaml-syntax", ">"),
        ("!=", False, "unsafe-tag", "!="),
    ],
)
def test_an_operator_yaml_cannot_read_gets_the_hint_to_quote_it(
    written: str, flow: bool, rule: str, quoted: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (error,) = validate(tmp_path, capsys, with_operator(written, flow), "Hello")
    assert error["rule"] == rule
    assert error["hint"].startswith(f'write the operator in quotes, op: "{quoted}"')


def test_a_quoted_operator_is_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(tmp_path, capsys, with_operator('">="'), "Hello") == []


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("scenario", "kinds are case-sensitive: write `kind: Scenario`"),
        ("playbook", "kinds are case-sensitive: write `kind: Playbook`"),
        ("Runbook", "write `kind: Playbook`, or `kind: Scenario` for a drill scenario"),
    ],
)
def test_a_wrong_kind_gets_a_hint_that_works_where_the_file_is(
    kind: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kind: Scenario` works in any folder: the hint does not send the file to a scenarios/ folder."""
    (error,) = validate(tmp_path, capsys, BASE.replace("kind: Playbook", f"kind: {kind}", 1), "Hello")
    assert error["rule"] == "kind" and error["hint"].startswith(hint), error
    assert "scenarios/ folder" not in error["hint"]


def test_an_empty_default_is_called_empty_not_a_misfit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`default:` with nothing after it is null: the message says so, rather than "`` does not fit"."""
    playbook = BASE.replace("    required: true\nroles:", "    required: true\n    default:\nroles:")
    (error,) = validate(tmp_path, capsys, playbook, "Notice")
    assert (error["rule"], error["path"], error["message"]) == (
        "input-default",
        "inputs[0].default",
        "`default` is empty (null)",
    )
    assert error["hint"] == "write a value that fits the type integer, or remove it"
