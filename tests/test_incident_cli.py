"""The incident lifecycle through the real entry point: JSON shapes, rules and exit codes.

Every test that records or reads incidents runs on both stores (`ws`: a SQLite file and a team log on
PostgreSQL). `check` without --declare reads signals and playbooks, never the log, and `db backup` copies a
SQLite file: those run on SQLite alone.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from conftest import Workspace, as_recorded, declare, event_count, log_exists, outbox_of, read_digest


@pytest.fixture
def ws(team_workspace: Workspace) -> Workspace:
    """A workspace on each store: a SQLite file, and a team log on PostgreSQL."""
    return team_workspace


def test_declare_prints_the_promised_fields(ws: Workspace) -> None:
    payload = ws.json("declare", "base", "--input", "affected_customers=1200", "--title", "Checkout down")
    assert payload == {
        "id": "INC-1",
        "playbook": "base",
        "playbook_version": "1.0.0",
        "title": "Checkout down",
        "severity": "sev1",
        "status": "open",
        "drill": False,
        "declared_at": payload["declared_at"],  # type: ignore[index]
    }
    assert declare(ws) == "INC-2"


def test_declare_unknown_playbook_suggests_the_closest(ws: Workspace) -> None:
    code, _, err = ws.run("declare", "bsae")
    assert code == 2
    assert "did you mean `base`" in err
    assert not log_exists(ws)


def test_invalid_playbook_cannot_be_declared_but_others_can(ws: Workspace) -> None:
    (ws.playbooks / "broken.yaml").write_text(
        (ws.playbooks / "base.yaml").read_text().replace("id: base", "id: broken").replace("due: 2h", "due: soon")
    )
    code, _, err = ws.run("declare", "broken", "--input", "affected_customers=1")
    assert code == 1
    assert "steps[1].due" in err
    assert not log_exists(ws)
    assert declare(ws) == "INC-1"


def test_missing_required_input_without_terminal_names_the_flag(ws: Workspace) -> None:
    code, _, err = ws.run("declare", "base")
    assert code == 2
    assert "--input affected_customers=VALUE" in err
    assert not log_exists(ws)


def test_declare_checks_severity_and_roles_before_asking_for_inputs(ws: Workspace) -> None:
    """A typo in --severity or --assign is refused before any question, so nobody answers every prompt in vain:
    without a terminal the flag's error is reported, not the missing input."""
    for flags, wanted in (
        (("--severity", "sev9"), "unknown severity `sev9`"),
        (("--assign", "nosuchrole=bob"), "unknown role `nosuchrole`"),
    ):
        code, _, err = ws.run("declare", "base", *flags)
        assert code == 2 and wanted in err and "affected_customers" not in err, (flags, err)
    assert not log_exists(ws)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("affected_customers=many", "not a valid integer"),
        ("affected_custmers=3", "did you mean `affected_customers`"),
        ("affected_customers", "expects NAME=VALUE"),
    ],
)
def test_bad_inputs_are_usage_errors(ws: Workspace, flag: str, message: str) -> None:
    code, _, err = ws.run("declare", "base", "--input", flag)
    assert code == 2
    assert message in err
    assert not log_exists(ws)


def test_incidents_lists_open_ones_and_filters_drills(ws: Workspace) -> None:
    live = declare(ws)
    drill = declare(ws, "--drill")
    rows = ws.json("incidents")
    assert [row["id"] for row in rows] == [live]  # type: ignore[union-attr]
    assert set(rows[0]) == {"id", "playbook", "title", "severity", "status", "drill", "declared_at"}  # type: ignore[index]
    assert [row["id"] for row in ws.json("incidents", "--drill")] == [drill]  # type: ignore[union-attr]
    assert [row["id"] for row in ws.json("incidents", "--live")] == [live]  # type: ignore[union-attr]
    code, _, _ = ws.run("incidents", "--drill", "--live")
    assert code == 2


def test_closed_incidents_are_listed_only_with_all(ws: Workspace) -> None:
    incident = declare(ws)
    ws.ok("resolve", incident)
    ws.ok("close", incident, "--force")
    assert ws.json("incidents") == []
    assert [row["status"] for row in ws.json("incidents", "--all")] == ["closed"]  # type: ignore[union-attr]


def test_show_reports_roles_steps_due_and_overdue(ws: Workspace) -> None:
    incident = declare(ws, "--at", "-45m", "--assign", "incident-lead=alice")
    detail = ws.json("show", incident)
    assert isinstance(detail, dict)
    for key in (
        "id",
        "status",
        "severity",
        "drill",
        "playbook",
        "playbook_version",
        "roles",
        "steps",
        "communications",
    ):
        assert key in detail
    assert {"id": "incident-lead", "holder": "alice"}.items() <= detail["roles"][0].items()
    assert detail["unfilled_required_roles"] == []
    assess, notify = detail["steps"]
    assert assess["id"] == "assess" and assess["status"] == "pending" and assess["overdue"] is True
    assert notify["overdue"] is False and notify["due_at"].endswith("Z")
    assert detail["communications"][0]["id"] == "customer-notice"


def test_unfilled_required_roles_are_flagged(ws: Workspace) -> None:
    incident = declare(ws)
    assert ws.json("show", incident)["unfilled_required_roles"] == ["incident-lead"]  # type: ignore[index]
    assert "UNFILLED REQUIRED ROLES: incident-lead" in ws.ok("show", incident)


def test_next_offers_steps_whose_dependencies_are_met(ws: Workspace) -> None:
    incident = declare(ws)
    assert [step["id"] for step in ws.json("next", incident)] == ["assess"]  # type: ignore[union-attr]
    ws.ok("step", "done", incident, "assess")
    assert [step["id"] for step in ws.json("next", incident)] == ["notify"]  # type: ignore[union-attr]


def test_done_with_unmet_dependency_is_refused_and_writes_nothing(ws: Workspace) -> None:
    incident = declare(ws)
    before = event_count(ws, incident)
    code, _, err = ws.run("step", "done", incident, "notify")
    assert code == 1
    assert "depends on assess" in err and "--force" in err
    assert event_count(ws, incident) == before


def test_force_is_recorded(ws: Workspace) -> None:
    incident = declare(ws)
    ws.ok("step", "done", incident, "notify", "--force")
    step = ws.json("show", incident)["steps"][1]  # type: ignore[index]
    assert step["status"] == "done" and step["forced"] is True
    assert as_recorded(ws, ws.json("timeline", incident)[-1]["data"]) == {"step": "notify", "forced": True}  # type: ignore[index]


@pytest.mark.parametrize("action", ["skip", "block"])
def test_skip_and_block_need_a_note(ws: Workspace, action: str) -> None:
    incident = declare(ws)
    code, _, err = ws.run("step", action, incident, "assess")
    assert code == 1
    assert "--note" in err
    ws.ok("step", action, incident, "assess", "--note", "handled by the vendor")


def test_done_steps_stay_done(ws: Workspace) -> None:
    incident = declare(ws)
    ws.ok("step", "done", incident, "assess")
    code, _, err = ws.run("step", "start", incident, "assess")
    assert code == 1 and "already done" in err


def test_unknown_ids_are_usage_errors_with_suggestions(ws: Workspace) -> None:
    incident = declare(ws)
    for args, suggestion in [
        (("step", "done", incident, "asess"), "assess"),
        (("assign", incident, "comms", "bob"), "comms-lead"),
        (("severity", incident, "sev9", "--note", "x"), "sev"),
        (("note", "INC-11", "x"), "INC-1"),
    ]:
        code, _, err = ws.run(*args)
        assert code == 2, args
        assert suggestion in err, (args, err)


def test_incident_ids_are_accepted_in_any_case(ws: Workspace) -> None:
    declare(ws)
    assert ws.json("show", "inc-1")["id"] == "INC-1"  # type: ignore[index]
    assert ws.json("show", "1")["id"] == "INC-1"  # type: ignore[index]


def test_lifecycle_open_resolved_closed(ws: Workspace) -> None:
    incident = declare(ws)
    code, _, err = ws.run("close", incident)
    assert code == 1 and "resolve it first" in err
    ws.ok("resolve", incident, "--summary", "fixed")
    code, _, err = ws.run("resolve", incident)
    assert code == 1
    code, _, err = ws.run("close", incident)
    assert code == 1 and "assess, notify" in err
    ws.ok("step", "done", incident, "assess")
    ws.ok("step", "skip", incident, "notify", "--note", "no customer saw it")
    ws.ok("close", incident)
    before = event_count(ws, incident)
    code, _, err = ws.run("note", incident, "late thought")
    assert code == 1 and "closed" in err
    assert event_count(ws, incident) == before


def test_stated_times(ws: Workspace) -> None:
    incident = declare(ws, "--at", "-2h")
    declared = ws.json("show", incident)["declared_at"]  # type: ignore[index]
    ws.ok("note", incident, "called the vendor", "--at", "+35m")
    ws.ok("note", incident, "vendor called back", "--at", "-15m")
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    note_35 = events[1]
    assert as_recorded(ws, note_35["data"]) == {"text": "called the vendor"}
    import datetime as dt

    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert parse(note_35["at"]) - parse(declared) == dt.timedelta(minutes=35)
    assert parse(events[2]["recorded_at"]) - parse(events[2]["at"]) >= dt.timedelta(minutes=15)
    code, _, err = ws.run("note", incident, "x", "--at", "+3h")
    assert code == 2 and "future" in err
    code, _, err = ws.run("note", incident, "x", "--at", "2001-01-01T00:00")
    assert code == 1 and "before" in err
    code, _, err = ws.run("note", incident, "x", "--at", "yesterday")
    assert code == 2 and "ISO 8601" in err


def test_show_says_the_playbook_changed_only_when_its_text_did(ws: Workspace) -> None:
    """A byte-order mark is not a change: the pinned text is the file's without it."""
    path = ws.playbooks / "base.yaml"
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    incident = declare(ws)
    assert ws.json("show", incident)["playbook_changed_on_disk"] is False  # type: ignore[index]
    assert "changed since declaration" not in ws.ok("show", incident)
    path.write_bytes(path.read_bytes() + b"# reviewed on 2026-12-05\n")
    assert ws.json("show", incident)["playbook_changed_on_disk"] is True  # type: ignore[index]


def test_show_sees_an_undecodable_byte_where_the_pinned_text_had_a_replacement_character(ws: Workspace) -> None:
    """U+FFFD is valid text; a byte that is not UTF-8 in its place is a change (the file no longer even loads)."""
    path = ws.playbooks / "base.yaml"
    path.write_text(path.read_text().replace("title: Assess impact", "title: Assess impact \ufffd"))
    incident = declare(ws)
    assert ws.json("show", incident)["playbook_changed_on_disk"] is False  # type: ignore[index]
    path.write_bytes(path.read_bytes().replace("\ufffd".encode(), b"\xff"))
    assert ws.json("show", incident)["playbook_changed_on_disk"] is True  # type: ignore[index]


def test_timeline_shape_and_actor(ws: Workspace) -> None:
    incident = declare(ws)
    ws.ok("--as", "scribe-sam", "note", incident, "hello")
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    assert [event["type"] for event in events] == ["incident.declared", "note.added"]
    assert {"seq", "at", "recorded_at", "type", "actor", "data"} <= set(events[1])
    assert events[1]["actor"] == "scribe-sam"


def test_playbook_is_pinned_at_declaration(ws: Workspace) -> None:
    incident = declare(ws)
    path = ws.playbooks / "base.yaml"
    path.write_text(path.read_text().replace("title: Assess impact", "title: Assess the impact"))
    detail = ws.json("show", incident)
    assert detail["playbook_changed_on_disk"] is True  # type: ignore[index]
    assert "changed since declaration" in ws.ok("show", incident)
    path.unlink()
    assert ws.json("show", incident)["steps"][0]["title"] == "Assess impact"  # type: ignore[index]


def test_user_text_is_inert_in_human_output(ws: Workspace) -> None:
    incident = declare(ws)
    hostile = "\x1b[2J\x1b]0;owned\x07 \x9b31m [bold red]RESOLVED[/] \u202eevil"
    ws.ok("note", incident, hostile)
    out = ws.ok("timeline", incident)
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in out
    assert "[bold red]RESOLVED[/]" in out
    assert ws.json("timeline", incident)[-1]["data"]["text"] == hostile  # type: ignore[index]


def test_verify_gives_an_anchor_that_later_verifies(ws: Workspace) -> None:
    incident = declare(ws)
    result = ws.json("verify")
    assert isinstance(result, dict)
    assert result["ok"] is True and result["events"] == 1
    anchor = result["anchor"]
    ws.ok("note", incident, "more")
    assert ws.json("verify", "--anchor", anchor)["ok"] is True  # type: ignore[index]
    code, _, err = ws.run("verify", "--anchor", "nonsense")
    assert code == 2 and "SEQ:sha256:HEX" in err


def test_db_path_and_backup(workspace: Workspace, tmp_path: Path) -> None:
    declare(workspace)
    assert workspace.ok("db", "path").strip() == str(workspace.db)
    copy = tmp_path / "copy.sqlite3"
    workspace.ok("db", "backup", str(copy))
    code, _, _ = workspace.run("--db", str(copy), "verify")
    assert code == 0
    code, _, err = workspace.run("db", "backup", str(copy))
    assert code == 2 and "already exists" in err


def test_the_incident_list_in_a_pipe_is_plain_aligned_inert_text(ws: Workspace) -> None:
    declare(ws, "--drill", "--title", "Outage \x1b[2J [bold]x[/]")
    declare(ws, "--drill")
    lines = ws.ok("incidents", "--drill").splitlines()
    assert lines[0].split() == ["id", "status", "severity", "playbook", "title", "declared"]
    assert lines[1].startswith("INC-2  open") and "[DRILL]" in lines[1]
    assert "\\x1b[2J [bold]x[/]" in lines[2] and "\x1b" not in "".join(lines)


def test_timeline_and_next_in_a_pipe_are_plain_inert_text(ws: Workspace) -> None:
    incident = declare(ws, "--assign", "incident-lead=alice")
    ws.ok("note", incident, "vendor says \x1b]0;owned\x07 [bold]fixed[/]")
    lines = ws.ok("timeline", incident).splitlines()
    assert lines[0].split() == ["seq", "at", "who", "what"]
    assert lines[-1].endswith("vendor says \\x1b]0;owned\\x07 [bold]fixed[/]")
    steps = ws.ok("next", incident).splitlines()
    assert steps[0].split() == ["step", "status", "owner", "due", "what"]
    assert steps[1].split()[:3] == ["assess", "pending", "alice"] and "Assess impact" in steps[1]


def test_show_in_a_pipe_is_plain_inert_sections(ws: Workspace) -> None:
    incident = declare(ws, "--title", "Outage \x1b[2J [bold]x[/]")
    ws.ok("step", "done", incident, "assess", "--note", "ok \x1b[31m")
    sections = ws.ok("show", incident).split("\n\n")
    header = sections[0].splitlines()
    assert header[0] == f"{incident}  Outage \\x1b[2J [bold]x[/]"
    assert header[1].startswith("open · ")
    assert any(line.startswith("UNFILLED REQUIRED ROLES: incident-lead") for line in header)
    assert sections[1].splitlines()[0] == "Roles"
    assert sections[1].splitlines()[1].split() == ["role", "title", "holder"]
    steps = sections[2].splitlines()
    assert steps[0] == "Steps" and steps[1].split() == ["step", "status", "owner", "due", "what"]
    assessed = next(line for line in steps if line.startswith("assess "))
    assert assessed.split()[1] == "done" and assessed.endswith("Assess impact — ok \\x1b[31m")
    assert "\x1b" not in "".join(sections)


def test_absurd_times_and_durations_are_clean_errors(ws: Workspace, tmp_path: Path) -> None:
    incident = declare(ws)
    code, _, err = ws.run("note", incident, "x", "--at", "-99999999999m")
    assert code == 2 and "too far" in err
    drill = declare(ws, "--drill")
    code, _, err = ws.run("note", drill, "typo", "--at", "9999-12-31T23:00")
    assert code == 2 and "more than a year after the drill started" in err
    ws.ok("note", drill, "scripted ahead", "--at", "+3h")  # drills may run ahead of their clock
    huge = ws.playbooks / "huge.yaml"
    huge.write_text(
        (ws.playbooks / "base.yaml").read_text().replace("id: base", "id: huge").replace("due: 2h", "due: 3000000d")
    )
    report = json.loads(ws.run("playbook", "validate", str(huge), "--format", "json")[1])
    assert [(e["rule"], e["message"]) for e in report["errors"]] == [
        ("duration", "`3000000d` is longer than ten years")
    ]


def test_blank_person_and_blank_reason_are_usage_errors(ws: Workspace) -> None:
    incident = declare(ws)
    before = event_count(ws, incident)
    code, _, _ = ws.run("assign", incident, "incident-lead", "  ")
    assert code == 2
    code, _, _ = ws.run("severity", incident, "sev2", "--note", "")
    assert code == 2
    assert event_count(ws, incident) == before


def test_a_send_with_a_bad_stated_time_sends_nothing(ws: Workspace) -> None:
    incident = declare(ws, "--assign", "incident-lead=lee")
    ws.ok("comms", "draft", incident, "customer-notice")
    digest = read_digest(ws, incident, "customer-notice")
    ws.ok("--as", "lee", "comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest)
    before = event_count(ws, incident)
    for at, expected in (("2020-01-01T00:00", 1), ("garbage", 2), ("+3h", 2)):
        code, _, _ = ws.run("comms", "send", incident, "customer-notice", "--at", at)
        assert code == expected, at
    outbox = outbox_of(ws, incident)
    assert not outbox.exists() or not any(outbox.rglob("*.eml")), "a refused send must not leave a message"
    assert event_count(ws, incident) == before
