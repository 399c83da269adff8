"""What a team log on PostgreSQL adds to a SQLite log, and one whole incident run on both stores.

The storage, audit, engine, concurrency, kill -9 and tamper promises run on both stores through the `backend`
fixture in their own files (test_log_storage.py, test_log_audit.py, test_incident_cli.py, test_faults.py,
test_incident_stateful.py). Here: an incident through every kind of command on each store, and what only
PostgreSQL has (TRUNCATE, a server that is down or refuses the password, a connection killed or timed out, the
writer role and its trigger, rewritten guard functions, the server's clock, DSN masking, `db init-team`), and
config.toml naming either kind of log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace, crisisctl, declare, is_pg, read_digest, rows, subprocess_env


def verify(ws: Workspace) -> dict[str, Any]:
    code, out, err = ws.run("verify", "--json")
    assert code in (0, 1), err
    payload = json.loads(out)
    assert isinstance(payload, dict)
    return payload


# --------------------------------------------------------------------------- one incident on both stores


def test_an_incident_runs_the_same_on_both_stores(team_workspace: Workspace) -> None:
    ws = team_workspace
    incident = declare(ws)
    ws.ok("--as", "lead", "assign", incident, "incident-lead", "ana")
    ws.ok("step", "done", incident, "assess")
    ws.ok("note", incident, "customers told by phone")
    ws.ok("comms", "draft", incident, "customer-notice")
    digest = read_digest(ws, incident, "customer-notice")
    ws.ok("--as", "ana", "comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest)
    listed = ws.json("incidents")
    assert isinstance(listed, list) and [row["id"] for row in listed] == [incident]
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    assert [event["type"] for event in events][:3] == ["incident.declared", "role.assigned", "step.done"]
    assert all(
        set(event) == {"seq", "at", "recorded_at", "type", "actor", "data", "prev_hash", "hash"} for event in events
    )
    assert ("db_user" in events[0]["data"]) is is_pg(ws.target)
    result = verify(ws)
    assert result["ok"] and result["events"] == len(events)


# --------------------------------------------------------------------------- PostgreSQL only


def test_truncate_is_refused_on_postgresql(pg_workspace: Workspace) -> None:
    import psycopg

    ws = pg_workspace  # SQLite has no TRUNCATE; DELETE is refused on both (test_log_audit.py)
    declare(ws)
    for table in ("events", "incidents", "playbook_snapshots", "playbook_models"):
        with pytest.raises(psycopg.errors.RaiseException, match=r"append-only|never deleted"):
            rows(ws.target, f"TRUNCATE {table} CASCADE")
    assert verify(ws)["ok"]


def password_of(dsn: str) -> str:
    return dsn.split("://", 1)[1].split("@", 1)[0].partition(":")[2]


def test_server_down_is_a_clean_log_error_without_the_password(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    secret = password_of(ws.target)
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ws.target = f"postgresql://postgres:{secret}@127.0.0.1:{port}/nowhere"
    code, out, err = ws.run("note", "INC-1", "hello")
    assert code == 4 and "cannot reach the log" in err and f"127.0.0.1:{port}/nowhere" in err
    assert secret not in out + err
    assert "Traceback" not in err


def test_a_wrong_password_is_a_clean_log_error(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    secret = password_of(ws.target)
    ws.target = ws.target.replace(f":{secret}@", ":wrong-password@")
    code, out, err = ws.run("incidents")
    assert code == 4 and "authentication failed" in err
    assert "wrong-password" not in out + err


def _hold_append_lock(admin: str) -> Any:
    import psycopg

    from crisisctl.store.postgres.connection import APPEND_LOCK

    holder = psycopg.connect(admin, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (APPEND_LOCK,))
    return holder


def _waiting_crisisctl(holder: Any) -> int:
    """The backend pid of a crisisctl waiting for the append lock (polled until it waits, or a minute passed:
    a child that died before waiting fails the test instead of hanging it)."""
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = holder.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'crisisctl' AND wait_event_type = 'Lock'"
        ).fetchone()
        if row:
            return int(row[0])
        time.sleep(0.02)
    raise AssertionError("no crisisctl came to wait for the append lock")


def _note_process(ws: Workspace, target: str, incident: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "crisisctl", "--db", target, "--playbooks", str(ws.playbooks)]
    return subprocess.Popen(
        [*command, "note", incident, "waiting"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=subprocess_env(),
    )  # fmt: skip


def test_a_connection_killed_mid_command_records_nothing(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    incident = declare(ws)
    holder = _hold_append_lock(ws.target)
    try:
        child = _note_process(ws, ws.target, incident)
        holder.execute("SELECT pg_terminate_backend(%s)", (_waiting_crisisctl(holder),))
        out, err = child.communicate(timeout=60)
    finally:
        holder.close()
    assert child.returncode == 4 and "connection to the log" in err and "was lost" in err, err
    assert password_of(ws.target) not in out + err
    assert [event["type"] for event in ws.json("timeline", incident)] == ["incident.declared"]  # type: ignore[union-attr]
    ws.ok("note", incident, "the next run works")


def test_a_statement_timeout_records_nothing(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    incident = declare(ws)
    holder = _hold_append_lock(ws.target)
    try:
        child = _note_process(ws, ws.target + "?options=-c%20statement_timeout%3D200", incident)
        _, err = child.communicate(timeout=60)
    finally:
        holder.close()
    assert child.returncode == 4 and "statement timeout" in err, err
    assert len(ws.json("timeline", incident)) == 1  # type: ignore[arg-type]


def test_the_writer_role_adds_events_and_records_who_signed_in(pg_workspace: Workspace) -> None:
    import psycopg

    ws = pg_workspace
    code, out, _ = ws.run("db", "init-team")
    assert code == 0 and "GRANT SELECT, INSERT ON events" in out
    ws.ok("db", "init-team", "--apply")
    user = f"writer_{os.getpid()}_{abs(hash(ws.target)) % 10_000}"
    with psycopg.connect(ws.target, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD 'pw-{user}' IN ROLE crisisctl_writer")
    as_writer = ws.target.replace(f"postgres:{password_of(ws.target)}@", f"{user}:pw-{user}@")
    ws.target = as_writer
    incident = declare(ws)
    ws.ok("--as", "someone-else", "note", incident, "from the writer")
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    assert {event["data"]["db_user"] for event in events} == {user}
    assert events[-1]["actor"] == "someone-else"
    with psycopg.connect(as_writer, autocommit=True) as connection:
        for statement in ("DELETE FROM events", "UPDATE incidents SET title = 'x'", "TRUNCATE events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
    assert verify(ws)["ok"]


def test_psycopg_is_not_imported_for_a_sqlite_log(tmp_path: Path) -> None:
    probe = "import sys; from crisisctl.entry import main; main(['incidents']); print('psycopg' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )
    assert result.stdout.strip().endswith("False"), result.stderr


# --------------------------------------------------------------------------- what a writer cannot do


def _writer(ws: Workspace) -> str:
    """Apply the team roles as the owner, and a DSN for a new login in crisisctl_writer."""
    import psycopg

    ws.ok("db", "init-team", "--apply")
    user = f"writer_{os.getpid()}_{abs(hash(ws.target)) % 100_000}"
    with psycopg.connect(ws.target, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD 'pw-{user}' IN ROLE crisisctl_writer")
    return ws.target.replace(f"postgres:{password_of(ws.target)}@", f"{user}:pw-{user}@")


def _raw_event(connection: Any, incident: str, data: str, recorded_at: str | None = None) -> None:
    """An event linked to the chain correctly, as a writer could build it by hand."""
    from crisisctl.store.chain import chain_hash

    seq, prev = connection.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    at = recorded_at or dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    digest = chain_hash(seq + 1, incident, at, at, "note.added", "alice", data, prev)
    connection.execute(
        "INSERT INTO events (seq, incident, at, recorded_at, type, actor, data, prev_hash, hash)"
        " VALUES (%s, %s, %s, %s, 'note.added', 'alice', %s, %s, %s)",
        (seq + 1, incident, at, at, data, prev, digest),
    )


def test_a_writer_cannot_forge_who_recorded_an_event_nor_bend_the_list(pg_workspace: Workspace) -> None:
    import psycopg

    ws = pg_workspace
    as_writer = _writer(ws)
    ws.target = as_writer
    incident = declare(ws)
    before = ws.json("timeline", incident)
    with psycopg.connect(as_writer, autocommit=True) as connection:
        with pytest.raises(psycopg.errors.RaiseException, match="names the database user"):
            _raw_event(connection, incident, '{"db_user":"alice","text":"I was never here"}')
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            _raw_event(connection, incident, "{")  # not JSON: no reader may choke on it
        (me,) = connection.execute("SELECT session_user").fetchall()[0]
        with pytest.raises(psycopg.errors.RaiseException, match="server's time"):
            _raw_event(connection, incident, json.dumps({"db_user": me}), "2099-01-01T00:00:00.000000Z")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("CREATE TEMP TABLE incidents (id text)")  # no stand-ins for the log's tables
        with pytest.raises(psycopg.errors.RaiseException, match="no declaration"):
            connection.execute("SELECT crisisctl_save_incident('INC-666')")
        connection.execute("SELECT crisisctl_save_incident(%s)", (incident,))  # derived from events: no change
    assert ws.json("timeline", incident) == before
    assert [row["id"] for row in ws.json("incidents", "--all")] == [incident]  # type: ignore[union-attr]
    assert verify(ws)["ok"]


def test_a_rewritten_guard_function_fails_verification(pg_workspace: Workspace) -> None:
    import psycopg

    ws = pg_workspace
    declare(ws)
    with psycopg.connect(ws.target, autocommit=True) as owner:
        owner.execute(
            "CREATE OR REPLACE FUNCTION crisisctl_append_only() RETURNS trigger LANGUAGE plpgsql"
            " SET search_path = pg_catalog, public, pg_temp AS $$ BEGIN RETURN OLD; END $$"
        )
    code, out, err = ws.run("verify", "--json")
    assert code == 1, err
    assert "crisisctl_append_only" in json.loads(out)["reason"]


def test_a_fast_laptop_clock_does_not_move_a_team_logs_time(
    pg_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = pg_workspace
    incident = declare(ws)
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    monkeypatch.setenv("CRISISCTL_FAKE_NOW", tomorrow.isoformat())
    ws.ok("note", incident, "typed on a laptop whose clock runs a day fast")
    monkeypatch.delenv("CRISISCTL_FAKE_NOW")
    note = ws.json("timeline", incident)[-1]  # type: ignore[index]
    recorded = dt.datetime.fromisoformat(note["recorded_at"].replace("Z", "+00:00"))
    assert abs(recorded - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1), "the server's clock, not the laptop's"
    assert note["data"]["recorded_wall"].startswith(tomorrow.date().isoformat())
    ws.ok("note", incident, "the next laptop records at its own, right time")


@pytest.mark.parametrize(
    ("dsn", "secret"),
    [
        ("postgresql://carol:c?pw#1@db.example:5432/crisis", "c?pw#1"),
        ("postgresql://carol@db.example/crisis?password=owner#pw", "owner#pw"),
        ("postgresql://owner@db.example/crisis?pass%77ord=ownerpw", "ownerpw"),
        ("postgresql://u:pa/ss@db.example/crisis", "pa/ss"),
        ("postgres://u:s3cret@[::1]:5433/crisis?sslmode=verify-full", "s3cret"),
    ],
)
def test_every_spelling_of_a_password_is_left_out_of_the_logs_name(dsn: str, secret: str) -> None:
    from crisisctl.dsn import masked

    shown = masked(dsn)
    assert shown.startswith("postgresql://") and secret not in shown
    assert masked(shown) == shown, "the shown name reads back as itself"


def test_init_team_by_an_owner_who_may_not_create_roles_changes_nothing(pg_workspace: Workspace, pg_admin: str) -> None:
    import psycopg

    ws = pg_workspace
    owner = f"owner_{os.getpid()}_{abs(hash(ws.target)) % 100_000}"
    database = ws.target.rsplit("/", 1)[1]
    with psycopg.connect(pg_admin, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {owner} LOGIN PASSWORD 'pw-{owner}'")
        admin.execute(f'ALTER DATABASE "{database}" OWNER TO {owner}')
        admin.execute(f"GRANT ALL ON SCHEMA public TO {owner}")
    ws.target = ws.target.replace(f"postgres:{password_of(ws.target)}@", f"{owner}:pw-{owner}@")
    code, _, err = ws.run("db", "init-team", "--apply")
    assert code == 4 and "CREATEROLE" in err, err
    assert ws.json("incidents") == []
    with psycopg.connect(ws.target, autocommit=True) as connection:
        assert connection.execute("SELECT to_regclass('crisisctl_schema')").fetchall() == [(None,)]


def test_config_toml_names_the_log_below_the_flag_and_the_variable(
    team_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = team_workspace
    config = tmp_path / "config.toml"
    config.write_text(f"db = {json.dumps(ws.target)}\n", encoding="utf-8")
    monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
    without_db = ["--playbooks", str(ws.playbooks), "--templates", str(ws.templates)]
    declared = crisisctl(*without_db, "declare", "base", "--input", "affected_customers=3", "--json")
    assert declared.returncode == 0, declared.stderr
    assert [row["id"] for row in ws.json("incidents")] == [json.loads(declared.stdout)["id"]]  # type: ignore[union-attr]
    shown = crisisctl("db", "path")
    assert shown.returncode == 0, shown.stderr
    if is_pg(ws.target):
        assert password_of(ws.target) not in shown.stdout + shown.stderr
        assert shown.stdout.startswith("postgresql://postgres@127.0.0.1:")
    else:
        assert shown.stdout.strip() == ws.target
    elsewhere = tmp_path / "other.sqlite3"
    assert crisisctl("--db", str(elsewhere), "db", "path").stdout.strip() == str(elsewhere)
    assert crisisctl("db", "path", CRISISCTL_DB=str(elsewhere)).stdout.strip() == str(elsewhere)

    config.write_text("db = 7\n", encoding="utf-8")
    refused = crisisctl(*without_db, "incidents")
    assert refused.returncode == 2 and "db must be" in refused.stderr


def test_a_database_holding_someone_elses_tables_is_not_a_crisisctl_log(pg_workspace: Workspace) -> None:
    import psycopg

    ws = pg_workspace
    with psycopg.connect(ws.target, autocommit=True) as owner:
        owner.execute("CREATE TABLE events (payload text)")
        owner.execute("INSERT INTO events VALUES ('theirs')")
    for command in (("incidents",), ("declare", "base", "--input", "affected_customers=1")):
        code, _, err = ws.run(*command)
        assert code == 4 and "holds tables crisisctl did not make (events)" in err and "Traceback" not in err
    with psycopg.connect(ws.target) as connection:
        assert connection.execute("SELECT to_regclass('crisisctl_schema')").fetchone() == (None,)
        assert connection.execute("SELECT payload FROM events").fetchall() == [("theirs",)]
