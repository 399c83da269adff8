"""`crisisctl check` through the real entry point: matches and the values that fired, warnings, JSON, --declare."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from conftest import Workspace, crisisctl

from crisisctl.clock import parse_time

SIGNALS = "complaints_per_hour: 240\ncomplaints_per_hour_baseline: 10\n"
FIRING = {"complaints_per_hour": 240, "complaints_per_hour_baseline": 10, "refunds": 9}
SURGE_TRIGGERS = (
    "  - id: threefold\n"
    "    severity: sev2\n"
    "    when: {metric: complaints_per_hour, op: '>',\n"
    "           value: {metric: complaints_per_hour_baseline, times: 3}}\n"
    "  - id: tenfold\n"
    "    severity: sev1\n"
    "    when: {all: [{metric: complaints_per_hour, op: '>',\n"
    "                  value: {metric: complaints_per_hour_baseline, times: 10}},\n"
    "                 {metric: refunds, op: '>', value: 5}]}\n"
)
# Text a terminal would act on: an escape sequence, a one-byte CSI and a right-to-left override.
HOSTILE = "down\x1b]0;x\x07\x9b2J\u202e"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def add_playbook(ws: Workspace, playbook: str, triggers: str) -> None:
    """The corpus playbook under another id, with these triggers."""
    text = (ws.playbooks / "base.yaml").read_text(encoding="utf-8")
    text = text.replace("id: base", f"id: {playbook}")
    text = text.replace("category: service-outage", "category: complaint-surge\ntriggers:\n" + triggers)
    (ws.playbooks / f"{playbook}.yaml").write_text(text, encoding="utf-8")


def add_triggered_playbook(ws: Workspace) -> None:
    add_playbook(ws, "surge", SURGE_TRIGGERS)


def signals_file(ws: Workspace, signals: Mapping[str, object]) -> str:
    path = ws.root / "signals.json"
    path.write_text(json.dumps(signals), encoding="utf-8")
    return str(path)


def test_check_ranks_matches_and_lists_missing_metrics(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    signals = workspace.root / "signals.yaml"
    signals.write_text(SIGNALS)
    result = workspace.json("check", str(signals))
    fired_on = {
        "metric": "complaints_per_hour",
        "value": 240,
        "op": ">",
        "threshold": 30.0,
        "baseline": {"metric": "complaints_per_hour_baseline", "times": 3.0, "value": 10},
        "holds": True,
    }
    assert result == {
        "matches": [
            {"playbook": "surge", "trigger": "threefold", "severity": "sev2", "description": "", "fired_on": [fired_on]}
        ],
        "missing_metrics": ["refunds"],
        "unusable_metrics": [],
        "unused_metrics": [],
    }
    signals.write_text(SIGNALS + "refunds: 9\n")
    matches = workspace.json("check", str(signals))["matches"]  # type: ignore[index]
    assert [match["trigger"] for match in matches] == ["tenfold", "threefold"]


def test_check_shows_the_values_that_made_each_trigger_fire(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    signals = signals_file(workspace, FIRING)
    tenfold = workspace.json("check", signals)["matches"][0]  # type: ignore[index]
    assert [(c["metric"], c["value"], c["op"], c["threshold"], c["holds"]) for c in tenfold["fired_on"]] == [
        ("complaints_per_hour", 240, ">", 100.0, True),
        ("refunds", 9, ">", 5, True),
    ]
    assert tenfold["fired_on"][1]["baseline"] is None
    table = workspace.ok("check", signals)
    assert "complaints_per_hour 240 > 100 (10 × complaints_per_hour_baseline 10)" in table
    assert "refunds 9 > 5" in table


def test_only_the_comparisons_that_decide_a_trigger_are_shown(workspace: Workspace) -> None:
    add_playbook(
        workspace,
        "status",
        "  - id: not-up\n"
        "    when: {any: [{metric: outage_minutes, op: '>=', value: 30},\n"
        "                 {not: {metric: status, op: '==', value: up}}]}\n",
    )
    signals = signals_file(workspace, {"outage_minutes": 10, "status": "down"})
    (match,) = workspace.json("check", signals)["matches"]  # type: ignore[index]
    assert match["fired_on"] == [
        {"metric": "status", "value": "down", "op": "==", "threshold": "up", "baseline": None, "holds": False}
    ]
    table = workspace.ok("check", signals)
    assert "status down, not == up" in table and "outage_minutes" not in table


def test_check_warns_about_signals_no_trigger_reads(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    signals = signals_file(workspace, {**FIRING, "refund": 9, "uptime_percent": 99})
    code, out, err = workspace.run("check", signals, "--json")
    assert code == 0
    assert json.loads(out)["unused_metrics"] == ["refund", "uptime_percent"]
    assert "warning: signal `refund` is read by no playbook's trigger; did you mean `refunds`?" in err
    assert "warning: signals no playbook's trigger reads: uptime_percent" in err
    code, out, err = workspace.run("check", signals_file(workspace, FIRING))
    assert code == 0 and "warning" not in err


def test_check_json_is_readable_utf8_and_inert_on_every_path(workspace: Workspace) -> None:
    add_playbook(
        workspace,
        "surge",
        "  - id: complaints\n    description: 投诉激增\n    when: {metric: status, op: '!=', value: up}\n",
    )
    firing = signals_file(workspace, {"status": HOSTILE, "投诉数": 7})
    outputs = {"check": workspace.ok("check", firing, "--json")}
    declared = ("--declare", "--input", "affected_customers=3", "--title", "支付失败", "--json")
    outputs["check --declare"] = workspace.ok("check", firing, *declared)
    outputs["check --declare, nothing fires"] = workspace.ok("check", signals_file(workspace, {"投诉数": 7}), *declared)
    for path, out in outputs.items():
        assert "投诉数" in out, path  # not \u6295\u8bc9\u6570
        assert not any(raw in out for raw in RAW), path
        assert json.loads(out)["unused_metrics"] == ["投诉数"], path
    check = json.loads(outputs["check"])
    assert check["matches"][0]["description"] == "投诉激增" and "投诉激增" in outputs["check"]
    assert "\\u202e" in outputs["check"]  # escaped on the way out,
    assert check["matches"][0]["fired_on"][0]["value"] == HOSTILE  # exact when read
    incident = json.loads(outputs["check --declare"])
    assert incident["id"] == "INC-1" and incident["title"] == "支付失败" and "支付失败" in outputs["check --declare"]
    assert incident["matches"] == check["matches"]
    assert "id" not in json.loads(outputs["check --declare, nothing fires"])


def test_check_table_and_warnings_are_inert(workspace: Workspace) -> None:
    add_playbook(workspace, "surge", "  - id: not-up\n    when: {metric: status, op: '!=', value: up}\n")
    code, out, err = workspace.run("check", signals_file(workspace, {"status": HOSTILE, f"x{HOSTILE}": 1}))
    assert code == 0 and "status down\\x1b]0;x\\x07\\x9b2J\\u202e != up" in out
    assert "xdown\\x1b]0;x" in err
    assert not any(raw in out + err for raw in RAW)


def test_check_json_stays_valid_where_standard_output_is_not_utf8(workspace: Workspace) -> None:
    add_playbook(
        workspace,
        "surge",
        "  - id: complaints\n    description: 投诉激增 😡\n    when: {metric: n, op: '>', value: 1}\n",
    )
    result = crisisctl(
        *workspace.args(), "check", signals_file(workspace, {"n": 2}), "--json", PYTHONIOENCODING="ascii"
    )
    assert result.returncode == 0 and result.stdout.isascii(), result.stderr
    assert json.loads(result.stdout)["matches"][0]["description"] == "投诉激增 😡"
    assert "cannot show" not in result.stderr


def test_check_declare_takes_at_assign_and_title(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    signals = signals_file(workspace, FIRING)
    flags = ("--input", "affected_customers=3", "--at", "-20m", "--assign", "comms-lead=bob", "--title", "Refund storm")
    payload = workspace.json("check", signals, "--declare", *flags)
    assert isinstance(payload, dict) and payload["title"] == "Refund storm" and payload["severity"] == "sev1"
    (declared,) = workspace.json("timeline", "INC-1")  # type: ignore[misc]
    stated, recorded = parse_time(declared["at"]), parse_time(declared["recorded_at"])
    assert (recorded - stated).total_seconds() == 20 * 60
    roles = workspace.json("show", "INC-1")["roles"]  # type: ignore[index]
    assert {role["id"]: role["holder"] for role in roles} == {"incident-lead": None, "comms-lead": "bob"}


def test_check_declare_without_a_title_names_the_playbook_and_trigger(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    signals = signals_file(workspace, FIRING)
    out = workspace.ok("check", signals, "--declare", "--input", "affected_customers=3")
    assert "INC-1: incident declared from surge 1.0.0, sev1" in out
    (row,) = workspace.json("incidents")  # type: ignore[misc]
    assert row["title"] == "Base playbook for the defect corpus: tenfold"


@pytest.mark.parametrize(
    "bad",
    [
        ("--at", "yesterday"),
        ("--at", "2999-01-01T00:00:00Z"),
        ("--assign", "nobody=bob"),
        ("--assign", "bob"),
    ],
)
def test_check_declare_refuses_bad_flags_as_declare_does(workspace: Workspace, bad: tuple[str, str]) -> None:
    add_triggered_playbook(workspace)
    signals = signals_file(workspace, FIRING)
    expected_code, _, expected_err = workspace.run("declare", "surge", "--input", "affected_customers=3", *bad)
    assert expected_code in (1, 2) and "Traceback" not in expected_err
    for extra in ((), ("--json",)):
        code, _, err = workspace.run("check", signals, "--declare", "--input", "affected_customers=3", *bad, *extra)
        assert (code, err) == (expected_code, expected_err), extra
    assert workspace.json("incidents", "--all") == []


def test_check_declare_asks_and_warns_as_declare_does(workspace: Workspace) -> None:
    """Both commands declare through one use case: a missing required input is refused where nobody can be
    asked, naming the flag, and a person who is not in the roster is warned about."""
    add_triggered_playbook(workspace)
    signals = signals_file(workspace, FIRING)
    expected = workspace.run("declare", "surge")
    assert expected[0] == 2 and "--input affected_customers=VALUE" in expected[2]
    code, _, err = workspace.run("check", signals, "--declare")
    assert (code, err) == (expected[0], expected[2])
    assert workspace.json("incidents", "--all") == []
    (workspace.playbooks / "people.yaml").write_text(
        "apiVersion: crisisctl/v1\nkind: Roster\npeople:\n  - {id: ana, name: Ana Lima}\n", encoding="utf-8"
    )
    flags = ("--input", "affected_customers=3", "--assign", "comms-lead=anna")
    _, _, declared_err = workspace.run("declare", "surge", *flags)
    code, _, err = workspace.run("check", signals, "--declare", *flags)
    assert code == 0 and "warning: anna is not in the roster" in err and "did you mean `ana`?" in err
    assert err.splitlines()[-1] == declared_err.splitlines()[-1]


def test_declaration_flags_without_declare_are_refused(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    code, out, err = workspace.run("check", signals_file(workspace, FIRING), "--title", "x", "--assign", "a=b")
    assert code == 2 and out == ""
    assert "--title and --assign only apply with --declare" in err and "hint: add --declare" in err
    code, _, err = workspace.run("check", signals_file(workspace, FIRING), "--at", "-5m")
    assert code == 2 and "--at only applies with --declare" in err


def test_check_declare_opens_the_most_severe_match(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    signals = signals_file(workspace, FIRING)
    workspace.ok("check", signals, "--declare", "--input", "affected_customers=3")
    (row,) = workspace.json("incidents")  # type: ignore[misc]
    assert row["playbook"] == "surge" and row["severity"] == "sev1"


def test_check_with_a_bad_signals_file(workspace: Workspace) -> None:
    code, _, err = workspace.run("check", str(workspace.root / "none.yaml"))
    assert code == 2
    bad = workspace.root / "bad.yaml"
    bad.write_text("complaints: [1, 2]\n")
    code, _, err = workspace.run("check", str(bad))
    assert code == 1 and "bad.yaml" in err and "1:13" in err


def test_check_names_signals_that_are_not_numbers(workspace: Workspace) -> None:
    add_triggered_playbook(workspace)
    signals = signals_file(
        workspace, {"complaints_per_hour": "240", "complaints_per_hour_baseline": 10, "refunds": True}
    )
    result = workspace.json("check", signals)
    assert result["matches"] == []  # type: ignore[index]
    assert result["unusable_metrics"] == ["complaints_per_hour", "refunds"]  # type: ignore[index]
    assert "not numbers" in workspace.ok("check", signals)


def test_a_trigger_comparing_a_number_with_text_is_the_playbook_s_error_not_the_signal_s(workspace: Workspace) -> None:
    """`>= "abc"` never holds: validate refuses it at the value, so check does not call a signal of 10 unusable."""
    add_playbook(workspace, "outage", '  - id: long\n    when: { metric: downtime_minutes, op: ">=", value: "abc" }\n')
    code, out, err = workspace.run("playbook", "validate", str(workspace.playbooks / "outage.yaml"))
    assert code == 1
    assert "when.value: `>=` compares numbers, found text  [condition]" in out + err
    code, out, err = workspace.run("check", signals_file(workspace, {"downtime_minutes": 10}))
    assert "not numbers" not in out + err and "downtime_minutes" not in out
