"""Client event ids: every event carries its invocation's id, and a commit whose acknowledgement was lost is
settled by it: recorded once and said so, or nothing recorded and said so (docs/reliability.md)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from conftest import Workspace, declare, subprocess_env

from crisisctl.store.clientids import new_uuid

_CLIENT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/[1-9][0-9]*$")


def _rows(target: str, query: str) -> list[tuple[Any, ...]]:
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as connection:
            return connection.execute(query).fetchall()
    database = sqlite3.connect(target)
    try:
        return database.execute(query).fetchall()
    finally:
        database.close()


def _execute(target: str, statement: str) -> None:
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as connection:
            connection.execute(statement)
        return
    database = sqlite3.connect(target, isolation_level=None)
    try:
        database.execute(statement)
    finally:
        database.close()


def test_every_event_carries_its_invocations_client_id_and_a_copy_keeps_it(team_workspace: Workspace) -> None:
    ws = team_workspace
    incident = declare(ws)
    ws.ok("step", "done", incident, "assess")
    ws.ok("note", incident, "one")
    ids = [row[0] for row in _rows(ws.target, "SELECT client_id FROM events ORDER BY seq")]
    assert all(_CLIENT_ID.match(cid) for cid in ids), ids
    assert len({cid.split("/")[0] for cid in ids}) == 3  # one UUID per command run
    assert [cid.split("/")[1] for cid in ids] == ["1", "1", "1"]
    copy = str(ws.root / "copy.sqlite3")
    ws.ok("db", "copy", ws.target, copy)
    assert [row[0] for row in _rows(copy, "SELECT client_id FROM events ORDER BY seq")] == ids


def test_a_client_id_is_never_recorded_twice(team_workspace: Workspace) -> None:
    ws = team_workspace
    incident = declare(ws)
    ws.ok("note", incident, "once")
    if ws.target.startswith("postgresql://"):
        import psycopg

        refused: type[Exception] = psycopg.errors.UniqueViolation
    else:
        refused = sqlite3.IntegrityError
    with pytest.raises(refused):
        _execute(
            ws.target,
            "INSERT INTO events (seq, incident, at, recorded_at, type, actor, data, prev_hash, hash, client_id)"
            " SELECT seq + 1, incident, at, recorded_at, type, actor, data, hash, hash, client_id FROM events"
            " WHERE seq = 2",
        )


def test_client_uuids_are_version_4_and_differ() -> None:
    made = {new_uuid() for _ in range(1000)}
    assert len(made) == 1000 and all(_CLIENT_ID.match(f"{uuid}/1") for uuid in made)


# --------------------------------------------------------------------------- the ambiguous commit, for real

# The note's transaction commits on the server; then its connection is terminated (pg_terminate_backend from a
# second connection) before psycopg reads the acknowledgement: the lost acknowledgement, made deterministic.
_LOSE_THE_ACK = textwrap.dedent(
    """
    import sys
    import psycopg
    from crisisctl.entry import main
    from crisisctl.store.postgres import log

    wrote = []
    real_append, real_exit = log.PostgresWriter.append, psycopg.Transaction.__exit__

    def append(self, *args, **kwargs):
        wrote.append(self.connection)
        return real_append(self, *args, **kwargs)

    def exit_then_lose(self, kind, value, trace):
        result = real_exit(self, kind, value, trace)
        if kind is None and wrote and wrote[0] is self.connection:
            pid = self.connection.info.backend_pid
            wrote.clear()
            with psycopg.connect(sys.argv[1], autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            self.connection.execute("SELECT 1")  # psycopg meets the dead connection, as after a lost ack
        return result

    log.PostgresWriter.append = append
    psycopg.Transaction.__exit__ = exit_then_lose
    sys.exit(main(sys.argv[2:]))
    """
)


def _notes(ws: Workspace, incident: str) -> list[str]:
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    return [event["data"]["text"] for event in events if event["type"] == "note.added"]


def test_a_commit_whose_acknowledgement_was_lost_is_recorded_once_and_says_so(pg_workspace: Workspace) -> None:
    ws = pg_workspace
    incident = declare(ws)
    # The patch is in this process, so no agent; through one, the same PostgresLog code settles (tests below).
    child = subprocess.run(
        [sys.executable, "-c", _LOSE_THE_ACK, ws.target, *ws.args(), "note", incident, "the ack is lost"],
        capture_output=True, text=True, env=subprocess_env(CRISISCTL_AGENT="off"), timeout=60,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    assert "it was recorded (the acknowledgement was lost" in child.stderr
    assert child.stderr.count("\n") == 1 and "Traceback" not in child.stderr
    assert _notes(ws, incident) == ["the ack is lost"]
    ws.ok("note", incident, "the next run works")
    assert ws.json("verify")["ok"]  # type: ignore[index]


# A deferred trigger runs inside COMMIT, before the commit: it waits there for a lock the test holds, so the
# test can terminate the connection in the middle of the COMMIT, when the client cannot know the outcome.
_WAIT_IN_COMMIT = """
CREATE FUNCTION test_wait_in_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER test_wait_in_commit AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION test_wait_in_commit();
"""


def test_a_connection_terminated_inside_commit_records_nothing_and_says_so(pg_workspace: Workspace) -> None:
    import psycopg

    ws = pg_workspace
    incident = declare(ws)
    _execute(ws.target, _WAIT_IN_COMMIT)
    with psycopg.connect(ws.target, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(4242)")
        child = subprocess.Popen(
            [sys.executable, "-m", "crisisctl", *ws.args(), "note", incident, "lost in commit"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
        )  # fmt: skip
        while True:  # polled until it waits inside COMMIT: no timing
            row = holder.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'crisisctl'"
                " AND wait_event_type = 'Lock' AND query = 'COMMIT'"
            ).fetchone()
            if row:
                break
        holder.execute("SELECT pg_terminate_backend(%s)", (row[0],))
        _, err = child.communicate(timeout=60)
    assert child.returncode == 4, err
    assert "lost while the command committed; nothing was recorded (checked after reconnecting)" in err
    assert "Traceback" not in err
    assert _notes(ws, incident) == []
    _execute(ws.target, "DROP TRIGGER test_wait_in_commit ON events")
    ws.ok("note", incident, "the next run works")
    assert _notes(ws, incident) == ["the next run works"]
