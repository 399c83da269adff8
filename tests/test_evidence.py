"""Evidence and handover: notes from standard input, attached files and links, handovers, action items."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace, declare, event_count, subprocess_env

from crisisctl.incident.evidence import MAX_ATTACHMENT_BYTES


def last_event(ws: Workspace, incident: str) -> dict[str, Any]:
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    return dict(events[-1])


def note_from_stdin(ws: Workspace, incident: str, given: bytes) -> subprocess.CompletedProcess[bytes]:
    """`note INCIDENT -` in a child process with real standard input."""
    command = [sys.executable, "-m", "crisisctl", *ws.args(), "note", incident, "-"]
    return subprocess.run(command, input=given, capture_output=True, env=subprocess_env(), timeout=60, check=False)


def evidence_copy(ws: Workspace, incident: str, sha256: str) -> Path:
    return ws.db.parent / f"{ws.db.name}.evidence" / incident / sha256


# -- note - -----------------------------------------------------------------------------------------


def test_a_note_is_read_from_standard_input_without_its_trailing_newline(workspace: Workspace) -> None:
    incident = declare(workspace)
    result = note_from_stdin(workspace, incident, "CDN says: purge done ✓\nsecond line\n".encode())
    assert result.returncode == 0, result.stderr
    assert last_event(workspace, incident)["data"] == {"text": "CDN says: purge done ✓\nsecond line"}


@pytest.mark.parametrize(
    ("given", "message"),
    [(b"  \n\n", "the note on standard input is empty"), (b"\xff\xfe bad", "is not UTF-8")],
)
def test_an_empty_or_undecodable_note_on_standard_input_is_refused(
    workspace: Workspace, given: bytes, message: str
) -> None:
    incident = declare(workspace)
    result = note_from_stdin(workspace, incident, given)
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert event_count(workspace, incident) == 1


# -- --file and --link -----------------------------------------------------------------------------


def test_an_attached_file_is_recorded_by_digest_and_size_and_kept_privately(workspace: Workspace) -> None:
    incident = declare(workspace)
    evidence = workspace.root / "cdn-ticket.txt"
    evidence.write_bytes(b"ticket 4711: origin misconfigured\n")
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    out = workspace.ok("note", incident, "vendor ticket", "--file", str(evidence))
    assert "1 file(s) attached" in out
    data = last_event(workspace, incident)["data"]
    assert data["attachments"] == [{"name": "cdn-ticket.txt", "sha256": digest, "size": 34}]
    copy = evidence_copy(workspace, incident, digest)
    assert copy.read_bytes() == evidence.read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(copy.parent.parent.stat().st_mode) == 0o700
    assert workspace.json("verify")["ok"] is True  # type: ignore[index]


def test_a_file_over_the_cap_or_unreadable_is_refused_and_nothing_is_recorded(workspace: Workspace) -> None:
    incident = declare(workspace)
    big = workspace.root / "dump.bin"
    with big.open("wb") as handle:
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)
    code, _, err = workspace.run("note", incident, "dump", "--file", str(big))
    assert code == 2 and "larger than 20 MiB" in err and "Traceback" not in err
    code, _, err = workspace.run("note", incident, "x", "--file", str(workspace.root / "missing.pdf"))
    assert code == 2 and "cannot read --file" in err and "missing.pdf" in err
    code, _, err = workspace.run("note", incident, "x", "--file", str(workspace.root))
    assert code == 2 and "not a regular file" in err
    assert event_count(workspace, incident) == 1
    assert not (workspace.db.parent / f"{workspace.db.name}.evidence").exists()


def test_a_hostile_file_name_is_inert_in_the_timeline(workspace: Workspace) -> None:
    incident = declare(workspace)
    hostile = workspace.root / "a\x1b[2Jb.txt"
    hostile.write_text("x", encoding="utf-8")
    workspace.ok("note", incident, "see file", "--file", str(hostile))
    timeline = workspace.ok("timeline", incident)
    assert "\x1b" not in timeline and "a\\x1b[2Jb.txt (1 bytes" in timeline


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://files.example.com/x", "https://", "https://a.example/<script>", "http://a b"]
)
def test_a_link_must_be_an_http_url(workspace: Workspace, url: str) -> None:
    incident = declare(workspace)
    code, _, err = workspace.run("note", incident, "see", "--link", url)
    assert code == 2 and "is not an http(s) URL" in err
    assert event_count(workspace, incident) == 1


def test_links_and_files_appear_in_the_timeline_and_the_post_mortem_escaped(workspace: Workspace) -> None:
    incident = declare(workspace)
    log = workspace.root / "error<b>.log"
    log.write_text("500s from 14:02", encoding="utf-8")
    workspace.ok(
        "note", incident, "status page <i>updated</i>", "--link", "https://status.example.com/i/42?a=1&b=2",
        "--file", str(log),
    )  # fmt: skip
    timeline = workspace.ok("timeline", incident)
    assert "https://status.example.com/i/42?a=1&b=2" in timeline and "error<b>.log (15 bytes" in timeline
    report = workspace.ok("postmortem", incident)
    assert "## Evidence" in report
    assert "File error\\<b\\>.log, 15 bytes, sha256" in report
    page = workspace.ok("postmortem", incident, "--format", "html")
    assert 'href="https://status.example.com/i/42?a=1&amp;b=2"' in page
    assert "error&lt;b&gt;.log" in page and "<i>updated</i>" not in page


# -- handover ------------------------------------------------------------------------------------------


def test_a_handover_records_who_handed_over_to_whom_with_the_note(workspace: Workspace) -> None:
    incident = declare(workspace, "--assign", "incident-lead=alice")
    out = workspace.ok("--as", "alice", "assign", incident, "incident-lead", "carol", "--handover", "vendor at 14:00")
    assert "carol holds incident-lead (handover recorded)" in out
    assert last_event(workspace, incident)["data"] == {
        "role": "incident-lead",
        "person": "carol",
        "handover": {"from": "alice", "note": "vendor at 14:00"},
    }
    assert "carol holds incident-lead, handed over by alice: vendor at 14:00" in workspace.ok("timeline", incident)
    assert "(handover: vendor at 14:00)" in workspace.ok("postmortem", incident)


def test_a_handover_of_an_empty_role_is_refused(workspace: Workspace) -> None:
    incident = declare(workspace)
    code, _, err = workspace.run("assign", incident, "incident-lead", "carol", "--handover", "notes")
    assert code == 1 and "nothing to hand over" in err
    assert event_count(workspace, incident) == 1


def test_unassign_leaves_a_required_role_unfilled(workspace: Workspace) -> None:
    incident = declare(workspace, "--assign", "incident-lead=alice")
    workspace.ok("unassign", incident, "incident-lead", "--note", "off shift")
    shown = workspace.json("show", incident)
    roles = {role["id"]: role["holder"] for role in shown["roles"]}  # type: ignore[index]
    assert roles["incident-lead"] is None
    assert "unfilled" in workspace.ok("show", incident)
    assert "incident-lead left unfilled (alice no longer holds it): off shift" in workspace.ok("timeline", incident)
    code, _, err = workspace.run("unassign", incident, "incident-lead")
    assert code == 1 and "nobody holds incident-lead" in err
    code, _, err = workspace.run("unassign", incident, "no-such-role")
    assert code == 2 and "unknown role" in err
    assert "unfilled since" in workspace.ok("postmortem", incident)


# -- action items -------------------------------------------------------------------------------------


def actions(ws: Workspace, *args: str) -> list[dict[str, Any]]:
    payload = ws.json("action", "list", *args)
    assert isinstance(payload, list)
    return payload


def test_action_items_are_added_listed_and_done(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("note", incident, "action: rotate the API keys")
    out = workspace.ok("action", "add", incident, "write the runbook", "--owner", "carol", "--due", "2020-01-31")
    assert "action item A2 added" in out
    listed = actions(workspace, incident)
    assert [(a["id"], a["text"], a["owner"], a["due"], a["status"], a["overdue"]) for a in listed] == [
        ("A1", "rotate the API keys", None, None, "open", False),
        ("A2", "write the runbook", "carol", "2020-01-31", "open", True),
    ]
    workspace.ok("action", "done", incident, "a1", "--note", "keys rotated")
    assert [a["id"] for a in actions(workspace)] == ["A2"]  # open ones by default
    done = actions(workspace, "--all")[0]
    assert (done["status"], done["note"]) == ("done", "keys rotated")
    code, _, err = workspace.run("action", "done", incident, "A1")
    assert code == 1 and "already done" in err
    code, _, err = workspace.run("action", "done", incident, "A9")
    assert code == 2 and "unknown action item `A9`" in err


def test_a_due_may_be_a_duration_from_now_and_a_bad_one_is_a_usage_error(workspace: Workspace) -> None:
    incident = declare(workspace)
    item = workspace.json("action", "add", incident, "review", "--due", "7d")
    assert isinstance(item, dict) and item["due"].endswith("Z") and item["overdue"] is False
    code, _, err = workspace.run("action", "add", incident, "x", "--due", "next tuesday")
    assert code == 2 and "--due `next tuesday` is not a date, time or duration" in err
    code, _, err = workspace.run("action", "add", incident, "  ")
    assert code == 2 and "needs its text" in err
    assert len(actions(workspace, "--all")) == 1


def test_action_items_can_be_added_and_closed_after_the_incident_is_closed(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("resolve", incident)
    workspace.ok("close", incident, "--force")
    code, _, err = workspace.run("note", incident, "action: too late as a note")
    assert code == 1 and "closed" in err
    workspace.ok("action", "add", incident, "update the playbook", "--owner", "dana")
    workspace.ok("action", "done", incident, "A1")
    assert actions(workspace, "--all")[0]["status"] == "done"
    assert workspace.json("verify")["ok"] is True  # type: ignore[index]


def test_action_list_keeps_drills_apart_as_stats_does(workspace: Workspace) -> None:
    live, drill = declare(workspace), declare(workspace, "--drill")
    workspace.ok("action", "add", live, "rotate the API keys")
    workspace.ok("action", "add", drill, "rehearse the key rotation")
    code, out, err = workspace.run("action", "list", "--json")
    assert code == 0 and "1 drill action item not listed" in err and "action list --drill" in err, err
    assert [(row["incident"], row["drill"]) for row in json.loads(out)] == [(live, False)]
    code, out, err = workspace.run("action", "list", "--drill", "--json")
    assert code == 0 and err == "", err  # the live item is not a drill left out
    assert [(row["incident"], row["drill"]) for row in json.loads(out)] == [(drill, True)]
    assert [row["drill"] for row in actions(workspace, drill)] == [True]  # named: listed whatever it is
    code, _, err = workspace.run("action", "list", live, "--drill")
    assert code == 2 and "--drill" in err


def test_the_post_mortem_and_stats_report_action_items(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("action", "add", incident, "fix <b>alerts</b>", "--owner", "bob", "--due", "2020-01-01")
    workspace.ok("action", "add", incident, "train the scribe")
    workspace.ok("action", "add", incident, "retire the old CDN")
    workspace.ok("action", "done", incident, "A3")
    report = workspace.ok("postmortem", incident)
    assert "| A1 | fix \\<b\\>alerts\\</b\\> | bob | 2020-01-01 | **OVERDUE** |" in report
    assert "| A2 | train the scribe | — | — | open |" in report
    assert "| A3 | retire the old CDN | — | — | done " in report
    page = workspace.ok("postmortem", incident, "--format", "html")
    assert "fix &lt;b&gt;alerts&lt;/b&gt;" in page and "<strong>OVERDUE</strong>" in page
    stats = workspace.json("stats")
    assert isinstance(stats, dict)
    assert stats["action_items"] == {"open": 2, "done": 1, "overdue": 1}
    assert "action items: 2 open (1 overdue), 1 done" in workspace.ok("stats")


def test_evidence_handover_and_actions_on_either_backend(team_workspace: Workspace) -> None:
    ws = team_workspace
    incident = declare(ws, "--assign", "incident-lead=alice")
    evidence = ws.root / "letter.txt"
    evidence.write_text("solicitor's letter", encoding="utf-8")
    ws.ok("note", incident, "letter received", "--file", str(evidence), "--link", "https://docs.example.com/l")
    ws.ok("assign", incident, "incident-lead", "bob", "--handover", "legal has the letter")
    ws.ok("action", "add", incident, "reply to the solicitor", "--owner", "bob", "--due", "2030-01-01")
    ws.ok("resolve", incident)
    ws.ok("close", incident, "--force")
    ws.ok("action", "done", incident, "A1")
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    assert [event["type"] for event in events[-6:]] == [
        "note.added",
        "role.assigned",
        "action.added",
        "incident.resolved",
        "incident.closed",
        "action.done",
    ]
    assert events[-6]["data"]["attachments"][0]["sha256"] == hashlib.sha256(evidence.read_bytes()).hexdigest()
    assert ws.json("verify")["ok"] is True  # type: ignore[index]


def test_verify_warns_when_an_attached_files_copy_is_missing_or_altered(workspace: Workspace) -> None:
    incident = declare(workspace)
    evidence = workspace.root / "photo.jpg"
    evidence.write_bytes(b"\xff\xd8 label of batch 7")
    workspace.ok("note", incident, "label photo", "--file", str(evidence))
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    assert workspace.json("verify")["missing_evidence"] == []  # type: ignore[index]
    copy = evidence_copy(workspace, incident, digest)
    copy.write_bytes(b"replaced")
    code, out, _ = workspace.run("verify")
    assert code == 0  # the log itself is intact: the chain covers the digest, not the copy
    assert f"{incident} event 2: the copy of the attached file photo.jpg (sha256 {digest[:12]}) is missing" in out
    assert workspace.json("verify")["missing_evidence"] == [  # type: ignore[index]
        {"incident": incident, "seq": 2, "name": "photo.jpg", "sha256": digest}
    ]
