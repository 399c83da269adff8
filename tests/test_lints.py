"""The warnings of `playbook validate` about timing and notices, and inline ignores, through the real command.

Each file in corpus/warnings holds one defect of an otherwise valid playbook; its first line says which
warning and where (`# expect: RULE at LINE:COLUMN`), as in corpus/playbooks for errors.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace, crisisctl

from crisisctl.entry import main
from crisisctl.playbook.rules import RULE_BY_ID, WARNING_RULES

CORPUS = Path(__file__).parent / "corpus"
BASE = (CORPUS / "base-playbook.yaml").read_text(encoding="utf-8")
CASES = sorted((CORPUS / "warnings").glob("*.yaml"))
EXPECT = re.compile(r"# expect: ([a-z0-9-]+) at (\d+):(\d+)")
LINT_RULES = {
    "due-before-dependency",
    "notice-due-before-step",
    "regulator-clock",
    "notice-locale-missing",
    "notice-input-unset",
    "sms-length",
    "drill-banner",
    "ignore-unknown-rule",
}


def validate(capsys: pytest.CaptureFixture[str], path: Path, report_format: str, templates: Path | None = None) -> str:
    code = main(
        [
            "--templates",
            str(templates or CORPUS / "templates"),
            "playbook",
            "validate",
            str(path),
            "--format",
            report_format,
        ]
    )
    assert code == 0  # warnings never fail
    return capsys.readouterr().out


def warnings_of(
    capsys: pytest.CaptureFixture[str], path: Path, templates: Path | None = None
) -> list[dict[str, object]]:
    report = json.loads(validate(capsys, path, "json", templates))
    assert report["errors"] == []
    warnings: list[dict[str, object]] = report["warnings"]
    return warnings


def sarif_of(capsys: pytest.CaptureFixture[str], path: Path, templates: Path | None = None) -> dict[str, Any]:
    sarif: dict[str, Any] = json.loads(validate(capsys, path, "sarif", templates))
    return sarif


def assert_sarif_structure(sarif: dict[str, Any]) -> list[dict[str, Any]]:
    """What the SARIF tests check of every report: 2.1.0, rules indexed, a located result each."""
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning")
        assert result["message"]["text"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        for suppression in result.get("suppressions", []):
            assert suppression == {"kind": "inSource"}
    results: list[dict[str, Any]] = run["results"]
    return results


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_warning_is_reported_with_rule_and_position_in_every_format(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    match = EXPECT.match(case.read_text(encoding="utf-8"))
    assert match is not None, f"{case.name} must start with `# expect: RULE at LINE:COLUMN`"
    rule, line, column = match.group(1), int(match.group(2)), int(match.group(3))
    found = [(w["rule"], w["line"], w["column"]) for w in warnings_of(capsys, case)]
    assert (rule, line, column) in found, f"expected {rule} at {line}:{column}, got {found}"
    text = validate(capsys, case, "text")
    assert f"{line}:{column}  warning" in text and f"[{rule}]" in text
    github = validate(capsys, case, "github")
    assert "::warning file=" in github and f"{case.name},line={line},col={column}::[{rule}]" in github
    results = assert_sarif_structure(sarif_of(capsys, case))
    regions = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]) for r in results]
    assert (rule, "warning", {"startLine": line, "startColumn": column}) in regions


def test_every_warning_case_is_otherwise_clean(capsys: pytest.CaptureFixture[str]) -> None:
    """One defect per case: the base playbook gives no warning, so each case's warnings are its defect's."""
    base = CORPUS / "base-playbook.yaml"
    assert warnings_of(capsys, base) == []
    matches = [EXPECT.match(case.read_text(encoding="utf-8")) for case in CASES]
    covered = {match.group(1) for match in matches if match is not None}
    assert covered >= LINT_RULES - {"sms-length"}  # SMS lengths are measured below, at their limits


def test_the_bundled_playbooks_give_none_of_these_warnings(in_repo: Path) -> None:
    result = crisisctl("playbook", "validate", "--format", "json", cwd=in_repo)
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert [w for w in report["warnings"] if w["rule"] in LINT_RULES] == []
    assert report["suppressed"] == 0


def test_the_message_shows_the_chain_that_binds_a_step(capsys: pytest.CaptureFixture[str]) -> None:
    case = CORPUS / "warnings" / "due-before-dependency-through-a-step-without-due.yaml"
    (warning,) = warnings_of(capsys, case)
    assert warning["path"] == "steps[2].due"
    assert "due at +1h" in str(warning["message"]) and "close-out -> notify -> assess" in str(warning["message"])
    assert "+4h" in str(warning["hint"])


def test_timing_warnings_are_reported_beside_a_template_error_and_notice_warnings_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As docs/playbook-format.md says: the dues do not depend on the templates; the notice lint renders them."""
    playbook = tmp_path / "p.yaml"
    # notify is due before assess; its notice names an undeclared input and carries no drill banner
    playbook.write_text(BASE.replace("due: 30m", "due: 3h").replace("base/notice.md.j2", "undeclared/input.md.j2"))
    code = main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(playbook), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and [e["rule"] for e in report["errors"]] == ["template-variable"]
    assert [w["rule"] for w in report["warnings"]] == ["due-before-dependency"]  # no drill-banner


def test_a_due_that_leaves_room_for_the_chain_is_not_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = tmp_path / "p.yaml"
    # notify due exactly when assess is: the plan is tight, not impossible
    playbook.write_text(BASE.replace("due: 30m", "due: 2h"), encoding="utf-8")
    assert warnings_of(capsys, playbook) == []
    playbook.write_text(BASE.replace("due: 30m", "due: 121m"), encoding="utf-8")
    assert [w["rule"] for w in warnings_of(capsys, playbook)] == ["due-before-dependency"]


def test_a_follow_up_steps_due_counts_from_the_resolution_not_from_its_declared_dependencies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    survey = (
        "  - id: survey\n    title: Survey\n    phase: review\n    role: comms-lead\n    after: resolved\n"
        "    due: 1h\n    depends_on: [notify]\ncommunications:\n"
    )
    playbook = tmp_path / "p.yaml"
    # notify is due 2h after the declaration, the survey 1h after the resolution: no conflict
    playbook.write_text(BASE.replace("communications:\n", survey), encoding="utf-8")
    assert warnings_of(capsys, playbook) == []
    revisit = (
        "  - id: revisit\n    title: Revisit\n    phase: review\n    role: comms-lead\n    after: resolved\n"
        "    due: 3h\n    depends_on: [notify]\n" + survey.replace("[notify]", "[revisit]")
    )
    playbook.write_text(BASE.replace("communications:\n", revisit), encoding="utf-8")
    (warning,) = warnings_of(capsys, playbook)
    assert warning["rule"] == "due-before-dependency" and "revisit" in str(warning["message"])
    assert "due at +1h after the resolution" in str(warning["message"])
    assert "follow-up dues count from the resolution" in str(warning["hint"])
    assert "from the declaration" not in str(warning["hint"])


FOLLOW_UP_NOTICE = (
    "  - id: survey\n    title: Survey\n    phase: review\n    role: comms-lead\n    after: resolved\n"
    "    due: 7d\n    communication: survey-notice\ncommunications:\n"
    "  - id: survey-notice\n    title: Survey results\n    audience: customers\n    channel: email\n"
    "    template: base/notice.md.j2\n    due: 3d\n"
)


def test_a_notice_sent_only_by_follow_up_work_is_timed_from_the_resolution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = tmp_path / "p.yaml"
    playbook.write_text(BASE.replace("communications:\n", FOLLOW_UP_NOTICE), encoding="utf-8")
    (warning,) = warnings_of(capsys, playbook)
    assert (warning["rule"], warning["path"]) == ("notice-due-before-step", "communications[0].due")
    assert "due at +72h after the resolution" in str(warning["message"])
    assert "done by +7d after the resolution" in str(warning["message"])
    playbook.write_text(BASE.replace("communications:\n", FOLLOW_UP_NOTICE.replace("due: 3d", "due: 8d")))
    assert warnings_of(capsys, playbook) == []


def test_a_regulator_notice_sent_only_by_follow_up_work_is_off_the_regulators_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = tmp_path / "p.yaml"
    text = FOLLOW_UP_NOTICE.replace("audience: customers", "audience: regulator").replace("due: 3d", "due: 72h")
    playbook.write_text(BASE.replace("communications:\n", text.replace("due: 7d", "due: 1d")), encoding="utf-8")
    (warning,) = warnings_of(capsys, playbook)
    assert (warning["rule"], warning["path"]) == ("regulator-clock", "communications[0]")
    assert "only follow-up work" in str(warning["message"]) and "step of the response" in str(warning["hint"])


def test_a_notice_of_the_response_is_not_met_by_a_quicker_follow_up_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """notify (due 2h from the declaration) sends the notice, due 90m; a follow-up step sending it 1h after the
    resolution does not make that deadline reachable: the two clocks are not compared."""
    recap = (
        "  - id: recap\n    title: Recap\n    phase: review\n    role: comms-lead\n    after: resolved\n"
        "    due: 1h\n    communication: customer-notice\ncommunications:\n"
    )
    text = BASE.replace("    approvals: [incident-lead]\n", "    approvals: [incident-lead]\n    due: 90m\n")
    playbook = tmp_path / "p.yaml"
    playbook.write_text(text.replace("communications:\n", recap), encoding="utf-8")
    (warning,) = warnings_of(capsys, playbook)
    assert warning["rule"] == "notice-due-before-step" and "(notify)" in str(warning["message"])
    assert "after the resolution" not in str(warning["message"])


def test_a_notice_sent_by_either_of_two_steps_counts_the_quicker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quick = (
        "  - id: quick-notice\n    title: Quick\n    phase: respond\n    role: comms-lead\n    due: 20m\n"
        "    communication: customer-notice\ncommunications:\n"
    )
    text = BASE.replace("    approvals: [incident-lead]\n", "    approvals: [incident-lead]\n    due: 1h\n")
    playbook = tmp_path / "p.yaml"
    playbook.write_text(text, encoding="utf-8")
    assert [w["rule"] for w in warnings_of(capsys, playbook)] == ["notice-due-before-step"]
    playbook.write_text(text.replace("communications:\n", quick), encoding="utf-8")
    assert warnings_of(capsys, playbook) == []


def test_the_data_leak_regulator_notice_meets_its_72h_clock_and_a_slower_chain_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Path(__file__).resolve().parent.parent
    text = (repo / "playbooks" / "data-leak.yaml").read_text(encoding="utf-8")
    playbook = tmp_path / "data-leak.yaml"
    playbook.write_text(text, encoding="utf-8")
    assert [w for w in warnings_of(capsys, playbook, repo / "templates") if w["rule"] in LINT_RULES] == []
    slow = text.replace(
        "    due: 24h\n    depends_on: [stop-exposure]\n", "    due: 80h\n    depends_on: [stop-exposure]\n", 1
    )
    assert slow != text
    playbook.write_text(slow, encoding="utf-8")
    rules = {(w["rule"], w["path"]) for w in warnings_of(capsys, playbook, repo / "templates")}
    assert ("regulator-clock", "communications[0].due") in rules  # the regulator notice, due 72h
    assert ("due-before-dependency", "steps[6].due") in rules  # notify-regulator, due 72h, waits for scope-breach


def sms_playbook(tmp_path: Path, body: str, locale_body: str | None = None) -> tuple[Path, Path]:
    templates = tmp_path / "templates"
    (templates / "sms").mkdir(parents=True, exist_ok=True)
    (templates / "sms" / "alert.txt.j2").write_text(
        "{% if incident.drill %}[DRILL] {% endif %}" + body, encoding="utf-8"
    )
    text = BASE.replace("channel: email", "channel: sms").replace("base/notice.md.j2", "sms/alert.txt.j2")
    if locale_body is not None:
        (templates / "sms" / "alert.zh.txt.j2").write_text(
            "{% if incident.drill %}【演练】{% endif %}" + locale_body, encoding="utf-8"
        )
        text = text.replace(
            "    approvals: [incident-lead]\n", "    approvals: [incident-lead]\n    locales: [en, zh]\n"
        )
    playbook = tmp_path / "sms.yaml"
    playbook.write_text(text, encoding="utf-8")
    return playbook, templates


def test_an_sms_of_three_gsm7_segments_passes_and_one_character_more_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook, templates = sms_playbook(tmp_path, "a" * (3 * 153))
    assert warnings_of(capsys, playbook, templates) == []
    playbook, templates = sms_playbook(tmp_path, "a" * (3 * 153 - 1) + "€")  # the euro sign takes two septets
    (warning,) = warnings_of(capsys, playbook, templates)
    assert warning["rule"] == "sms-length"
    assert "460 GSM-7 characters" in str(warning["message"]) and "4 SMS segments" in str(warning["message"])


def test_a_chinese_sms_is_counted_in_ucs2_segments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    playbook, templates = sms_playbook(tmp_path, "Short.", "您" * (3 * 67))
    assert warnings_of(capsys, playbook, templates) == []
    playbook, templates = sms_playbook(tmp_path, "Short.", "您" * (3 * 67 + 1))
    (warning,) = warnings_of(capsys, playbook, templates)
    assert warning["rule"] == "sms-length" and "(zh)" in str(warning["message"])
    assert "UCS-2" in str(warning["message"]) and "4 SMS segments" in str(warning["message"])


def test_an_optional_input_that_is_guarded_or_has_a_default_is_not_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    (templates / "lint").mkdir(parents=True)
    guarded = "Subject: [DRILL] x\n\n{% if inputs.ticket_number %}Ticket {{ inputs.ticket_number }}{% endif %}\n"
    (templates / "lint" / "unset-input.md.j2").write_text(guarded, encoding="utf-8")
    case = (CORPUS / "warnings" / "notice-input-unset.yaml").read_text(encoding="utf-8")
    playbook = tmp_path / "p.yaml"
    playbook.write_text(case, encoding="utf-8")
    assert warnings_of(capsys, playbook, templates) == []
    (templates / "lint" / "unset-input.md.j2").write_text("Subject: [DRILL] x\n\n{{ inputs.ticket_number | join }}\n")
    (warning,) = warnings_of(capsys, playbook, templates)
    assert warning["rule"] == "notice-input-unset" and "cannot be drafted" in str(warning["message"])
    playbook.write_text(case.replace("    type: string\nroles:", "    type: string\n    default: none yet\nroles:"))
    assert warnings_of(capsys, playbook, templates) == []


def test_a_locale_with_its_own_file_is_complete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    templates = tmp_path / "templates"
    (templates / "base").mkdir(parents=True)
    notice = (CORPUS / "templates" / "base" / "notice.md.j2").read_text(encoding="utf-8")
    (templates / "base" / "notice.md.j2").write_text(notice, encoding="utf-8")
    case = CORPUS / "warnings" / "notice-locale-missing.yaml"
    assert [w["rule"] for w in warnings_of(capsys, case, templates)] == ["notice-locale-missing"]
    (templates / "base" / "notice.fr.md.j2").write_text(
        notice.replace("[DRILL]", "[EXERCICE - DRILL]"), encoding="utf-8"
    )
    assert warnings_of(capsys, case, templates) == []


# --------------------------------------------------------------------------- inline ignores


def two_late_steps(tmp_path: Path, comment_on: str) -> Path:
    """assess is due at 3h; notify (2h) and wrap-up (1h) wait for it. `comment_on` gets the ignore comment."""
    text = BASE.replace("due: 30m", "due: 3h").replace(
        "communications:\n",
        "  - id: wrap-up\n    title: Wrap up\n    phase: review\n    role: incident-lead\n"
        "    depends_on: [assess]\n    due: 1h\ncommunications:\n",
    )
    text = text.replace(comment_on, comment_on.rstrip("\n") + "\n", 1)
    playbook = tmp_path / "p.yaml"
    playbook.write_text(text, encoding="utf-8")
    return playbook


def test_an_ignore_comment_silences_that_rule_on_its_line_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = two_late_steps(tmp_path, "")
    text = playbook.read_text(encoding="utf-8")
    assert [w["path"] for w in warnings_of(capsys, playbook)] == ["steps[1].due", "steps[2].due"]
    playbook.write_text(text.replace("    due: 2h\n", "    due: 2h  # crisisctl: ignore[due-before-dependency]\n"))
    report = json.loads(validate(capsys, playbook, "json"))
    assert [w["path"] for w in report["warnings"]] == ["steps[2].due"]
    assert report["suppressed"] == 1
    text_out = validate(capsys, playbook, "text")
    assert "steps[1].due" not in text_out and "steps[2].due" in text_out
    assert "1 warning(s), 1 ignored by comments" in text_out
    github = validate(capsys, playbook, "github")
    assert github.count("::warning") == 1 and "steps[1].due" not in github


def test_an_ignore_comment_for_another_rule_silences_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = two_late_steps(tmp_path, "")
    text = playbook.read_text(encoding="utf-8").replace(
        "    due: 2h\n", "    due: 2h  # crisisctl: ignore[drill-banner]\n"
    )
    playbook.write_text(text, encoding="utf-8")
    report = json.loads(validate(capsys, playbook, "json"))
    assert [w["path"] for w in report["warnings"]] == ["steps[1].due", "steps[2].due"] and report["suppressed"] == 0


def test_one_comment_can_ignore_several_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (CORPUS / "warnings" / "drill-banner.yaml").read_text(encoding="utf-8").splitlines(keepends=True)[1:]
    text = "".join(lines).replace(
        "    approvals: [incident-lead]\n", "    approvals: [incident-lead]\n    locales: [en, fr]\n"
    )
    playbook = tmp_path / "p.yaml"
    playbook.write_text(text, encoding="utf-8")
    assert {w["rule"] for w in warnings_of(capsys, playbook)} == {"drill-banner", "notice-locale-missing"}
    comment = "  # crisisctl: ignore[notice-locale-missing,drill-banner]"
    playbook.write_text(
        text.replace("lint/no-banner.md.j2\n", "lint/no-banner.md.j2" + comment + "\n"), encoding="utf-8"
    )
    report = json.loads(validate(capsys, playbook, "json"))
    assert report["warnings"] == [] and report["suppressed"] == 3  # the banner of en and fr, and fr's missing file


def test_sarif_reports_ignored_warnings_as_in_source_suppressions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = two_late_steps(tmp_path, "")
    playbook.write_text(
        playbook.read_text(encoding="utf-8").replace(
            "    due: 2h\n", "    due: 2h  # crisisctl: ignore[due-before-dependency]\n"
        ),
        encoding="utf-8",
    )
    lines = playbook.read_text(encoding="utf-8").splitlines()
    notify_due = 1 + next(number for number, line in enumerate(lines) if "due: 2h" in line)
    wrap_up_due = 1 + next(number for number, line in enumerate(lines) if "due: 1h" in line)
    sarif = sarif_of(capsys, playbook)
    results = assert_sarif_structure(sarif)
    by_line = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in results}
    assert len(results) == 2
    suppressed = by_line[notify_due]
    assert suppressed["ruleId"] == "due-before-dependency" and suppressed["level"] == "warning"
    assert suppressed["suppressions"] == [{"kind": "inSource"}]
    assert "suppressions" not in by_line[wrap_up_due]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    (rule,) = [rule for rule in rules if rule["id"] == "due-before-dependency"]
    assert rule["shortDescription"] == {"text": RULE_BY_ID["due-before-dependency"].summary}


def test_errors_cannot_be_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    playbook = tmp_path / "p.yaml"
    playbook.write_text(BASE.replace("phase: detect", "phase: detection  # crisisctl: ignore[enum]"), encoding="utf-8")
    code = main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(playbook), "--format", "json"])
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    assert [e["rule"] for e in report["errors"]] == ["enum"]
    (warning,) = report["warnings"]
    assert warning["rule"] == "ignore-unknown-rule" and "errors cannot be ignored" in str(warning["hint"])


def test_an_ignore_comment_cannot_silence_its_own_typos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    playbook = two_late_steps(tmp_path, "")
    comment = "  # crisisctl: ignore[due-before-dependency, ignore-unknown-rule, bogus]"
    text = playbook.read_text(encoding="utf-8").replace("    due: 2h\n", "    due: 2h" + comment + "\n")
    playbook.write_text(text, encoding="utf-8")
    report = json.loads(validate(capsys, playbook, "json"))
    line = 1 + text.splitlines().index("    due: 2h" + comment)
    found = [(w["rule"], w["line"], w["column"], w["message"]) for w in report["warnings"] if w["line"] == line]
    start = len("    due: 2h  # crisisctl: ignore[") + 1
    assert found == [
        (
            "ignore-unknown-rule",
            line,
            start + len("due-before-dependency, "),
            "`ignore-unknown-rule` cannot be ignored: it reports the ignore comments themselves",
        ),
        (
            "ignore-unknown-rule",
            line,
            start + len("due-before-dependency, ignore-unknown-rule, "),
            "`bogus` in an ignore comment is not a warning crisisctl gives",
        ),
    ]
    assert report["suppressed"] == 1  # due-before-dependency, as asked


def test_an_ignore_comment_may_end_with_a_comma(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    playbook = two_late_steps(tmp_path, "")
    text = playbook.read_text(encoding="utf-8")
    playbook.write_text(text.replace("    due: 2h\n", "    due: 2h  # crisisctl: ignore[due-before-dependency,]\n"))
    report = json.loads(validate(capsys, playbook, "json"))
    assert [w["path"] for w in report["warnings"]] == ["steps[2].due"] and report["suppressed"] == 1
    for comment, message in (
        ("ignore[due-before-dependency,, drill-banner]", "an empty name between two commas in an ignore comment"),
        ("ignore[]", "an ignore comment names no rule"),
        ("ignore[ , ]", "an ignore comment names no rule"),
    ):
        playbook.write_text(text.replace("    due: 2h\n", f"    due: 2h  # crisisctl: {comment}\n"))
        report = json.loads(validate(capsys, playbook, "json"))
        assert [w["message"] for w in report["warnings"] if w["rule"] == "ignore-unknown-rule"] == [message], comment


def test_an_ignore_inside_a_quoted_value_is_not_a_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    playbook = two_late_steps(tmp_path, "")
    text = playbook.read_text(encoding="utf-8").replace(
        "    due: 2h\n", '    due: 2h\n    description: "see#crisisctl: ignore[due-before-dependency]"\n'
    )
    playbook.write_text(text, encoding="utf-8")
    assert len(warnings_of(capsys, playbook)) == 2


def test_every_warning_rule_is_documented() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "playbook-format.md").read_text(encoding="utf-8")
    for rule in WARNING_RULES:
        assert f"| `{rule}` |" in docs, rule


# --------------------------------------------------------------------------- drill notices


def test_a_drill_notice_without_a_marker_gets_the_exercise_banner(workspace: Workspace) -> None:
    ws = workspace
    (ws.playbooks / "base.yaml").write_text(BASE.replace("base/notice.md.j2", "lint/no-banner.md.j2"), encoding="utf-8")
    drill = ws.json("declare", "base", "--drill", "--input", "affected_customers=5")
    live = ws.json("declare", "base", "--input", "affected_customers=5")
    assert isinstance(drill, dict) and isinstance(live, dict)
    ws.ok("comms", "draft", str(drill["id"]), "customer-notice", "-o", str(ws.root / "drill.md"))
    ws.ok("comms", "draft", str(live["id"]), "customer-notice", "-o", str(ws.root / "live.md"))
    drafted = (ws.root / "drill.md").read_text(encoding="utf-8")
    assert drafted.startswith("Subject: [EXERCISE] Update on ")
    assert drafted.splitlines()[1].startswith("[EXERCISE] This notice was drafted in a drill.")
    assert "We are working on it." in drafted
    assert "EXERCISE" not in (ws.root / "live.md").read_text(encoding="utf-8")


def test_a_drill_notice_with_its_own_marker_is_left_as_written(workspace: Workspace) -> None:
    ws = workspace
    drill = ws.json("declare", "base", "--drill", "--input", "affected_customers=5")
    assert isinstance(drill, dict)
    ws.ok("comms", "draft", str(drill["id"]), "customer-notice", "-o", str(ws.root / "drill.md"))
    drafted = (ws.root / "drill.md").read_text(encoding="utf-8")
    assert drafted.startswith("Subject: [DRILL] ") and "EXERCISE" not in drafted


def test_the_lints_are_functions_of_a_playbook_that_find_their_own_positions(tmp_path: Path) -> None:
    """Other commands (readiness, drill test, playbook diff) call them with a model alone."""
    import datetime as dt

    from msgspec.structs import replace

    from crisisctl.playbook.catalog import find_playbook
    from crisisctl.playbook.timing import timing_findings
    from crisisctl.render.noticelint import notice_findings

    folder = tmp_path / "playbooks"
    folder.mkdir()
    case = CORPUS / "warnings" / "notice-due-before-step.yaml"
    (folder / "base.yaml").write_text(case.read_text(encoding="utf-8"), encoding="utf-8")
    playbook = find_playbook(folder, "base", dt.date(2026, 11, 25))
    (finding,) = timing_findings(playbook)
    assert (finding.rule, finding.line, finding.column) == ("notice-due-before-step", 38, 10)
    assert finding.file == playbook.source
    assert notice_findings(playbook, [CORPUS / "templates", folder]) == []
    (notice,) = playbook.communications
    unmarked_notice = replace(notice, template="lint/no-banner.md.j2")
    unmarked = replace(playbook, communications=(unmarked_notice,))
    (banner,) = notice_findings(unmarked, [CORPUS / "templates"])
    assert (banner.rule, banner.line, banner.column) == ("drill-banner", 36, 15)
    assert banner.path == "communications[0].template"
