"""Remedies: `crisisctl remedy add|issued|list`, shown in `show`, the post-mortem and `stats`."""

from __future__ import annotations

import json
from typing import Any

from conftest import Workspace, declare, event_count


def remedies_of(ws: Workspace, incident: str) -> list[dict[str, Any]]:
    shown = ws.json("show", incident)
    assert isinstance(shown, dict)
    remedies = shown["remedies"]
    assert isinstance(remedies, list)
    return remedies


def test_a_remedy_records_who_qualifies_how_many_and_their_value(workspace: Workspace) -> None:
    incident = declare(workspace, "--at", "-2d")
    added = workspace.json(
        "remedy", "add", incident, "coupon", "--qualifies", "orders 5+ days late", "--issued", "1200",
        "--value", "20", "--currency", "eur", "--at", "+1d",
    )  # fmt: skip
    assert isinstance(added, dict)
    assert (added["id"], added["kind"], added["issued"], added["currency"], added["total_value"]) == (
        "R1", "coupon", 1200, "EUR", 24000,
    )  # fmt: skip
    workspace.ok("remedy", "issued", incident, "r1", "+300", "--note", "second batch")
    workspace.ok("remedy", "add", incident, "warranty-extension", "--qualifies", "owners of model X2", "--value", "12")
    first, second = remedies_of(workspace, incident)
    assert (first["issued"], first["total_value"]) == (1500, 30000)
    assert first["issuances"][0] | {"at": ""} == {
        "at": "", "actor": first["added_by"], "issued": 1500, "previous": 1200, "note": "second batch",
    }  # fmt: skip
    assert (second["id"], second["unit"], second["issued"], second["total_value"]) == ("R2", "months", 0, 0)
    workspace.ok("remedy", "issued", incident, "R2", "40")
    listed = workspace.json("remedy", "list")
    assert isinstance(listed, list)
    assert [(item["incident"], item["id"], item["issued"]) for item in listed] == [
        (incident, "R1", 1500), (incident, "R2", 40),
    ]  # fmt: skip
    text = workspace.ok("show", incident)
    assert "Remedies" in text and "30000 EUR" in text and "owners of model X2" in text


def test_remedies_are_recorded_after_the_incident_is_closed(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("remedy", "add", incident, "refund", "--qualifies", "double-charged cards", "--issued", "10")
    workspace.ok("step", "skip", incident, "assess", "--note", "n/a")
    workspace.ok("step", "skip", incident, "notify", "--note", "n/a")
    workspace.ok("resolve", incident)
    workspace.ok("close", incident)
    workspace.ok("remedy", "issued", incident, "R1", "+5", "--note", "late claims")
    workspace.ok("remedy", "add", incident, "service-credit", "--qualifies", "key accounts", "--issued", "3")
    assert [item["issued"] for item in remedies_of(workspace, incident)] == [15, 3]


def test_bad_remedies_are_refused_and_record_nothing(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("remedy", "add", incident, "points", "--qualifies", "all complainants", "--value", "500")
    before = event_count(workspace, incident)
    cases = [
        (("remedy", "add", incident, "voucher", "--qualifies", "x"), 2, "unknown remedy kind `voucher`"),
        (("remedy", "add", incident, "refund", "--qualifies", " "), 2, "--qualifies needs"),
        (("remedy", "add", incident, "refund", "--qualifies", "x", "--currency", "EUR"), 2, "--currency needs --value"),
        (
            ("remedy", "add", incident, "refund", "--qualifies", "x", "--value", "5", "--currency", "euro"),
            2,
            "currency",
        ),
        (("remedy", "add", incident, "refund", "--qualifies", "x", "--value", "-5"), 2, "not a positive amount"),
        (("remedy", "add", incident, "refund", "--qualifies", "x", "--issued", "-1"), 2, "--issued"),
        (("remedy", "issued", incident, "R7", "3"), 2, "unknown remedy `R7`"),
        (("remedy", "issued", incident, "R1", "lots"), 2, "not a number of remedies issued"),
        (("remedy", "issued", incident, "R1", "0"), 1, "already counts 0 issued"),
    ]
    for args, code, words in cases:
        got, _, err = workspace.run(*args)
        assert (got, words in err, "Traceback" in err) == (code, True, False), (args, err)
    assert event_count(workspace, incident) == before


def test_the_postmortem_and_stats_report_remedies(workspace: Workspace) -> None:
    first, second = declare(workspace), declare(workspace)
    coupon = ("--qualifies", "late orders", "--value", "20", "--currency", "EUR")
    workspace.ok("remedy", "add", first, "coupon", *coupon, "--issued", "100")
    workspace.ok("remedy", "issued", first, "R1", "150", "--note", "stragglers")
    workspace.ok("remedy", "add", second, "coupon", *coupon, "--issued", "50")
    workspace.ok("remedy", "add", second, "refund", "--qualifies", "cancelled orders", "--issued", "7")
    markdown = workspace.ok("postmortem", first)
    section = markdown.split("## Remedies", 1)[1].split("## Severity history", 1)[0]
    assert "| R1 | coupon | late orders | 150 | 20 EUR | 3000 EUR |" in section
    assert "R1: 100 → 150 issued" in section and "stragglers" in section
    html = workspace.root / "pm.html"
    workspace.ok("postmortem", first, "--format", "html", "-o", str(html))
    assert "<h2>Remedies</h2>" in html.read_text(encoding="utf-8")
    report = workspace.json("stats")
    assert isinstance(report, dict)
    assert report["remedies"] == {
        "coupon": {"records": 2, "issued": 200, "value": {"EUR": 4000}},
        "refund": {"records": 1, "issued": 7, "value": {}},
    }
    assert "4000 EUR" in workspace.ok("stats")


def test_numbers_beyond_what_the_log_keeps_exactly_are_usage_errors(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("remedy", "add", incident, "coupon", "--qualifies", "x", "--issued", str(2**53), "--value", "20")
    before = event_count(workspace, incident)
    too_large = str(2**53 + 1)
    for args in [
        ("remedy", "add", incident, "coupon", "--qualifies", "x", "--value", "1e16"),
        ("remedy", "add", incident, "coupon", "--qualifies", "x", "--issued", too_large),
        ("remedy", "add", incident, "coupon", "--qualifies", "x", "--issued", "9" * 40),
        ("remedy", "issued", incident, "R1", "9" * 32),
        ("remedy", "issued", incident, "R1", too_large),
        ("remedy", "issued", incident, "R1", "+1"),  # the total would pass 2^53
    ]:
        code, _, err = workspace.run(*args)
        assert (code, "too large" in err, "2^53" in err, "Traceback" in err) == (2, True, True, False), (args, err)
    assert event_count(workspace, incident) == before


def test_a_count_stated_out_of_order_is_refused(workspace: Workspace) -> None:
    incident = declare(workspace, "--at", "-3h")
    workspace.ok("remedy", "add", incident, "coupon", "--qualifies", "late orders", "--issued", "5", "--at", "-2h")
    workspace.ok("remedy", "issued", incident, "R1", "7", "--at", "-1h")
    before = event_count(workspace, incident)
    code, _, err = workspace.run("remedy", "issued", incident, "R1", "3", "--at", "-90m")
    assert code == 1 and "R1 already has a later count (7 issued" in err and "use a later --at" in err, err
    code, _, err = workspace.run("remedy", "issued", incident, "R1", "+1", "--at", "-150m")
    assert code == 1 and "before R1 was added" in err, err
    # +N too: it would be recorded as the latest total plus N, stamped before the count it builds on
    code, _, err = workspace.run("remedy", "issued", incident, "R1", "+2", "--at", "-90m")
    assert code == 1 and "R1 already has a later count (7 issued" in err, err
    assert "Traceback" not in err and event_count(workspace, incident) == before
    workspace.ok("remedy", "issued", incident, "R1", "+2", "--at", "-1h")  # as late as the latest count
    workspace.ok("remedy", "issued", incident, "R1", "12", "--at", "-1h")
    issuances = remedies_of(workspace, incident)[0]["issuances"]
    assert [(item["previous"], item["issued"]) for item in issuances] == [(5, 7), (7, 9), (9, 12)], issuances


def test_remedy_list_keeps_drills_apart_as_stats_does(workspace: Workspace) -> None:
    live, drill = declare(workspace), declare(workspace, "--drill")
    workspace.ok("remedy", "add", live, "coupon", "--qualifies", "late orders", "--issued", "100", "--value", "20")
    workspace.ok("remedy", "add", drill, "coupon", "--qualifies", "rehearsal", "--issued", "900", "--value", "20")
    code, out, err = workspace.run("remedy", "list", "--json")
    assert code == 0 and "1 drill remedy not listed" in err and "remedy list --drill" in err, err
    assert [(row["incident"], row["issued"], row["drill"]) for row in json.loads(out)] == [(live, 100, False)]
    code, out, err = workspace.run("remedy", "list", "--drill", "--json")
    assert code == 0 and err == "", err  # the live remedy is not a drill left out
    drills = json.loads(out)
    assert [(row["incident"], row["issued"], row["drill"]) for row in drills] == [(drill, 900, True)]
    assert [row["drill"] for row in workspace.json("remedy", "list", drill)] == [True]  # named: listed as it is
    assert "rehearsal" not in workspace.ok("remedy", "list") and "rehearsal" in workspace.ok(
        "remedy", "list", "--drill"
    )
    code, _, err = workspace.run("remedy", "list", live, "--drill")
    assert code == 2 and "--drill" in err, err


def test_a_note_not_given_is_null_in_the_remedy_and_its_issuances_alike(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("remedy", "add", incident, "refund", "--qualifies", "double-charged cards")
    issued = workspace.json("remedy", "issued", incident, "R1", "+4")
    assert (issued["note"], issued["issuances"][0]["note"]) == (None, None)
    workspace.ok("remedy", "issued", incident, "R1", "+1", "--note", "late claim")
    assert [item["note"] for item in remedies_of(workspace, incident)[0]["issuances"]] == [None, "late claim"]
