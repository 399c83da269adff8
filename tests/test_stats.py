"""`stats` on a hand-built set of live incidents and a drill, with answers worked out by hand."""

from __future__ import annotations

import getpass

from conftest import Workspace, read_digest


def declare(ws: Workspace, *extra: str) -> str:
    payload = ws.json("declare", "base", "--input", "affected_customers=10", "--at", "-10h", *extra)
    return str(payload["id"])  # type: ignore[index]


def build(ws: Workspace) -> None:
    me = getpass.getuser()
    first = declare(ws, "--assign", f"incident-lead={me}", "--severity", "sev2")
    ws.ok("step", "start", first, "assess", "--at", "+10m")  # acknowledged after 600 s
    ws.ok("--as", "scribe", "comms", "draft", first, "customer-notice", "--at", "+50m")
    digest = read_digest(ws, first, "customer-notice")
    ws.ok("comms", "approve", first, "customer-notice", "--role", "incident-lead", "--at", "+55m", "--digest", digest)
    ws.ok("comms", "send", first, "customer-notice", "--at", "+1h")  # first notice after 3600 s
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
    report = workspace.json("stats", "--drills")
    assert isinstance(report, dict)
    assert report["incidents"] == 1 and report["drills"] is True
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
