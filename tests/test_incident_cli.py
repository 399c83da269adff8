"""The incident lifecycle through the real entry point: JSON shapes, rules and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Workspace, declare, event_count, outbox_of, read_digest


def test_declare_prints_the_promised_fields(workspace: Workspace) -> None:
    payload = workspace.json("declare", "base", "--input", "affected_customers=1200", "--title", "Checkout down")
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
    assert declare(workspace) == "INC-2"


def test_declare_unknown_playbook_suggests_the_closest(workspace: Workspace) -> None:
    code, _, err = workspace.run("declare", "bsae")
    assert code == 2
    assert "did you mean `base`" in err


def test_invalid_playbook_cannot_be_declared_but_others_can(workspace: Workspace) -> None:
    (workspace.playbooks / "broken.yaml").write_text(
        (workspace.playbooks / "base.yaml")
        .read_text()
        .replace("id: base", "id: broken")
        .replace("due: 2h", "due: soon")
    )
    code, _, err = workspace.run("declare", "broken", "--input", "affected_customers=1")
    assert code == 1
    assert "steps[1].due" in err
    assert not workspace.db.exists()
    assert declare(workspace) == "INC-1"


def test_missing_required_input_without_terminal_names_the_flag(workspace: Workspace) -> None:
    code, _, err = workspace.run("declare", "base")
    assert code == 2
    assert "--input affected_customers=VALUE" in err
    assert not workspace.db.exists()


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("affected_customers=many", "not a valid integer"),
        ("affected_custmers=3", "did you mean `affected_customers`"),
        ("affected_customers", "expects NAME=VALUE"),
    ],
)
def test_bad_inputs_are_usage_errors(workspace: Workspace, flag: str, message: str) -> None:
    code, _, err = workspace.run("declare", "base", "--input", flag)
    assert code == 2
    assert message in err


def test_incidents_lists_open_ones_and_filters_drills(workspace: Workspace) -> None:
    live = declare(workspace)
    drill = declare(workspace, "--drill")
    rows = workspace.json("incidents")
    assert [row["id"] for row in rows] == [drill, live]  # type: ignore[union-attr]
    assert set(rows[0]) == {"id", "playbook", "title", "severity", "status", "drill", "declared_at"}  # type: ignore[index]
    assert [row["id"] for row in workspace.json("incidents", "--drill")] == [drill]  # type: ignore[union-attr]
    assert [row["id"] for row in workspace.json("incidents", "--live")] == [live]  # type: ignore[union-attr]
    code, _, _ = workspace.run("incidents", "--drill", "--live")
    assert code == 2


def test_closed_incidents_are_listed_only_with_all(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("resolve", incident)
    workspace.ok("close", incident, "--force")
    assert workspace.json("incidents") == []
    assert [row["status"] for row in workspace.json("incidents", "--all")] == ["closed"]  # type: ignore[union-attr]


def test_reading_a_missing_log_creates_nothing(workspace: Workspace) -> None:
    assert workspace.json("incidents") == []
    assert not workspace.db.exists()


def test_show_reports_roles_steps_due_and_overdue(workspace: Workspace) -> None:
    incident = declare(workspace, "--at", "-45m", "--assign", "incident-lead=alice")
    detail = workspace.json("show", incident)
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


def test_unfilled_required_roles_are_flagged(workspace: Workspace) -> None:
    incident = declare(workspace)
    assert workspace.json("show", incident)["unfilled_required_roles"] == ["incident-lead"]  # type: ignore[index]
    assert "UNFILLED REQUIRED ROLES: incident-lead" in workspace.ok("show", incident)


def test_next_offers_steps_whose_dependencies_are_met(workspace: Workspace) -> None:
    incident = declare(workspace)
    assert [step["id"] for step in workspace.json("next", incident)] == ["assess"]  # type: ignore[union-attr]
    workspace.ok("step", "done", incident, "assess")
    assert [step["id"] for step in workspace.json("next", incident)] == ["notify"]  # type: ignore[union-attr]


def test_done_with_unmet_dependency_is_refused_and_writes_nothing(workspace: Workspace) -> None:
    incident = declare(workspace)
    before = event_count(workspace, incident)
    code, _, err = workspace.run("step", "done", incident, "notify")
    assert code == 1
    assert "depends on assess" in err and "--force" in err
    assert event_count(workspace, incident) == before


def test_force_is_recorded(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("step", "done", incident, "notify", "--force")
    step = workspace.json("show", incident)["steps"][1]  # type: ignore[index]
    assert step["status"] == "done" and step["forced"] is True
    assert workspace.json("timeline", incident)[-1]["data"] == {"step": "notify", "forced": True}  # type: ignore[index]


@pytest.mark.parametrize("action", ["skip", "block"])
def test_skip_and_block_need_a_note(workspace: Workspace, action: str) -> None:
    incident = declare(workspace)
    code, _, err = workspace.run("step", action, incident, "assess")
    assert code == 1
    assert "--note" in err
    workspace.ok("step", action, incident, "assess", "--note", "handled by the vendor")


def test_done_steps_stay_done(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("step", "done", incident, "assess")
    code, _, err = workspace.run("step", "start", incident, "assess")
    assert code == 1 and "already done" in err


def test_unknown_ids_are_usage_errors_with_suggestions(workspace: Workspace) -> None:
    incident = declare(workspace)
    for args, suggestion in [
        (("step", "done", incident, "asess"), "assess"),
        (("assign", incident, "comms", "bob"), "comms-lead"),
        (("severity", incident, "sev9", "--note", "x"), "sev"),
        (("note", "INC-11", "x"), "INC-1"),
    ]:
        code, _, err = workspace.run(*args)
        assert code == 2, args
        assert suggestion in err, (args, err)


def test_incident_ids_are_accepted_in_any_case(workspace: Workspace) -> None:
    declare(workspace)
    assert workspace.json("show", "inc-1")["id"] == "INC-1"  # type: ignore[index]
    assert workspace.json("show", "1")["id"] == "INC-1"  # type: ignore[index]


def test_lifecycle_open_resolved_closed(workspace: Workspace) -> None:
    incident = declare(workspace)
    code, _, err = workspace.run("close", incident)
    assert code == 1 and "resolve it first" in err
    workspace.ok("resolve", incident, "--summary", "fixed")
    code, _, err = workspace.run("resolve", incident)
    assert code == 1
    code, _, err = workspace.run("close", incident)
    assert code == 1 and "assess, notify" in err
    workspace.ok("step", "done", incident, "assess")
    workspace.ok("step", "skip", incident, "notify", "--note", "no customer saw it")
    workspace.ok("close", incident)
    before = event_count(workspace, incident)
    code, _, err = workspace.run("note", incident, "late thought")
    assert code == 1 and "closed" in err
    assert event_count(workspace, incident) == before


def test_stated_times(workspace: Workspace) -> None:
    incident = declare(workspace, "--at", "-2h")
    declared = workspace.json("show", incident)["declared_at"]  # type: ignore[index]
    workspace.ok("note", incident, "called the vendor", "--at", "+35m")
    workspace.ok("note", incident, "vendor called back", "--at", "-15m")
    events = workspace.json("timeline", incident)
    assert isinstance(events, list)
    note_35 = events[1]
    assert note_35["data"] == {"text": "called the vendor"}
    import datetime as dt

    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert parse(note_35["at"]) - parse(declared) == dt.timedelta(minutes=35)
    assert parse(events[2]["recorded_at"]) - parse(events[2]["at"]) >= dt.timedelta(minutes=15)
    code, _, err = workspace.run("note", incident, "x", "--at", "+3h")
    assert code == 2 and "future" in err
    code, _, err = workspace.run("note", incident, "x", "--at", "2001-01-01T00:00")
    assert code == 1 and "before" in err
    code, _, err = workspace.run("note", incident, "x", "--at", "yesterday")
    assert code == 2 and "ISO 8601" in err


def test_timeline_shape_and_actor(workspace: Workspace) -> None:
    incident = declare(workspace)
    workspace.ok("--as", "scribe-sam", "note", incident, "hello")
    events = workspace.json("timeline", incident)
    assert isinstance(events, list)
    assert [event["type"] for event in events] == ["incident.declared", "note.added"]
    assert {"seq", "at", "recorded_at", "type", "actor", "data"} <= set(events[1])
    assert events[1]["actor"] == "scribe-sam"


def test_playbook_is_pinned_at_declaration(workspace: Workspace) -> None:
    incident = declare(workspace)
    path = workspace.playbooks / "base.yaml"
    path.write_text(path.read_text().replace("title: Assess impact", "title: Assess the impact"))
    detail = workspace.json("show", incident)
    assert detail["playbook_changed_on_disk"] is True  # type: ignore[index]
    assert "changed since declaration" in workspace.ok("show", incident)
    path.unlink()
    assert workspace.json("show", incident)["steps"][0]["title"] == "Assess impact"  # type: ignore[index]


def test_user_text_is_inert_in_human_output(workspace: Workspace) -> None:
    incident = declare(workspace)
    hostile = "\x1b[2J\x1b]0;owned\x07 \x9b31m [bold red]RESOLVED[/] \u202eevil"
    workspace.ok("note", incident, hostile)
    out = workspace.ok("timeline", incident)
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in out
    assert "[bold red]RESOLVED[/]" in out
    assert workspace.json("timeline", incident)[-1]["data"]["text"] == hostile  # type: ignore[index]


def test_verify_gives_an_anchor_that_later_verifies(workspace: Workspace) -> None:
    incident = declare(workspace)
    result = workspace.json("verify")
    assert isinstance(result, dict)
    assert result["ok"] is True and result["events"] == 1
    anchor = result["anchor"]
    workspace.ok("note", incident, "more")
    assert workspace.json("verify", "--anchor", anchor)["ok"] is True  # type: ignore[index]
    code, _, err = workspace.run("verify", "--anchor", "nonsense")
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


def test_the_kept_playbook_data_cannot_drift_from_the_pinned_text(workspace: Workspace) -> None:
    import sqlite3

    declare(workspace)
    connection = sqlite3.connect(workspace.db)
    (guard,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'playbook_models_append_only_update'"
    ).fetchone()
    connection.execute("DROP TRIGGER playbook_models_append_only_update")  # as an attacker would,
    connection.execute('UPDATE playbook_models SET data = replace(data, \'"due":"30m"\', \'"due":"3w"\')')
    connection.execute(guard)  # putting the guard back so the schema looks untouched
    connection.commit()
    connection.close()
    code, out, _ = workspace.run("verify", "--json")
    assert code == 1
    assert "does not match its text" in json.loads(out)["reason"]


def test_the_incident_list_in_a_pipe_is_plain_aligned_inert_text(workspace: Workspace) -> None:
    declare(workspace, "--title", "Outage \x1b[2J [bold]x[/]")
    declare(workspace, "--drill")
    lines = workspace.ok("incidents").splitlines()
    assert lines[0].split() == ["id", "status", "severity", "playbook", "title", "declared"]
    assert lines[1].startswith("INC-2  open") and "[DRILL]" in lines[1]
    assert "\\x1b[2J [bold]x[/]" in lines[2] and "\x1b" not in "".join(lines)


def test_timeline_and_next_in_a_pipe_are_plain_inert_text(workspace: Workspace) -> None:
    incident = declare(workspace, "--assign", "incident-lead=alice")
    workspace.ok("note", incident, "vendor says \x1b]0;owned\x07 [bold]fixed[/]")
    lines = workspace.ok("timeline", incident).splitlines()
    assert lines[0].split() == ["seq", "at", "who", "what"]
    assert lines[-1].endswith("vendor says \\x1b]0;owned\\x07 [bold]fixed[/]")
    steps = workspace.ok("next", incident).splitlines()
    assert steps[0].split() == ["step", "status", "owner", "due", "what"]
    assert steps[1].split()[:3] == ["assess", "pending", "alice"] and "Assess impact" in steps[1]


def test_show_in_a_pipe_is_plain_inert_sections(workspace: Workspace) -> None:
    incident = declare(workspace, "--title", "Outage \x1b[2J [bold]x[/]")
    workspace.ok("step", "done", incident, "assess", "--note", "ok \x1b[31m")
    sections = workspace.ok("show", incident).split("\n\n")
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


def test_absurd_times_and_durations_are_clean_errors(workspace: Workspace, tmp_path: Path) -> None:
    incident = declare(workspace)
    code, _, err = workspace.run("note", incident, "x", "--at", "-99999999999m")
    assert code == 2 and "too far" in err
    drill = declare(workspace, "--drill")
    code, _, err = workspace.run("note", drill, "typo", "--at", "9999-12-31T23:00")
    assert code == 2 and "more than a year after the drill started" in err
    workspace.ok("note", drill, "scripted ahead", "--at", "+3h")  # drills may run ahead of their clock
    huge = workspace.playbooks / "huge.yaml"
    huge.write_text(
        (workspace.playbooks / "base.yaml")
        .read_text()
        .replace("id: base", "id: huge")
        .replace("due: 2h", "due: 3000000d")
    )
    report = json.loads(workspace.run("playbook", "validate", str(huge), "--format", "json")[1])
    assert [(e["rule"], e["message"]) for e in report["errors"]] == [
        ("duration", "`3000000d` is longer than ten years")
    ]


def test_blank_person_and_blank_reason_are_usage_errors(workspace: Workspace) -> None:
    incident = declare(workspace)
    before = event_count(workspace, incident)
    code, _, _ = workspace.run("assign", incident, "incident-lead", "  ")
    assert code == 2
    code, _, _ = workspace.run("severity", incident, "sev2", "--note", "")
    assert code == 2
    assert event_count(workspace, incident) == before


def test_a_send_with_a_bad_stated_time_sends_nothing(workspace: Workspace) -> None:
    incident = declare(workspace, "--assign", "incident-lead=lee")
    workspace.ok("comms", "draft", incident, "customer-notice")
    digest = read_digest(workspace, incident, "customer-notice")
    workspace.ok(
        "--as", "lee", "comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest
    )
    before = event_count(workspace, incident)
    for at, expected in (("2020-01-01T00:00", 1), ("garbage", 2), ("+3h", 2)):
        code, _, _ = workspace.run("comms", "send", incident, "customer-notice", "--at", at)
        assert code == expected, at
    outbox = outbox_of(workspace, incident)
    assert not outbox.exists() or not any(outbox.rglob("*.eml")), "a refused send must not leave a message"
    assert event_count(workspace, incident) == before
