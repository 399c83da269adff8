"""The audit chain: tampering is evident, the tables are append-only, and the hash is pinned down.

A real log is made through the real entry point, on SQLite and on PostgreSQL (the `backend` fixture);
the attacker goes behind crisisctl's back with the guards out of the way (tests/tamper.py: on SQLite
the triggers dropped and put back, on PostgreSQL switched off for a superuser's session), as a real
attacker would; `verify` must still name the first bad event. The schema's own guards differ between
the stores and are tampered with in each store's own SQL; SQLite's REPLACE forms are SQLite's alone.
Canonical JSON and the event hash are fixed by golden vectors checked by hand against RFC 8785, and by
hypothesis round trips through the database. (reliability.md, "Audit chain".)
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import math
import shutil
import sqlite3
import struct
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import tamper
from budget import examples
from conftest import REPO, Workspace, fresh_database, is_pg, raw, rows, subprocess_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisisctl.incident.records import NewEvent
from crisisctl.store import schema
from crisisctl.store.canonical import HASH_PREFIX, canonical_json, event_hash
from crisisctl.store.chain import GENESIS_HASH, chain_hash
from crisisctl.store.database import connect
from crisisctl.store.opening import open_log

TEMPLATES = REPO / "tests" / "corpus" / "templates"


# --------------------------------------------------------------------------- a real log, and an attacker


def build_log(target: str, playbooks: Path) -> int:
    """Three incidents and eighteen events, through the real entry point; returns the number of events."""
    from crisisctl.entry import main

    base = ["--db", target, "--playbooks", str(playbooks), "--templates", str(TEMPLATES), "--as", "alice"]
    commands = [
        *(
            ["declare", "base", "--input", f"affected_customers={10 * (n + 1)}", "--assign", "incident-lead=alice"]
            for n in range(3)
        ),
        ["step", "start", "INC-1", "assess"],
        ["note", "INC-2", "customers in region eu-west report failed payments"],
        ["step", "done", "INC-1", "assess"],
        ["assign", "INC-1", "comms-lead", "bob"],
        *(
            ["note", f"INC-{i % 3 + 1}", f'update {i}: caf\u00e9, \u6771\u4eac, \U0001f600, quote " and backslash \\']
            for i in range(10)
        ),
        ["note", "INC-3", "last word"],
    ]
    for command in commands:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = main([*base, *command])
        assert code == 0, (command, err.getvalue())
    gc.collect()  # close the connections the in-process runs left behind
    with raw(target) as connection:
        if not connection.pg:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(connection.execute("SELECT count(*) FROM events")[0][0])


def verify_json(ws: Workspace, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = ws.run("verify", "--json", *args)
    gc.collect()
    assert "Traceback" not in err
    return code, json.loads(out), err


def verify_text(ws: Workspace, *args: str) -> tuple[int, str]:
    code, out, err = ws.run("verify", *args)
    gc.collect()
    assert "Traceback" not in err
    return code, out + err


def assert_fails_at(ws: Workspace, seq: int, reason: str, *args: str) -> None:
    code, payload, _ = verify_json(ws, *args)
    assert code == 1, payload
    assert payload["ok"] is False
    assert payload["first_bad_seq"] == seq, payload
    assert reason in payload["reason"], payload
    code, text = verify_text(ws, *args)
    assert code == 1
    assert f"event {seq}" in text, text
    assert "FAILED" in text, text


@contextlib.contextmanager
def _isolated(root: Path) -> Iterator[None]:
    """HOME and the XDG folders inside `root`, for a module's fixture (the per-test isolation is not up yet)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(root / "home"))
        for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            patch.setenv(variable, str(root / "home" / variable.lower()))
        yield


def _playbooks(root: Path) -> Path:
    playbooks = root / "playbooks"
    playbooks.mkdir()
    shutil.copy(REPO / "tests" / "corpus" / "base-playbook.yaml", playbooks / "base.yaml")
    return playbooks


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """One real SQLite log per module (building it is the slow part); each test tampers with its own copy."""
    root = tmp_path_factory.mktemp("audit-log")
    with _isolated(root):
        total = build_log(str(root / "template.sqlite3"), _playbooks(root))
    return root / "template.sqlite3", total


@pytest.fixture(scope="module")
def pg_template(tmp_path_factory: pytest.TempPathFactory, pg_admin: str | None) -> tuple[str, int]:
    """The same log once per module in a database of the test PostgreSQL; each test gets a copy of it
    (CREATE DATABASE ... TEMPLATE)."""
    assert pg_admin is not None, "only asked for when the backend fixture found a server"
    root = tmp_path_factory.mktemp("audit-pg-log")
    target = fresh_database(pg_admin)
    with _isolated(root):
        total = build_log(target, _playbooks(root))
    return target.rsplit("/", 1)[1], total


@pytest.fixture
def log(team_workspace: Workspace, request: pytest.FixtureRequest) -> tuple[Workspace, int]:
    """The module's log, copied for this test into the backend's store."""
    ws = team_workspace
    if is_pg(ws.target):
        database, total = request.getfixturevalue("pg_template")
        ws.target = fresh_database(request.getfixturevalue("pg_admin"), template=database)
    else:
        template, total = request.getfixturevalue("sqlite_template")
        ws.db.parent.mkdir()
        shutil.copy(template, ws.db)
    assert total == 18
    code, payload, _ = verify_json(ws)
    assert code == 0 and payload["ok"] is True and payload["events"] == total
    return ws, total


def seq_of(ws: Workspace, text: str) -> int:
    """The seq of the one event whose data holds `text`."""
    (found,) = rows(ws.target, f"SELECT seq FROM events WHERE data LIKE '%{text}%'")
    return int(found[0])


# --------------------------------------------------------------------------- tampering


def _shifted(digest: str) -> str:
    return "sha256:" + digest[8:] + "0"


ALTERATIONS: dict[str, Callable[[Any], object]] = {
    "data": lambda data: json.dumps({**json.loads(data), "text": "nothing happened"}),
    "actor": lambda _: "mallory",
    "at": lambda _: "2020-01-01T00:00:00.000000Z",
    "recorded_at": lambda _: "2020-01-01T00:00:00.000000Z",
    "type": lambda _: "step.skipped",
    "incident": lambda _: "INC-3",
    "hash": _shifted,
    "prev_hash": _shifted,
}


@pytest.mark.parametrize("column", ALTERATIONS)
def test_an_altered_field_is_named(log: tuple[Workspace, int], column: str) -> None:
    ws, _ = log
    seq = seq_of(ws, "update 4")
    assert seq == 12
    old = tamper.event(ws.target, seq)[column]
    tamper.alter_event(ws.target, seq, **{column: ALTERATIONS[column](old)})
    assert tamper.event(ws.target, seq)[column] != old
    reason = "chain broken" if column == "prev_hash" else "altered"
    assert_fails_at(ws, seq, reason)


def test_an_altered_body_with_the_same_length_is_named(log: tuple[Workspace, int]) -> None:
    ws, _ = log
    data = tamper.event(ws.target, 5)["data"]
    assert "eu-west" in data
    tamper.alter_event(ws.target, 5, data=data.replace("eu-west", "us-east"))
    assert_fails_at(ws, 5, "altered")


def test_an_event_whose_data_is_no_longer_json_is_named_and_never_echoed(log: tuple[Workspace, int]) -> None:
    """Readers refuse the damaged event cleanly (exit 4) without printing what it holds; verify names it."""
    ws, _ = log
    tamper.alter_event(ws.target, 5, data='{"text": "call back jane.doe@example.com about card 4111')
    for args in (["timeline", "INC-2"], ["show", "INC-2"], ["note", "INC-2", "after the damage"]):
        code, out, err = ws.run(*args)
        gc.collect()
        assert code == 4 and "damaged" in err and "Traceback" not in err, (args, code, err)
        assert "jane.doe" not in out + err and "4111" not in out + err, (args, out, err)
    assert_fails_at(ws, 5, "altered")
    assert len(rows(ws.target, "SELECT seq FROM events")) == 18, "the refused note recorded nothing"


def test_a_deleted_middle_event_is_named(log: tuple[Workspace, int]) -> None:
    ws, _ = log
    tamper.delete_events(ws.target, 9)
    assert_fails_at(ws, 9, "missing")


def test_a_deleted_and_renumbered_event_is_named(log: tuple[Workspace, int]) -> None:
    """The careful attacker closes the gap in seq: the chain link still breaks at the first renumbered event."""
    ws, total = log
    tamper.delete_events(ws.target, 9, renumber=True)
    assert [seq for (seq,) in rows(ws.target, "SELECT seq FROM events ORDER BY seq")] == list(range(1, total))
    assert_fails_at(ws, 9, "chain broken")


def test_two_swapped_events_are_named(log: tuple[Workspace, int]) -> None:
    ws, _ = log
    tamper.swap_events(ws.target, 6, 14)
    assert_fails_at(ws, 6, "chain broken")


def test_a_truncated_tail_is_caught_by_the_anchor(log: tuple[Workspace, int]) -> None:
    ws, total = log
    _, before, _ = verify_json(ws)
    anchor = before["anchor"]
    assert anchor.startswith(f"{total}:{HASH_PREFIX}")
    early_anchor = f"10:{tamper.event(ws.target, 10)['hash']}"
    tamper.delete_events(ws.target, total - 3, total)
    tamper.keep_the_list_in_step(ws.target)
    # Without an anchor a clean cut is indistinguishable from a shorter log: that is what anchors are for.
    code, payload, _ = verify_json(ws)
    assert code == 0 and payload["events"] == total - 4
    assert_fails_at(ws, total, "missing", "--anchor", anchor)
    # An anchor from before the cut still holds.
    code, payload, _ = verify_json(ws, "--anchor", early_anchor)
    assert code == 0, payload


def rewrite_from(ws: Workspace, first: int, total: int) -> None:
    """Alter event `first` and recompute every hash after it with crisisctl's own code."""
    prev = tamper.event(ws.target, first - 1)["hash"]
    for seq in range(first, total + 1):
        event = tamper.event(ws.target, seq)
        data = event["data"]
        if seq == first:
            data = canonical_json({**json.loads(data), "forged": True})
        fields = (event["incident"], event["at"], event["recorded_at"], event["type"], event["actor"])
        digest = chain_hash(seq, *fields, data, prev)
        tamper.alter_event(ws.target, seq, data=data, prev_hash=prev, hash=digest)
        prev = digest


def test_a_consistently_rewritten_chain_is_caught_by_the_anchor(log: tuple[Workspace, int]) -> None:
    """Alter event 7 and recompute every hash after it: only the anchor can tell, and only that something
    up to it changed (the anchor's seq is named; kept anchors name event 7, below)."""
    ws, total = log
    _, before, _ = verify_json(ws)
    rewrite_from(ws, 7, total)
    code, payload, _ = verify_json(ws)
    assert code == 0, "a consistent rewrite is invisible without an anchor"
    assert payload["anchor"] != before["anchor"]
    assert_fails_at(ws, total, "rewritten", "--anchor", before["anchor"])


def test_kept_anchors_name_the_first_event_a_consistent_rewrite_changed(log: tuple[Workspace, int]) -> None:
    """One anchor only shows that something up to it changed; every event's anchor shows where it began."""
    ws, total = log
    kept = ws.root / "anchors.txt"
    code, payload, _ = verify_json(ws, "--save-anchors", str(kept))
    assert code == 0 and payload["anchors_saved"] == total, payload
    saved = kept.read_text(encoding="utf-8")
    assert [line for line in saved.splitlines() if not line.startswith("#")][-1] == payload["anchor"]
    rewrite_from(ws, 7, total)
    assert verify_json(ws)[0] == 0, "a consistent rewrite is invisible without anchors"
    assert_fails_at(ws, 7, "rewritten", "--anchor-file", str(kept))
    # A rewritten log must not replace the anchors that prove the rewrite.
    assert_fails_at(ws, 7, "rewritten", "--save-anchors", str(kept))
    assert kept.read_text(encoding="utf-8") == saved


@pytest.mark.slow
def test_kept_anchors_grow_with_the_log_and_catch_a_cut(log: tuple[Workspace, int]) -> None:
    ws, total = log
    kept = ws.root / "anchors.txt"
    assert verify_json(ws, "--save-anchors", str(kept))[0] == 0
    ws.ok("note", "INC-1", "one more")
    gc.collect()
    code, payload, _ = verify_json(ws, "--save-anchors", str(kept))
    assert code == 0 and payload["anchors_saved"] == total + 1, payload
    tamper.delete_events(ws.target, total - 2, total + 1)
    tamper.keep_the_list_in_step(ws.target)
    assert verify_json(ws)[0] == 0
    assert_fails_at(ws, total - 2, "cut short", "--anchor-file", str(kept))


@pytest.mark.parametrize("content", [b"12:sha256:abc\n", b"# notes\nfix the printer\n", b"\xff\x00"])
def test_a_file_that_is_not_anchors_is_a_usage_error_and_left_alone(log: tuple[Workspace, int], content: bytes) -> None:
    ws, _ = log
    other = ws.root / "notes.txt"
    other.write_bytes(content)
    for option in ("--anchor-file", "--save-anchors"):
        code, _, err = ws.run("verify", option, str(other))
        gc.collect()
        assert code == 2 and "Traceback" not in err and str(other) in err, (option, code, err)
    assert other.read_bytes() == content
    code, _, err = ws.run("verify", "--anchor-file", str(ws.root / "missing.txt"))
    gc.collect()
    assert code == 2 and "missing.txt" in err


def test_an_altered_pinned_playbook_is_evident(log: tuple[Workspace, int]) -> None:
    """The playbook pinned at declaration decides which approvals were required; rewriting it must show."""
    ws, _ = log
    ((sha256, text),) = rows(ws.target, "SELECT sha256, text FROM playbook_snapshots")
    assert hashlib.sha256(text.encode()).hexdigest() == sha256
    forged = text.replace("    approvals: [incident-lead]\n", "")
    assert forged != text
    with tamper.attacker(ws.target) as connection:
        connection.execute("UPDATE playbook_snapshots SET text = ? WHERE sha256 = ?", (forged, sha256))
    code, payload, _ = verify_json(ws)
    assert code == 1 and payload["ok"] is False, (
        f"verify accepts a pinned playbook whose text no longer matches its sha256: {payload}"
    )


def test_the_kept_playbook_data_cannot_drift_from_the_pinned_text(log: tuple[Workspace, int]) -> None:
    """The parsed playbook kept beside its text is what commands run by; changed, it must not match."""
    ws, _ = log
    tamper.run(ws.target, 'UPDATE playbook_models SET data = replace(data, \'"due":"30m"\', \'"due":"3w"\')')
    assert any('"due":"3w"' in data for (data,) in rows(ws.target, "SELECT data FROM playbook_models"))
    code, payload, _ = verify_json(ws)
    assert code == 1
    assert "does not match its text" in payload["reason"]


# --------------------------------------------------------------------------- the incident list follows the events


LIST_TAMPERING = {
    "retitled": ("UPDATE incidents SET title = 'nothing to see' WHERE id = 'INC-2'", "INC-2", "title"),
    "status": ("UPDATE incidents SET status = 'closed' WHERE id = 'INC-2'", "INC-2", "status"),
    "severity": ("UPDATE incidents SET severity = 'sev9' WHERE id = 'INC-1'", "INC-1", "severity"),
    "deleted": ("DELETE FROM incidents WHERE id = 'INC-2'", "INC-2", "missing"),
    "renumbered": ("UPDATE incidents SET number = 7 WHERE id = 'INC-3'", "INC-3", "number"),
    "merged": ("UPDATE incidents SET id = 'INC-9', number = 9 WHERE id = 'INC-3'", "INC-3", "missing"),
    "invented": (
        "INSERT INTO incidents SELECT 'INC-4', 4, playbook, playbook_version, title, severity, status, drill,"
        " declared_at, last_seq FROM incidents WHERE id = 'INC-1'",
        "INC-4",
        "no event declares",
    ),
}


@pytest.mark.parametrize(("statement", "incident", "words"), LIST_TAMPERING.values(), ids=LIST_TAMPERING.keys())
def test_a_tampered_incident_list_is_named(
    log: tuple[Workspace, int], statement: str, incident: str, words: str
) -> None:
    """The list of incidents is kept beside the events for speed; whatever it says, the events decide."""
    ws, _ = log
    tamper.run(ws.target, statement)
    code, payload, _ = verify_json(ws)
    assert code == 1 and payload["ok"] is False, payload
    assert payload["incident"] == incident, payload
    assert incident in payload["reason"] and words in payload["reason"], payload
    code, text = verify_text(ws)
    assert code == 1 and "FAILED" in text and incident in text, text


def test_a_deleted_incident_number_is_never_reused(log: tuple[Workspace, int]) -> None:
    """INC-3's line removed from the list: the next declaration must not become a second INC-3."""
    ws, _ = log
    tamper.run(ws.target, "DELETE FROM incidents WHERE id = 'INC-3'")
    payload = ws.json("declare", "base", "--input", "affected_customers=5")
    gc.collect()
    assert isinstance(payload, dict) and payload["id"] == "INC-4", payload
    timeline = ws.json("timeline", "INC-3")
    assert isinstance(timeline, list) and [event["type"] for event in timeline].count("incident.declared") == 1


@contextlib.contextmanager
def crisisctl_connection(ws: Workspace) -> Iterator[Any]:
    """The log opened as every command opens it: crisisctl's own connection, with its settings."""
    if is_pg(ws.target):
        from crisisctl.store.postgres.connection import connect as connect_pg

        connection: Any = connect_pg(ws.target)
    else:
        connection = connect(ws.db, create=False)
        assert connection is not None
    try:
        yield connection
    finally:
        connection.close()


REFUSED = (sqlite3.DatabaseError, psycopg.Error)

LIST_GUARD_STATEMENTS = {
    "delete": "DELETE FROM incidents WHERE id = 'INC-1'",
    "delete-all": "DELETE FROM incidents",
    "retitle": "UPDATE incidents SET title = 'x' WHERE id = 'INC-1'",
    "renumber": "UPDATE incidents SET number = 40 WHERE id = 'INC-1'",
    "status-without-event": "UPDATE incidents SET status = 'closed' WHERE id = 'INC-1'",
    "last-seq-backwards": "UPDATE incidents SET last_seq = 1 WHERE id = 'INC-1'",
    "upsert": "INSERT INTO incidents SELECT * FROM incidents WHERE id = 'INC-1'"
    " ON CONFLICT (id) DO UPDATE SET title = 'x'",
}
SQLITE_LIST_GUARD_STATEMENTS = {
    "replace": "REPLACE INTO incidents SELECT * FROM incidents WHERE id = 'INC-1'",
}


def _assert_list_guarded(ws: Workspace, statement: str) -> None:
    before = rows(ws.target, "SELECT * FROM incidents ORDER BY id")
    with crisisctl_connection(ws) as connection, pytest.raises(REFUSED, match="crisisctl log: incidents"):
        connection.execute(statement)
    assert rows(ws.target, "SELECT * FROM incidents ORDER BY id") == before


@pytest.mark.parametrize("statement", LIST_GUARD_STATEMENTS.values(), ids=LIST_GUARD_STATEMENTS.keys())
def test_crisisctl_connection_cannot_bend_the_incident_list(log: tuple[Workspace, int], statement: str) -> None:
    _assert_list_guarded(log[0], statement)


@pytest.mark.parametrize(
    ("backend", "statement"),
    [pytest.param("sqlite", sql, id=name) for name, sql in SQLITE_LIST_GUARD_STATEMENTS.items()],
    indirect=["backend"],
)
def test_sqlites_replace_cannot_bend_the_incident_list(log: tuple[Workspace, int], statement: str) -> None:
    _assert_list_guarded(log[0], statement)


# --------------------------------------------------------------------------- the schema is crisisctl's


# What is done to the schema, in each store's SQL, and what verify must name. A SQLite log's whole schema is
# compared with the one its migrations build; on PostgreSQL verify compares the guards (every trigger, and the
# functions they run), not the tables' columns and indexes, so an added column or a dropped index are SQLite's.
SCHEMA_TAMPERING = {
    "dropped-trigger": {
        "sqlite": ("DROP TRIGGER events_append_only_delete", "events_append_only_delete"),
        "postgresql": ("DROP TRIGGER events_append_only ON events", "events_append_only"),
    },
    "dropped-list-guard": {
        "sqlite": ("DROP TRIGGER incidents_follow_events", "incidents_follow_events"),
        "postgresql": ("DROP TRIGGER incidents_follow_events ON incidents", "incidents_follow_events"),
    },
    "disabled-trigger": {
        "postgresql": ("ALTER TABLE events DISABLE TRIGGER events_append_only", "events_append_only"),
    },
    "dropped-index": {"sqlite": ("DROP INDEX idx_incidents_number", "idx_incidents_number")},
    "added-column": {"sqlite": ("ALTER TABLE events ADD COLUMN remark TEXT", "table events")},
    "added-trigger": {
        "sqlite": ("CREATE TRIGGER quietly AFTER INSERT ON events BEGIN SELECT 1; END", "quietly"),
        "postgresql": (
            "CREATE TRIGGER quietly AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION crisisctl_append_only()",
            "quietly",
        ),
    },
    "dropped-table": {
        "sqlite": ("DROP TABLE playbook_models", "playbook_models"),
        "postgresql": ("DROP TABLE playbook_models", "playbook_models"),
    },
    "weakened-trigger": {
        "sqlite": (
            "DROP TRIGGER events_append_only_update;"
            " CREATE TRIGGER events_append_only_update BEFORE UPDATE OF hash ON events"
            " BEGIN SELECT RAISE(ABORT, 'crisisctl log: events are append-only; record a correction instead'); END",
            "events_append_only_update",
        ),
        "postgresql": (
            "DROP TRIGGER events_append_only ON events;"
            " CREATE TRIGGER events_append_only BEFORE UPDATE OF hash ON events"
            " FOR EACH ROW EXECUTE FUNCTION crisisctl_append_only()",
            "events_append_only",
        ),
    },
    "trigger-that-never-fires": {
        "sqlite": (
            "DROP TRIGGER events_append_only_delete;"
            " CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events WHEN 0"
            " BEGIN SELECT RAISE(ABORT, 'crisisctl log: events are append-only; record a correction instead'); END",
            "events_append_only_delete",
        ),
        "postgresql": (
            "DROP TRIGGER events_append_only ON events;"
            " CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events"
            " FOR EACH ROW WHEN (false) EXECUTE FUNCTION crisisctl_append_only()",
            "events_append_only",
        ),
    },
}


def test_the_kept_schema_digest_is_what_the_migrations_build() -> None:
    """verify compares each log's schema with a digest first; a new migration must update it."""
    built = schema.digest(schema.expected())
    assert built == schema.EXPECTED_DIGEST, f"set EXPECTED_DIGEST in crisisctl/store/schema.py to {built!r}"


@pytest.mark.parametrize(
    ("backend", "script", "named"),
    [
        pytest.param(backend, script, named, id=f"{name}-{backend}")
        for name, stores in SCHEMA_TAMPERING.items()
        for backend, (script, named) in stores.items()
    ],
    indirect=["backend"],
)
def test_a_changed_schema_fails_verification(log: tuple[Workspace, int], script: str, named: str) -> None:
    """A removed guard lets the next change through unnoticed: the schema itself is part of the evidence."""
    ws, _ = log
    with raw(ws.target) as connection:
        connection.script(script)
    code, payload, err = verify_json(ws)
    assert code == 1, (code, err)
    assert payload["ok"] is False and named in payload["reason"], payload
    code, text = verify_text(ws)
    assert code == 1 and "FAILED" in text and named in text, text


# --------------------------------------------------------------------------- append-only through crisisctl's connection


APPEND_ONLY_STATEMENTS = {
    "update-events": "UPDATE events SET actor = 'mallory' WHERE seq = 3",
    "update-events-same-value": "UPDATE events SET data = data WHERE seq = 3",
    "delete-event": "DELETE FROM events WHERE seq = 3",
    "delete-all-events": "DELETE FROM events",
    "upsert-events": "INSERT INTO events SELECT * FROM events WHERE seq = 3 ON CONFLICT(seq) DO UPDATE SET actor = 'm'",
    "update-snapshots": "UPDATE playbook_snapshots SET text = 'steps: []'",
    "delete-snapshots": "DELETE FROM playbook_snapshots",
    "update-models": "UPDATE playbook_models SET data = '{}'",
}
SQLITE_APPEND_ONLY_STATEMENTS = {
    "update-or-replace-events": "UPDATE OR REPLACE events SET seq = 2 WHERE seq = 3",
    "insert-or-replace-events": "INSERT OR REPLACE INTO events"
    " SELECT seq, incident, at, recorded_at, type, 'mallory', data, prev_hash, hash, client_id"
    " FROM events WHERE seq = 3",
    "replace-events": "REPLACE INTO events SELECT * FROM events WHERE seq = 3",
    "replace-snapshots": "REPLACE INTO playbook_snapshots"
    " SELECT sha256, playbook, version, 'steps: []' FROM playbook_snapshots",
}


def _assert_unchanged_by(ws: Workspace, statement: str) -> None:
    tables = ("events ORDER BY seq", "playbook_snapshots", "playbook_models")
    before = [rows(ws.target, f"SELECT * FROM {table}") for table in tables]
    with crisisctl_connection(ws) as connection, pytest.raises(REFUSED, match="append-only"):
        connection.execute(statement)
    assert [rows(ws.target, f"SELECT * FROM {table}") for table in tables] == before


@pytest.mark.parametrize("statement", APPEND_ONLY_STATEMENTS.values(), ids=APPEND_ONLY_STATEMENTS.keys())
def test_crisisctl_connection_cannot_change_recorded_rows(log: tuple[Workspace, int], statement: str) -> None:
    _assert_unchanged_by(log[0], statement)


@pytest.mark.parametrize(
    ("backend", "statement"),
    [pytest.param("sqlite", sql, id=name) for name, sql in SQLITE_APPEND_ONLY_STATEMENTS.items()],
    indirect=["backend"],
)
def test_sqlites_replace_cannot_change_recorded_rows(log: tuple[Workspace, int], statement: str) -> None:
    _assert_unchanged_by(log[0], statement)


# --------------------------------------------------------------------------- text that is not Unicode


@pytest.mark.parametrize(
    "argv",
    [
        [b"note", b"INC-1", b"caf\xe9 latin-1 from an old terminal"],
        [b"--as", b"b\xffb", b"note", b"INC-1", b"hello"],
    ],
    ids=["note-body", "actor"],
)
def test_undecodable_command_line_bytes_do_not_crash_the_log(team_workspace: Workspace, argv: list[bytes]) -> None:
    """Bytes that are not UTF-8 arrive as lone surrogates; the hash must not blow up on them, nor the store."""
    ws = team_workspace
    ws.ok("declare", "base", "--input", "affected_customers=1")
    gc.collect()
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"crisisctl", *(a.encode() for a in ws.args()), *argv],
        capture_output=True,
        env=subprocess_env(),
        cwd=ws.root,
        timeout=60,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr[-600:]
    assert result.returncode in (0, 2), f"exit {result.returncode}: {stderr[-600:]}"
    code, payload, _ = verify_json(ws)
    assert code == 0 and payload["events"] == (2 if result.returncode == 0 else 1)


# --------------------------------------------------------------------------- golden vectors (checked by hand)


def _sha(text: str) -> str:
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_canonical_json_golden_vectors() -> None:
    # RFC 8785 section 3.2.2 input and its canonical form (section 3.2.4).
    rfc_input = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    assert canonical_json(json.loads(rfc_input)) == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    # Sorted keys, no whitespace, literals.
    assert canonical_json({"b": 2, "a": 1, "c": [True, False, None]}) == '{"a":1,"b":2,"c":[true,false,null]}'
    assert canonical_json({"z": {"y": [], "x": {}}, "": "empty key"}) == '{"":"empty key","z":{"x":{},"y":[]}}'
    # RFC 8785 section 3.2.3: keys sorted by UTF-16 code units (the emoji is a surrogate pair, D83D < FB33).
    rfc_keys = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    assert canonical_json(rfc_keys) == (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
        '"\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    # Strings: UTF-8 kept as is; only ", \ and controls escaped; short forms where JSON has them.
    assert canonical_json("caf\u00e9 \u6771\u4eac \U0001f600") == '"caf\u00e9 \u6771\u4eac \U0001f600"'
    assert canonical_json('\u0000\u001f\u007f\u2028 "\\ \b\f\n\r\t/') == (
        '"\\u0000\\u001f\u007f\u2028 \\"\\\\ \\b\\f\\n\\r\\t/"'
    )
    # Unicode is not normalised: NFC and NFD are different texts with different hashes.
    assert canonical_json("\u00e9") == '"\u00e9"'
    assert canonical_json("e\u0301") == '"e\u0301"'
    assert event_hash({"t": "\u00e9"}) != event_hash({"t": "e\u0301"})


# RFC 8785 appendix B: IEEE 754 bit patterns and their canonical (ECMAScript) forms.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(bits))[0]


def test_canonical_numbers_follow_rfc_8785_appendix_b() -> None:
    wrong = [
        (bits, expected, canonical_json(_double(bits)))
        for bits, expected in RFC8785_NUMBERS
        if canonical_json(_double(bits)) != expected
    ]
    assert wrong == [], "(bits, RFC 8785, crisisctl): " + "; ".join(map(str, wrong))


def test_canonical_number_golden_vectors() -> None:
    assert canonical_json(1.0) == "1"
    assert canonical_json(-0.0) == "0"
    assert canonical_json(100) == "100"
    assert canonical_json(1e21) == "1e+21"
    assert canonical_json(1.5e300) == "1.5e+300"
    assert canonical_json(1e-7) == "1e-7"
    assert canonical_json(0.1) == "0.1"
    assert canonical_json(-2.5) == "-2.5"
    assert canonical_json(2.0**53) == "9007199254740992"
    assert canonical_json(1e20) == "100000000000000000000"
    with pytest.raises(ValueError):
        canonical_json(math.nan)
    with pytest.raises(ValueError):
        canonical_json(math.inf)


def test_event_hash_golden_vectors() -> None:
    assert GENESIS_HASH == "sha256:" + "0" * 64
    fields = {
        "seq": 1,
        "incident": "INC-1",
        "at": "2026-01-02T03:04:05.000000Z",
        "recorded_at": "2026-01-02T03:04:06.000000Z",
        "type": "note.added",
        "actor": "alice",
        "data": {"text": 'caf\u00e9 "quoted"', "n": 1.0, "z": [1e21, None]},
        "prev_hash": GENESIS_HASH,
    }
    text = (
        '{"actor":"alice","at":"2026-01-02T03:04:05.000000Z","data":{"n":1,"text":"caf\u00e9 \\"quoted\\"",'
        '"z":[1e+21,null]},"incident":"INC-1","prev_hash":"sha256:0000000000000000000000000000000000000000000000000000'
        '000000000000","recorded_at":"2026-01-02T03:04:06.000000Z","seq":1,"type":"note.added"}'
    )
    assert canonical_json(fields) == text
    assert _sha(text) == GOLDEN_EVENT_HASH  # `printf '%s' TEXT | sha256sum`, written down once
    assert event_hash(fields) == GOLDEN_EVENT_HASH
    assert (
        chain_hash(
            1,
            "INC-1",
            "2026-01-02T03:04:05.000000Z",
            "2026-01-02T03:04:06.000000Z",
            "note.added",
            "alice",
            canonical_json(fields["data"]),
            GENESIS_HASH,
        )
        == GOLDEN_EVENT_HASH
    )
    assert event_hash({"a": "\u00e9"}) == _sha('{"a":"\u00e9"}') == GOLDEN_E_ACUTE_HASH


GOLDEN_EVENT_HASH = "sha256:0210f47fea5f3a580f802ddbd7c106aafe22db6a5a80cf6c244b5c08078d3f2a"
# sha256 of the UTF-8 bytes 7B 22 61 22 3A 22 C3 A9 22 7D, i.e. {"a":"é"} with é as C3 A9 (not \\u00e9)
GOLDEN_E_ACUTE_HASH = "sha256:b3a092a6af48807fa9482b2ee140105575daa26d5b24b3c0e60a7e2dee6683b1"


# --------------------------------------------------------------------------- hypothesis


@settings(max_examples=examples(400), deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_canonical_numbers_are_ecmascript_numbers(value: float) -> None:
    """Shortest digits that read back to the same double, plain notation exactly in [1e-6, 1e21)."""
    text = canonical_json(value)
    assert float(text) == value
    uses_exponent = "e" in text
    assert uses_exponent == (value != 0 and not 1e-6 <= abs(value) < 1e21)
    if "." in text and not uses_exponent:
        assert not text.endswith("0")
    assert not text.startswith("+") and "E" not in text
    if value != 0 and value.is_integer() and abs(value) < 1e21:
        assert "." not in text


def _normalised(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, *(unicodedata.normalize(form, text) for form in ("NFC", "NFD", "NFKC", "NFKD"))])


texts = st.text(max_size=12).flatmap(_normalised) | st.sampled_from(
    ["\u00e9", "e\u0301", "\u212b", "\u00c5", "A\u030a"]
)
finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**53), max_value=2**53) | finite | texts
payloads = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=24,
)
data_payloads = st.dictionaries(texts, payloads, max_size=6)


def _reordered(value: Any) -> Any:
    """The same JSON value with every object's keys inserted in reverse order."""
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(item) for item in value]
    return value


@pytest.mark.slow
def test_payloads_round_trip_through_the_log(backend: str) -> None:
    """Through the store's own append and read. A team log adds the database user who signed in (db_user) to
    every event's data; its text columns hold no NUL, which no actor has (the command line, the environment
    and the roster's ids cannot carry one)."""
    log = open_log(backend)
    added = {"db_user": log.signed_in_user()} if is_pg(backend) else {}
    actors = texts.filter(lambda text: "\x00" not in text) if is_pg(backend) else texts

    @settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=data_payloads, actor=actors, incident=st.sampled_from(["INC-1", "INC-2", "inc-\u00e9"]))
    def round_trip(data: dict[str, Any], actor: str, incident: str) -> None:
        with log.write() as writer:
            new = NewEvent(incident, "2026-01-02T03:04:05.000000Z", "t", actor, data)
            (stored,) = writer.append([new], "2026-01-02T03:04:06.000000Z")
        back = log.events_of(incident)[-1]
        assert back.seq == stored.seq
        assert back.data == {**data, **added}
        assert canonical_json(back.data) == canonical_json({**data, **added}) == canonical_json(_reordered(back.data))
        assert back.actor == actor and back.incident == incident
        fields = {
            "seq": back.seq,
            "incident": back.incident,
            "at": back.at,
            "recorded_at": back.recorded_at,
            "type": back.type,
            "actor": back.actor,
            "data": back.data,
            "prev_hash": back.prev_hash,
        }
        assert back.hash == stored.hash == event_hash(fields) == event_hash(_reordered(fields))
        result = log.verify(lambda sha256: None)
        assert result.ok and result.anchor == f"{back.seq}:{back.hash}", result

    try:
        round_trip()
    finally:
        log.close()


field_text = st.text(max_size=16) | st.sampled_from(['"', "\\", "\x7f", "\x00", "\u2028", "\U0001f600", 'a"b', "\n"])


@pytest.mark.slow
@settings(max_examples=examples(400), deadline=None)
@given(
    seq=st.integers(min_value=1, max_value=2**53),
    incident=field_text,
    at=field_text,
    recorded_at=field_text,
    kind=field_text,
    actor=field_text,
    data=data_payloads,
    prev_hash=field_text,
)
def test_the_fast_chain_hash_is_the_canonical_event_hash(
    seq: int, incident: str, at: str, recorded_at: str, kind: str, actor: str, data: dict[str, Any], prev_hash: str
) -> None:
    fields = {
        "seq": seq,
        "incident": incident,
        "at": at,
        "recorded_at": recorded_at,
        "type": kind,
        "actor": actor,
        "data": data,
        "prev_hash": prev_hash,
    }
    fast = chain_hash(seq, incident, at, recorded_at, kind, actor, canonical_json(data), prev_hash)
    assert fast == event_hash(fields) == event_hash(_reordered(fields))
    assert fast == _sha(canonical_json(fields))
