"""A PostgreSQL server stopped or restarted in the middle of a command: exit 4, one message, nothing
half-recorded, and the next run works. On a server of their own, so the other tests' server stays up."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import Workspace, declare, fresh_database, subprocess_env
from pgserver import HOW_TO_ENABLE, Server, binaries


@pytest.fixture(scope="module")
def own_server() -> Iterator[Server]:
    folder = binaries()
    if folder is None:
        pytest.skip(HOW_TO_ENABLE)
    server = Server(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def restart_workspace(
    own_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.setenv("COLUMNS", "200")
    ws = Workspace(tmp_path, capsys)
    admin = f"postgresql://postgres:{own_server.password}@127.0.0.1:{own_server.port}/postgres"
    ws.target = fresh_database(admin)
    return ws


def _note(ws: Workspace, incident: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crisisctl", *ws.args(), "note", incident, "mid-restart"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
    )  # fmt: skip


def _wait_until_waiting(holder: psycopg.Connection[tuple[object, ...]], query: str) -> None:
    """Polled until crisisctl waits on the lock the test holds, in the given statement: no timing."""
    while not holder.execute(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'crisisctl' AND wait_event_type = 'Lock'"
        " AND query LIKE %s",
        (query,),
    ).fetchone():
        pass


def _notes(ws: Workspace, incident: str) -> list[str]:
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    return [event["data"]["text"] for event in events if event["type"] == "note.added"]


def test_a_server_restarted_mid_command_is_exit_4_and_the_next_run_works(
    own_server: Server, restart_workspace: Workspace
) -> None:
    from crisisctl.store.postgres.connection import APPEND_LOCK

    ws = restart_workspace
    incident = declare(ws)
    holder = psycopg.connect(ws.target, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (APPEND_LOCK,))  # the note waits, mid-command, inside its write
    child = _note(ws, incident)
    _wait_until_waiting(holder, "SELECT pg_advisory_xact_lock%")
    own_server.halt()
    own_server.resume()
    out, err = child.communicate(timeout=60)
    holder.close()
    assert child.returncode == 4, err
    assert err.startswith("crisisctl: the connection to the log") and "was lost" in err
    assert "Traceback" not in err and own_server.password not in out + err
    assert _notes(ws, incident) == []
    ws.ok("note", incident, "the next run works")
    assert _notes(ws, incident) == ["the next run works"]
    assert ws.json("verify")["ok"]  # type: ignore[index]


def test_a_server_stopped_inside_commit_says_the_outcome_is_unknown_and_nothing_is_half_recorded(
    own_server: Server, restart_workspace: Workspace
) -> None:
    ws = restart_workspace
    incident = declare(ws)
    holder = psycopg.connect(ws.target, autocommit=True)
    holder.execute(
        "CREATE FUNCTION test_wait_in_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$;"
        "CREATE CONSTRAINT TRIGGER test_wait_in_commit AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION test_wait_in_commit()"
    )
    holder.execute("SELECT pg_advisory_lock(4242)")
    child = _note(ws, incident)
    _wait_until_waiting(holder, "COMMIT")
    own_server.halt()  # and it stays down until the command has given up
    out, err = child.communicate(timeout=60)
    holder.close()
    own_server.resume()
    assert child.returncode == 4, err
    assert "lost while the command committed; whether it was recorded is unknown" in err, err
    assert "Traceback" not in err and own_server.password not in out + err
    assert _notes(ws, incident) == []  # the server never committed it: nothing half-recorded
    with psycopg.connect(ws.target, autocommit=True) as admin:
        admin.execute("DROP TRIGGER test_wait_in_commit ON events")
    ws.ok("note", incident, "the next run works")
    assert _notes(ws, incident) == ["the next run works"]
    assert ws.json("verify")["ok"]  # type: ignore[index]
