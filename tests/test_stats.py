"""`stats` on a hand-built set of live incidents and a drill, with answers worked out by hand."""

from __future__ import annotations

import getpass
import json

from conftest import Workspace, read_digest


def declare(ws: Workspace, *extra: str, playbook: str = "base") -> str:
    payload = ws.json("declare", playbook, "--input", "affected_customers=10", "--at", "-10h", *extra)
    return str(payload["id"])  # type: ignore[index]


def send_notice(ws: Workspace, incident: str, minutes: int) -> None:
    """Draft (as a scribe), approve (as the incident lead, who must be the caller) and send `minutes` in."""
    ws.ok("--as", "scribe", "comms", "draft", incident, "customer-notice", "--at", f"+{minutes - 10}m")
    digest = read_digest(ws, incident, "customer-notice")
    approve = ("comms", "approve", incident, "customer-notice", "--role", "incident-lead")
    ws.ok(*approve, "--at", f"+{minutes - 5}m", "--digest", digest)
    ws.ok("comms", "send", incident, "customer-notice", "--at", f"+{minutes}m")


def build(ws: Workspace) -> None:
    me = getpass.getuser()
    first = declare(ws, "--assign", f"incident-lead={me}", "--severity", "sev2")
    ws.ok("step", "start", first, "assess", "--at", "+10m")  # acknowledged after 600 s
    send_notice(ws, first, 60)  # first notice after 3600 s
    ws.ok("resolve", first, "--at", "+2h")  # resolved after 7200 s
    second = declare(ws)
    ws.ok("step", "done", second, "assess", "--at", "+30m")  # acknowledged after 1800 s, on time (due 30m)
    ws.ok("resolve", second, "--at", "+4h")  # resolved after 14400 s
    declare(ws)  # never acknowledged, never resolved
    drill = ws.json("declare", "base", "--input", "affected_customers=1", "--drill", "--at", "-1h")
    ws.ok("step", "done", str(drill["id"]), "assess", "--at", "+1m")  # type: ignore[index]


def test_live_figures_are_medians_and_p90s_in_seconds(workspace: Workspace) -> None:
    build(workspace)
    report = workspace.json("stats")
    assert isinstance(report, dict)
    assert report["incidents"] == 3 and report["drills"] is False
    assert report["time_to_acknowledge_s"] == {"median": 1200.0, "p90": 1800.0}
    assert report["time_to_first_notice_s"] == {"median": 3600.0, "p90": 3600.0}
    assert report["time_to_resolve_s"] == {"median": 10800.0, "p90": 14400.0}
    # Steps with a deadline met or passed: assess and notify in each of the 3 incidents; only the
    # second incident's assess was done by its due time.
    assert report["steps_on_time_ratio"] == 1 / 6
    by_playbook = {row["playbook"]: row for row in report["by_playbook"]}
    assert by_playbook["base"]["incidents"] == 3
    assert {row["severity"]: row["incidents"] for row in report["by_severity"]} == {"sev1": 2, "sev2": 1}
    assert [row["category"] for row in report["by_category"]] == ["service-outage"]


def test_drills_are_counted_apart(workspace: Workspace) -> None:
    build(workspace)
    code, out, err = workspace.run("stats", "--json")
    assert code == 0 and json.loads(out)["incidents"] == 3
    assert "1 drill incident not counted" in err and "stats --drill counts them" in err, err
    for flags in (("--drills",), ("--drill",)):  # --drills is the name cli.md promises; --drill as elsewhere
        code, out, err = workspace.run("stats", *flags, "--json")
        assert code == 0 and err == "", err  # the live incidents are not drills left out
        report = json.loads(out)
        assert report["incidents"] == 1 and report["drills"] is True
    code, out, err = workspace.run("stats", "--live", "--json")
    assert code == 0 and json.loads(out)["incidents"] == 3 and err == "", err
    code, _, err = workspace.run("stats", "--drills", "--live")
    assert code == 2 and "exclude each other" in err, err
    assert report["time_to_acknowledge_s"] == {"median": 60.0, "p90": 60.0}
    assert report["time_to_resolve_s"] == {"median": None, "p90": None}


def test_since_filters_by_declaration_date(workspace: Workspace) -> None:
    build(workspace)
    assert workspace.json("stats", "--since", "2999-01-01")["incidents"] == 0  # type: ignore[index]
    code, _, err = workspace.run("stats", "--since", "last week")
    assert code == 2 and "YYYY-MM-DD" in err


def test_text_and_html_reports(workspace: Workspace) -> None:
    build(workspace)
    text = workspace.ok("stats")
    assert "3 live incidents" in text and "█" in text
    page = workspace.root / "stats.html"
    workspace.ok("stats", "--html", str(page))
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "base" in html


def test_incidents_count_under_the_highest_severity_they_reached(workspace: Workspace) -> None:
    raised = declare(workspace, "--severity", "sev2")
    workspace.ok("severity", raised, "sev1", "--note", "card data involved", "--at", "+1h")
    workspace.ok("severity", raised, "sev3", "--note", "contained", "--at", "+3h")
    lowered = declare(workspace, "--severity", "sev1")
    workspace.ok("severity", lowered, "sev4", "--note", "false alarm", "--at", "+1h")
    declare(workspace, "--severity", "sev2")
    report = workspace.json("stats")
    assert isinstance(report, dict)
    assert {row["severity"]: row["incidents"] for row in report["by_severity"]} == {"sev1": 2, "sev2": 1}
    assert "peak severity" in workspace.ok("stats")


def audience_playbook(ws: Workspace, playbook: str, audience: str) -> None:
    """The corpus playbook under another id, its one notice addressed to `audience`."""
    text = (ws.playbooks / "base.yaml").read_text(encoding="utf-8")
    text = text.replace("id: base", f"id: {playbook}").replace("audience: customers", f"audience: {audience}")
    (ws.playbooks / f"{playbook}.yaml").write_text(text, encoding="utf-8")


def test_notices_to_key_accounts_are_customer_notices_and_to_regulators_are_not(workspace: Workspace) -> None:
    me = getpass.getuser()
    for playbook, audience, minutes in (("accounts", "key-accounts", 20), ("regulated", "regulator", 30)):
        audience_playbook(workspace, playbook, audience)
        send_notice(workspace, declare(workspace, "--assign", f"incident-lead={me}", playbook=playbook), minutes)
    report = workspace.json("stats")
    assert isinstance(report, dict)
    assert report["time_to_first_notice_s"] == {"median": 1200.0, "p90": 1200.0}
    by_playbook = {row["playbook"]: row["time_to_first_notice_s"]["median"] for row in report["by_playbook"]}
    assert by_playbook == {"accounts": 1200.0, "regulated": None}
    postmortem = workspace.ok("postmortem", "INC-1")
    assert "20m" in postmortem and "customers or key accounts" in postmortem


def test_a_drill_reports_its_first_notice_to_key_accounts(workspace: Workspace) -> None:
    audience_playbook(workspace, "accounts", "key-accounts")
    drill = declare(workspace, "--drill", "--assign", f"incident-lead={getpass.getuser()}", playbook="accounts")
    send_notice(workspace, drill, 15)
    report = workspace.json("drill", "report", drill)
    assert isinstance(report, dict) and report["time_to_first_customer_notice_s"] == 900
