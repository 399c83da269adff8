"""The roster (people.yaml) and who acts on a team log: the signed-in database user, through real commands."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import Workspace, declare, event_count, read_digest
from test_backends import password_of
from test_guided import Terminal

ROSTER = """\
apiVersion: crisisctl/v1
kind: Roster
people:
  - id: ana
    name: Ana Lima
    email: ana@example.com
    phone: "+351 210 000 000"
    chat: "@ana"
    db_user: {ana}
    roles: [incident-lead, comms-lead]
  - id: lee
    name: Lee Chen
    db_user: {lee}
    roles: [incident-lead]
"""
_ROLES = itertools.count(1)


def write_roster(ws: Workspace, ana: str = "ana_db", lee: str = "lee_db") -> None:
    (ws.playbooks / "people.yaml").write_text(ROSTER.format(ana=ana, lee=lee), encoding="utf-8")


def login(ws: Workspace, admin: str, name: str) -> tuple[str, str]:
    """A new login role in crisisctl_writer, as docs/team.md tells a DBA to make one; (its name, its DSN)."""
    import psycopg

    user = f"{name}_{os.getpid()}_{next(_ROLES)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {user} LOGIN PASSWORD 'pw-{user}' IN ROLE crisisctl_writer")
    return user, admin.replace(f"postgres:{password_of(admin)}@", f"{user}:pw-{user}@")


def team_of_two(ws: Workspace) -> tuple[str, str]:
    """The log set up with `db init-team --apply`, Ana's and Lee's logins, and the roster naming them."""
    ws.ok("db", "init-team", "--apply")
    ana_user, ana = login(ws, ws.target, "ana")
    lee_user, lee = login(ws, ws.target, "lee")
    write_roster(ws, ana_user, lee_user)
    return ana, lee


# --------------------------------------------------------------------------- the roster file


def test_roster_problems_are_reported_with_file_line_and_column(workspace: Workspace) -> None:
    (workspace.playbooks / "people.yaml").write_text(
        textwrap.dedent("""\
            apiVersion: crisisctl/v1
            kind: Roster
            people:
              - id: ana
                name: Ana Lima
                db_user: ana_db
                roles: [incident-lead, comms-led]
              - id: ana
                mail: ana@example.com
                db_user: ana_db
            """),
        encoding="utf-8",
    )
    code, out, _ = workspace.run("playbook", "validate", "--format", "json")
    assert code == 1
    report = json.loads(out)
    found = {(Path(e["file"]).name, e["line"], e["column"], e["rule"]) for e in report["errors"]}
    assert found == {
        ("people.yaml", 8, 9, "duplicate-person"),
        ("people.yaml", 8, 5, "missing-key"),
        ("people.yaml", 9, 5, "unknown-key"),
        ("people.yaml", 10, 14, "duplicate-db-user"),
    }
    unknown_key = next(e for e in report["errors"] if e["rule"] == "unknown-key")
    assert unknown_key["hint"] == "did you mean `email`?"
    [warning] = [w for w in report["warnings"] if w["rule"] == "unknown-role"]
    assert (warning["line"], warning["column"], warning["path"]) == (7, 28, "people[0].roles[1]")
    assert warning["hint"] == "did you mean `comms-lead`?"


def test_a_valid_roster_validates_and_is_not_taken_for_a_playbook(workspace: Workspace) -> None:
    write_roster(workspace)
    code, out, _ = workspace.run("playbook", "validate")
    assert code == 0, out
    assert "2 file(s), 1 valid playbook(s): 0 error(s)" in out
    listed = workspace.json("playbook", "list")
    assert [row["id"] for row in listed] == ["base"]  # type: ignore[union-attr,index]


def test_the_roster_schema_is_published_and_accepts_the_documented_example(workspace: Workspace, repo: Path) -> None:
    import jsonschema
    import yaml

    schema = json.loads(workspace.ok("playbook", "schema", "--roster"))
    assert schema == json.loads((repo / "docs" / "schema" / "roster-v1.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    example = yaml.safe_load(ROSTER.format(ana="ana_db", lee="lee_db"))
    jsonschema.Draft202012Validator(schema).validate(example)
    example["people"][0]["mail"] = "x"
    assert not jsonschema.Draft202012Validator(schema).is_valid(example)


def test_schema_prints_one_format_at_a_time(workspace: Workspace) -> None:
    code, _, err = workspace.run("playbook", "schema", "--roster", "--scenario")
    assert code == 2 and "choose one of --scenario and --roster" in err


# --------------------------------------------------------------------------- names checked against the roster


def test_declare_and_assign_warn_about_people_not_in_the_roster(workspace: Workspace) -> None:
    write_roster(workspace)
    code, out, err = workspace.run(
        "declare", "base", "--input", "affected_customers=3", "--assign", "incident-lead=anna", "--json"
    )
    assert code == 0, err
    incident = json.loads(out)["id"]
    assert "warning: anna is not in the roster" in err and "did you mean `ana`?" in err
    code, _, err = workspace.run("assign", incident, "comms-lead", "Lee Chen")
    assert code == 0
    assert "warning: Lee Chen is not in the roster" in err and "did you mean `lee`?" in err
    code, _, err = workspace.run("assign", incident, "incident-lead", "ana")
    assert code == 0 and "warning" not in err
    holders = workspace.json("show", incident)["roles"]  # type: ignore[index]
    assert {role["id"]: role["holder"] for role in holders} == {"incident-lead": "ana", "comms-lead": "Lee Chen"}


def test_without_a_roster_names_are_not_questioned(workspace: Workspace) -> None:
    code, _, err = workspace.run("declare", "base", "--input", "affected_customers=3", "--assign", "incident-lead=x")
    assert code == 0 and "warning" not in err


def test_an_invalid_roster_refuses_assign_before_anything_is_recorded(workspace: Workspace) -> None:
    incident = declare(workspace)
    before = event_count(workspace, incident)
    (workspace.playbooks / "people.yaml").write_text("apiVersion: crisisctl/v1\nkind: Roster\npeople: []\n")
    code, _, err = workspace.run("assign", incident, "incident-lead", "ana")
    assert code == 1
    assert "people.yaml is not valid" in err and "3:9" in err
    assert event_count(workspace, incident) == before


def test_a_file_log_keeps_as_whatever_the_roster_says(workspace: Workspace) -> None:
    write_roster(workspace)
    incident = declare(workspace, "--assign", "incident-lead=lee")
    workspace.ok("--as", "ana", "note", incident, "written by ana's laptop")
    workspace.ok("--as", "lee", "note", incident, "and by lee's")
    assert [event["actor"] for event in workspace.json("timeline", incident)][-2:] == ["ana", "lee"]  # type: ignore[index]


# --------------------------------------------------------------------------- identity on a team log


def test_on_a_team_log_the_roster_names_the_actor_and_refuses_a_contradicting_as(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    ana, _ = team_of_two(ws)
    ws.target = ana
    incident = declare(ws)
    ws.ok("note", incident, "no --as needed")
    ws.ok("--as", "ana", "note", incident, "an --as that agrees is fine")
    before = event_count(ws, incident)
    code, _, err = ws.run("--as", "lee", "note", incident, "pretending")
    assert code == 1
    assert "who is ana in the roster" in err and "--as lee contradicts that" in err
    events = ws.json("timeline", incident)
    assert len(events) == before  # type: ignore[arg-type]
    assert {event["actor"] for event in events} == {"ana"}  # type: ignore[union-attr]


def test_an_approval_is_the_signed_in_persons_and_four_eyes_compares_people(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    ana, lee = team_of_two(ws)
    ws.target = ana
    incident = declare(ws, "--assign", "incident-lead=ana", "--assign", "comms-lead=lee")
    ws.ok("comms", "draft", incident, "customer-notice")
    digest = read_digest(ws, incident, "customer-notice")
    approve = ("comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest)
    code, _, err = ws.run(*approve)
    assert code == 1 and "ana drafted this text" in err  # ana holds the role, but drafted it: four eyes
    ws.ok("assign", incident, "incident-lead", "lee")
    ws.target = lee
    out = ws.ok(*approve)
    assert "approved by lee as incident-lead" in out
    approved = ws.json("timeline", incident)[-1]  # type: ignore[index]
    assert approved["type"] == "communication.approved" and approved["actor"] == "lee"


def test_a_database_user_outside_the_roster_cannot_approve_or_pass_for_someone_in_it(
    pg_workspace: Workspace,
) -> None:
    ws = pg_workspace
    ana, _ = team_of_two(ws)
    _, stranger = login(ws, ws.target, "sam")
    ws.target = ana
    incident = declare(ws, "--assign", "incident-lead=sam")
    ws.ok("comms", "draft", incident, "customer-notice")
    digest = read_digest(ws, incident, "customer-notice")
    ws.target = stranger
    code, _, err = ws.run("--as", "ana", "note", incident, "hello")
    assert code == 1 and "ana signs in to the log as the database user ana_" in err
    ws.ok("--as", "sam", "note", incident, "a helper may still take notes")
    code, _, err = ws.run(
        "--as", "sam", "comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest
    )
    assert code == 1 and "is nobody's db_user in the roster" in err and "so it cannot approve" in err


def test_without_a_roster_a_team_log_records_as_beside_the_database_user(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    ws.ok("db", "init-team", "--apply")
    user, ana = login(ws, ws.target, "ana")
    ws.target = ana
    incident = declare(ws, "--assign", "incident-lead=lee")
    ws.ok("--as", "lee", "note", incident, "lee at ana's keyboard")
    last = ws.json("timeline", incident)[-1]  # type: ignore[index]
    assert (last["actor"], last["data"]["db_user"]) == ("lee", user)


# --------------------------------------------------------------------------- done when: two people, one watcher


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_two_people_run_one_incident_and_a_third_terminal_watches_both(pg_workspace: Workspace) -> None:
    import subprocess

    from conftest import subprocess_env

    ws = pg_workspace
    ana, lee = team_of_two(ws)
    _, kim = login(ws, ws.target, "kim")  # the third laptop only watches
    common = ["--playbooks", str(ws.playbooks), "--templates", str(ws.templates)]

    def run_as(dsn: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "crisisctl", "--db", dsn, *common, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=subprocess_env(),
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run_as(ana, "declare", "base", "--input", "affected_customers=9", "--assign", "incident-lead=lee")
    watcher = Terminal([sys.executable, "-m", "crisisctl", "--db", kim, *common, "watch", "INC-1"], ws.root / "w")
    try:
        watcher.wait_for("crisisctl watch")
        run_as(ana, "comms", "draft", "INC-1", "customer-notice")
        watcher.wait_for("customer-notice drafted", timeout=1.0)  # the "within 1 s" of another laptop
        digest = json.loads(run_as(lee, "comms", "show", "INC-1", "customer-notice", "--json"))["draft_sha256"]
        run_as(lee, "comms", "approve", "INC-1", "customer-notice", "--role", "incident-lead", "--digest", digest)
        watcher.wait_for("customer-notice approved as incident-lead", timeout=1.0)
        assert "declared from base" in watcher.screen()
    finally:
        watcher.close()
    events = json.loads(run_as(ana, "timeline", "INC-1", "--json"))
    assert [(e["type"], e["actor"]) for e in events] == [
        ("incident.declared", "ana"),
        ("communication.drafted", "ana"),
        ("communication.approved", "lee"),
    ]
    assert events[0]["data"]["db_user"] != events[2]["data"]["db_user"]
