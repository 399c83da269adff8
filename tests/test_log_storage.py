"""Storage promises of the incident log, on real SQLite files, a real PostgreSQL and real processes.

On both stores (the `backend` fixture): read-only commands that create nothing;
a migration that runs once, and a log from a newer crisisctl refused; kill -9 at
random moments; sixteen concurrent writers through two spellings of the log's
name, and sixteen notes at once on an incident of 100,000 events; a lock held
past the busy timeout; a reader beside a writer. On SQLite
alone, as they are about its file: pragmas and a private file; a log from the
first schema; foreign and corrupted files; a full disk, a read-only file or
folder, symlinked side files; online backups (`db backup`).
(reliability.md, "Storage"; exit codes from cli.md: 4 = the log could not be
written or read.)
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import hashlib
import json
import os
import random
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Workspace, is_pg, log_exists, raw, subprocess_env, write_lock_held

from crisisctl.clock import SystemClock
from crisisctl.incident.listing import INCIDENT_LIST_RULE
from crisisctl.incident.records import NewEvent, Verification
from crisisctl.incident.service import Declaration, IncidentService, incident_row, playbook_data_json
from crisisctl.incident.state import fold
from crisisctl.playbook.catalog import find_playbook
from crisisctl.store import busy, database, eventlog, migrations
from crisisctl.store.chain import verify_rows
from crisisctl.store.database import APPLICATION_ID, connect
from crisisctl.store.opening import open_log

TEMPLATES = REPO / "tests" / "corpus" / "templates"


# --------------------------------------------------------------------------- helpers


def cli(ws: Workspace, *args: str, env: dict[str, str] | None = None, **popen: Any) -> subprocess.CompletedProcess[str]:
    """`python -m crisisctl` in a real child process, with the isolated environment."""
    return subprocess.run(
        [sys.executable, "-m", "crisisctl", *ws.args(), *args],
        capture_output=True,
        text=True,
        env=subprocess_env(**(env or {})),
        cwd=ws.root,
        timeout=120,
        **popen,
    )


def in_process(ws: Workspace, *args: str) -> tuple[int, str, str]:
    """The real entry point in this process; leaked connections are closed before returning."""
    result = ws.run(*args)
    gc.collect()
    return result


def assert_clean_failure(code: int, err: str, expected: int, *words: str) -> None:
    """A documented exit code and one clear message: no traceback, one `crisisctl:` line, the right words."""
    assert code == expected, f"exit {code}, expected {expected}; stderr:\n{err}"
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "a failure must say what went wrong"
    assert lines[0].startswith("crisisctl: "), err
    assert sum(line.startswith("crisisctl:") for line in lines) == 1, err
    for word in words:
        assert word in err.lower(), f"{word!r} not in {err!r}"


def seed(ws: Workspace, *, incidents: int = 1, notes: int = 0, text: str = "seed note {i}") -> list[str]:
    """Declare incidents and add notes through the service, then close the log (on SQLite no -wal/-shm left)."""
    log = open_log(ws.target)
    service = IncidentService(log, SystemClock(), "seeder")
    playbook = find_playbook(ws.playbooks, "base", dt.date.today())
    ids = []
    for _ in range(incidents):
        declaration = Declaration(
            playbook, playbook.title, playbook.severities[0].id, False, {"affected_customers": 10}, {}
        )
        ids.append(service.declare(declaration).id)
    for i in range(notes):
        service.note(ids[i % len(ids)], text.format(i=i), at=None)
    log.close()
    return ids


@contextlib.contextmanager
def plain(db: Path, *, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (not crisisctl's) for inspection."""
    uri = f"file:{db}?mode=ro" if readonly else f"file:{db}"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def rows(target: Path | str) -> list[tuple[object, ...]]:
    """Every stored event's columns, read behind crisisctl's back (a SQLite file or a PostgreSQL DSN)."""
    with raw(str(target)) as connection:
        return connection.execute("SELECT * FROM events ORDER BY seq")


def integrity(db: Path) -> str:
    with plain(db) as connection:
        return "\n".join(row[0] for row in connection.execute("PRAGMA integrity_check"))


def chain_ok(db: Path) -> Verification:
    with plain(db) as connection:
        return eventlog.verify(connection)


def chain_verifies(target: str) -> bool:
    """Every event's hash and link, recomputed from the stored rows."""
    return verify_rows(row[:9] for row in rows(target)).ok  # type: ignore[misc]


def log_verifies(target: str) -> bool:
    """The chain, the pinned playbooks and the incident list, checked through the store's own verify."""
    log = open_log(target)
    try:
        return log.verify(playbook_data_json, incident_list=INCIDENT_LIST_RULE).ok
    finally:
        log.close()


def cli_verify(ws: Workspace, db: Path | None = None) -> dict[str, object]:
    args = ["--db", str(db)] if db else []
    result = subprocess.run(
        [sys.executable, "-m", "crisisctl", *(args or ws.args()[:2]), "verify", "--json"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=ws.root,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    payload = json.loads(result.stdout)
    assert payload["ok"] is True
    return payload


def checkpoint(db: Path) -> None:
    """Move everything into the main file, so byte-level surgery sees it."""
    with plain(db) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def page_size(data: bytes) -> int:
    size = int.from_bytes(data[16:18], "big")
    return 65536 if size == 1 else size


def btree_pages(db: Path, name: str) -> tuple[int, list[int]]:
    """The root page of a table or index and its leaf pages, read from the file itself."""
    with plain(db) as connection:
        (root,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    data = db.read_bytes()
    size = page_size(data)
    leaves: list[int] = []

    def walk(page: int) -> None:
        base = (page - 1) * size
        header = base + (100 if page == 1 else 0)
        kind = data[header]
        if kind in (0x0D, 0x0A):  # table leaf, index leaf
            leaves.append(page)
            return
        assert kind in (0x05, 0x02), f"page {page} has b-tree type {kind:#x}"
        cells = int.from_bytes(data[header + 3 : header + 5], "big")
        for i in range(cells):
            pointer = int.from_bytes(data[header + 12 + 2 * i : header + 14 + 2 * i], "big")
            walk(int.from_bytes(data[base + pointer : base + pointer + 4], "big"))
        walk(int.from_bytes(data[header + 8 : header + 12], "big"))

    walk(root)
    return root, leaves


def smash_page_header(db: Path, page: int) -> None:
    """Flip the b-tree page header bytes of one page (a bad sector, a stray write)."""
    size = page_size(db.read_bytes())
    with db.open("r+b") as file:
        file.seek((page - 1) * size)
        original = file.read(8)
        file.seek((page - 1) * size)
        file.write(bytes(byte ^ 0xFF for byte in original))


# Child processes that append through the service, as crisisctl itself does.

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from crisisctl.clock import SystemClock
    from crisisctl.errors import CrisisError
    from crisisctl.incident.service import IncidentService
    from crisisctl.store.opening import open_log

    target, incident, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    stop = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    service = IncidentService(open_log(target), SystemClock(), name)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit(5)
    i, slowest = 0, 0.0
    while i < count and not (stop is not None and stop.exists()):
        started = time.monotonic()
        try:
            state = service.note(incident, f"{name} {i}", at=None)
        except CrisisError as error:
            print(f"crisisctl: {error.message}", file=sys.stderr, flush=True)
            sys.exit(int(error.exit_code))
        slowest = max(slowest, time.monotonic() - started)
        print(state.last_seq, flush=True)
        i += 1
    print(f"slowest={slowest:.3f}", flush=True)
    """
)


def start_writer(
    ws: Workspace, incident: str, name: str, count: int, stop: Path | None = None, target: str | None = None
) -> subprocess.Popen[str]:
    """A writer process on the workspace's log, or on `target` (another name for it)."""
    args = [sys.executable, "-c", WRITER, target or ws.target, incident, name, str(count)]
    if stop is not None:
        args.append(str(stop))
    child = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        cwd=ws.root,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
    return child


def go(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("go\n")
    child.stdin.close()
    child.stdin = None  # communicate() must not flush it again


def finish(child: subprocess.Popen[str]) -> tuple[int, list[int], str]:
    out, err = child.communicate(timeout=120)
    return child.returncode, [int(line) for line in out.split() if not line.startswith("slowest=")], err


def slowest_write(child_output: str) -> float:
    return max([float(line.split("=")[1]) for line in child_output.split() if line.startswith("slowest=")] or [0.0])


# --------------------------------------------------------------------------- pragmas, file mode, missing logs


def test_new_log_pragmas_identity_and_private_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "fresh" / "log.sqlite3"
    monkeypatch.delenv(busy.ENV_BUSY_TIMEOUT, raising=False)
    connection = connect(path, create=True)
    assert connection is not None
    try:
        pragma = lambda name: connection.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("busy_timeout") == busy.DEFAULT_BUSY_TIMEOUT_MS > 0
        assert pragma("foreign_keys") == 1
        assert pragma("trusted_schema") == 0
        assert pragma("application_id") == APPLICATION_ID
        assert pragma("user_version") == len(migrations.MIGRATIONS)
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        assert {"events", "playbook_snapshots", "incidents", "events_append_only_update"} <= names
        # The log and the files SQLite keeps beside it hold customer data: owner only.
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert file.exists(), file
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, (file, oct(file.stat().st_mode))
    finally:
        connection.close()
    # WAL is a property of the file: a plain connection sees it too.
    with plain(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_busy_timeout_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(busy.ENV_BUSY_TIMEOUT, "300")
    connection = connect(tmp_path / "log.sqlite3", create=True)
    assert connection is not None
    try:
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 300
    finally:
        connection.close()


def test_log_is_private_even_under_a_permissive_umask(workspace: Workspace) -> None:
    result = cli(workspace, "declare", "base", "--input", "affected_customers=10", preexec_fn=lambda: os.umask(0))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(workspace.db.stat().st_mode) == 0o600
    assert stat.S_IMODE(workspace.db.parent.stat().st_mode) & 0o077 == 0, "the log's new folder is private too"


READS_OF_A_MISSING_LOG = [
    (["incidents"], 0, "no incidents"),
    (["incidents", "--all", "--json"], 0, "[]"),
    (["timeline", "INC-1"], 2, "inc-1"),
    (["show", "INC-1"], 2, "inc-1"),
    (["verify"], 4, "no log"),
    (["verify", "--json"], 4, "no log"),
]
LOG_COMMANDS_ON_A_MISSING_LOG = {
    "sqlite": [(["db", "path"], 0, "incidents.sqlite3"), (["db", "backup", "BACKUP"], 4, "no log")],
    "postgresql": [(["db", "backup", "BACKUP"], 2, "pg_dump")],  # a team log is backed up with pg_dump
}


@pytest.mark.parametrize(
    ("backend", "args", "code", "expected"),
    [
        pytest.param(backend, args, code, expected, id=f"{backend}-{' '.join(args)}")
        for backend in ("sqlite", "postgresql")
        for args, code, expected in [*READS_OF_A_MISSING_LOG, *LOG_COMMANDS_ON_A_MISSING_LOG[backend]]
    ],
    indirect=["backend"],
)
def test_read_only_commands_on_a_missing_log_create_nothing(
    team_workspace: Workspace, args: list[str], code: int, expected: str
) -> None:
    """A missing log is a SQLite file that is not there, or a PostgreSQL database without crisisctl's tables."""
    ws = team_workspace
    backup = ws.root / "copy.sqlite3"
    args = [str(backup) if arg == "BACKUP" else arg for arg in args]
    result, out, err = in_process(ws, *args)
    if code == 0:
        assert result == 0, err
        assert expected in out.lower()
    else:
        assert_clean_failure(result, err, code, expected)
    assert not log_exists(ws), "a read-only command created the log (or, on SQLite, its folder)"
    assert not backup.exists()


# --------------------------------------------------------------------------- migrations


def test_a_blank_file_becomes_a_log(workspace: Workspace) -> None:
    workspace.db.parent.mkdir()
    workspace.db.touch(mode=0o600)
    assert workspace.db.stat().st_size == 0
    workspace.ok("declare", "base", "--input", "affected_customers=10")
    gc.collect()
    with plain(workspace.db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)
        assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        triggers = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert triggers == {
        "events_append_only_update",
        "events_append_only_delete",
        "playbook_snapshots_append_only_update",
        "playbook_snapshots_append_only_delete",
        "playbook_models_append_only_update",
        "playbook_models_append_only_delete",
        "incidents_never_deleted",
        "incidents_follow_events",
    }
    assert len(rows(workspace.db)) == 1


def test_a_migrated_log_is_not_migrated_again(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(workspace, notes=2)
    with plain(workspace.db) as connection:
        schema = connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()

    def no_migration(connection: sqlite3.Connection) -> None:
        raise AssertionError("an up-to-date log was migrated again")

    statements: list[str] = []
    real_connect = sqlite3.connect

    def traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = real_connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(database, "migrate", no_migration)
    monkeypatch.setattr(sqlite3, "connect", traced_connect)  # the module crisisctl.store.database connects with
    for _ in range(2):
        opened = connect(workspace.db, create=False)
        assert opened is not None
        opened.close()
    opening = [s for s in statements if s.upper().startswith(("CREATE", "BEGIN", "PRAGMA USER_VERSION =", "ALTER"))]
    assert opening == [], f"opening an up-to-date log wrote to it: {opening}"
    monkeypatch.undo()
    with plain(workspace.db) as connection:
        assert connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == schema
        assert connection.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)


def schema_version(ws: Workspace) -> int:
    """How many migrations the log has had: SQLite's user_version, or the newest row of crisisctl_schema."""
    with raw(ws.target) as connection:
        if connection.pg:
            return int(connection.execute("SELECT max(version) FROM crisisctl_schema")[0][0])
        return int(connection.execute("PRAGMA user_version")[0][0])


def store_migrations(ws: Workspace) -> tuple[list[Any], list[Any]]:
    """The store's list of migrations, and where else its length is read (to patch both)."""
    if is_pg(ws.target):
        from crisisctl.store.postgres import log as pg_log
        from crisisctl.store.postgres import migrations as pg_migrations

        return pg_migrations.MIGRATIONS, [pg_migrations, pg_log]
    return migrations.MIGRATIONS, [migrations, database]


def test_a_new_migration_runs_once_on_an_old_log(team_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = team_workspace
    seed(ws, notes=3)
    before = rows(ws.target)
    calls: list[str] = []

    def already_run(db: object) -> None:
        calls.append("old")
        raise AssertionError("a migration ran twice")

    def m999_extra(db: object) -> None:
        calls.append("new")
        db.execute("CREATE TABLE extra (x INTEGER)")  # type: ignore[attr-defined]

    shipped, modules = store_migrations(ws)
    upgraded = [already_run] * len(shipped) + [m999_extra]
    for module in modules:
        monkeypatch.setattr(module, "MIGRATIONS", upgraded)
    for _ in range(3):  # three runs of a newer crisisctl, each opening the log
        log = open_log(ws.target)
        try:
            assert len(log.events_of("INC-1")) == len(before)
        finally:
            log.close()
        assert schema_version(ws) == len(upgraded)
    assert calls == ["new"]
    assert rows(ws.target) == before
    assert chain_verifies(ws.target)  # (a full verify would name the table `extra` on SQLite, as it should)


def _first_schema_append(self: Any, events: list[NewEvent], recorded_at: str, wall: str | None = None) -> Any:
    """The append of a crisisctl from before client ids (m004): nine columns."""
    from crisisctl.store.chain import GENESIS_HASH, link

    last = self.connection.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    linked = link(events, tuple(last) if last else (0, GENESIS_HASH), recorded_at, wall)
    self.connection.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(e.seq, e.incident, e.at, e.recorded_at, e.type, e.actor, data, e.prev_hash, e.hash) for e, data in linked],
    )
    return [event for event, _ in linked]


def test_a_log_from_the_first_schema_is_upgraded_and_keeps_working(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """m002 (kept playbook data) on a log written before it: old incidents load from their pinned text."""
    with monkeypatch.context() as first_schema:
        first_schema.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
        first_schema.setattr(database, "MIGRATIONS", migrations.MIGRATIONS[:1])
        first_schema.setattr(
            "crisisctl.store.log.LogWriter.pin_playbook",
            lambda self, sha256, playbook, version, text, data: self.connection.execute(
                "INSERT OR IGNORE INTO playbook_snapshots VALUES (?, ?, ?, ?)", (sha256, playbook, version, text)
            ),
        )
        first_schema.setattr("crisisctl.store.log.LogWriter.append", _first_schema_append)
        workspace.ok("declare", "base", "--input", "affected_customers=2")
    with plain(workspace.db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
    workspace.ok("step", "done", "INC-1", "assess")  # opens, migrates to the current schema, loads from text
    workspace.ok("declare", "base", "--input", "affected_customers=3")
    with plain(workspace.db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)
        assert connection.execute("SELECT count(*) FROM playbook_models").fetchone()[0] == 1
    assert workspace.json("show", "INC-1")["steps"][0]["status"] == "done"  # type: ignore[index]
    assert workspace.json("verify")["ok"] is True  # type: ignore[index]


def contents(ws: Workspace) -> object:
    """All a log holds: the SQLite file's bytes (their digest), or every row of every PostgreSQL table."""
    if not is_pg(ws.target):
        return digest(ws.db)
    with raw(ws.target) as connection:
        tables = connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        return {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1") for (table,) in tables}


def test_a_log_from_a_newer_crisisctl_is_refused(team_workspace: Workspace) -> None:
    ws = team_workspace
    seed(ws, notes=2)
    newer = len(store_migrations(ws)[0]) + 1
    with raw(ws.target) as connection:
        if connection.pg:
            connection.execute("INSERT INTO crisisctl_schema (version, name) VALUES (?, 'm999_later')", (newer,))
        else:
            connection.execute(f"PRAGMA user_version = {newer}")
    before = contents(ws)
    for args in (["note", "INC-1", "hello"], ["incidents"], ["verify"], ["timeline", "INC-1"]):
        code, _, err = in_process(ws, *args)
        assert_clean_failure(code, err, 4, "newer")
    assert contents(ws) == before


def _foreign_with_tables(path: Path) -> None:
    with plain(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        connection.execute("INSERT INTO customers (email) VALUES ('a@example.com')")


def _foreign_with_application_id(path: Path) -> None:
    with plain(path) as connection:
        connection.execute("PRAGMA application_id = 1196444237")  # another program's mark


@pytest.mark.parametrize("make", [_foreign_with_tables, _foreign_with_application_id], ids=["tables", "app-id"])
def test_a_foreign_sqlite_database_is_refused_and_left_unchanged(
    workspace: Workspace, make: Callable[[Path], None]
) -> None:
    workspace.db.parent.mkdir()
    make(workspace.db)
    before = digest(workspace.db)
    for args in (["declare", "base", "--input", "affected_customers=1"], ["note", "INC-1", "x"], ["incidents"]):
        code, _, err = in_process(workspace, *args)
        assert_clean_failure(code, err, 4, "not a crisisctl log")
    assert digest(workspace.db) == before
    assert sorted(p.name for p in workspace.db.parent.iterdir()) == [workspace.db.name]
    with plain(workspace.db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_file_that_is_not_sqlite_is_refused_and_left_unchanged(workspace: Workspace) -> None:
    workspace.db.parent.mkdir()
    workspace.db.write_text("these are my meeting notes, not a database\n" * 200)
    before = digest(workspace.db)
    for args in (["declare", "base", "--input", "affected_customers=1"], ["verify"], ["incidents"]):
        code, _, err = in_process(workspace, *args)
        assert_clean_failure(code, err, 4, "not a readable crisisctl log")
    assert digest(workspace.db) == before


def test_a_corrupted_log_is_refused_with_one_clear_message(workspace: Workspace) -> None:
    seed(workspace, notes=60, text="customer update {i} " + "y" * 300)
    checkpoint(workspace.db)
    _, leaves = btree_pages(workspace.db, "events")
    assert len(leaves) >= 5, leaves
    smash_page_header(workspace.db, leaves[len(leaves) // 2])  # a page in the middle of the events
    before = digest(workspace.db)
    for args in (
        ["verify"],
        ["verify", "--json"],
        ["timeline", "INC-1"],
        ["timeline", "INC-1", "--json"],
        ["note", "INC-1", "after the damage"],
    ):
        result = cli(workspace, *args)
        assert_clean_failure(result.returncode, result.stderr, 4, "not a readable crisisctl log")
        assert "customer update" not in result.stderr, "the message echoes note bodies"
    assert digest(workspace.db) == before, "a refused command changed the corrupted file"


def test_verify_does_not_bless_a_log_that_sqlite_finds_corrupt(workspace: Workspace) -> None:
    """A damaged index page: SQLite calls the file malformed and `timeline` refuses it; `verify` must not say ok."""
    seed(workspace, notes=60, text="customer update {i} " + "y" * 300)
    checkpoint(workspace.db)
    root, _ = btree_pages(workspace.db, "idx_events_incident_seq")
    smash_page_header(workspace.db, root)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        integrity(workspace.db)
    timeline = cli(workspace, "timeline", "INC-1")
    assert_clean_failure(timeline.returncode, timeline.stderr, 4, "not a readable crisisctl log")
    verify = cli(workspace, "verify", "--json")
    assert verify.returncode != 0, (
        "verify reported a corrupted log as intact "
        f"(timeline says: {timeline.stderr.strip()!r}; verify printed {verify.stdout.strip()!r})"
    )
    assert "Traceback" not in verify.stderr


def test_corrupted_bytes_in_a_note_never_echo_the_note(workspace: Workspace) -> None:
    """Bit rot inside a stored note: the error is clean and does not print customer data."""
    secret = "call back jane.doe@example.com about card 4111 1111 1111 1111 tomorrow"
    seed(workspace, notes=5, text=secret + " ({i})")
    checkpoint(workspace.db)
    data = bytearray(workspace.db.read_bytes())
    where = data.find(b"about card", data.find(b"jane.doe@example.com"))
    assert where > 0
    data[where] = 0xFF  # no longer UTF-8
    workspace.db.write_bytes(bytes(data))
    for args, codes in ((["timeline", "INC-1"], {4}), (["verify"], {1, 4}), (["note", "INC-1", "x"], {4})):
        result = cli(workspace, *args)
        assert result.returncode in codes, (args, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr
        assert "jane.doe@example.com" not in result.stderr, f"{args} printed a note body: {result.stderr!r}"
        assert "4111" not in result.stderr, f"{args} printed a note body: {result.stderr!r}"


# --------------------------------------------------------------------------- kill -9


ZYGOTE = textwrap.dedent(
    """
    import datetime as dt, os, sys
    from pathlib import Path
    from crisisctl.clock import SystemClock
    from crisisctl.incident.service import Declaration, IncidentService
    from crisisctl.playbook.catalog import find_playbook
    from crisisctl.store.opening import open_log

    target, playbooks, acks = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    playbook = find_playbook(playbooks, "base", dt.date.today())
    open_log(target).close()  # the store's modules imported (psycopg too) before any fork; nothing opened

    def work(round_id):
        # A fresh process image (fork), its own connection: declare, then note until killed.
        fd = os.open(acks / round_id, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        service = IncidentService(open_log(target), SystemClock(), "kill-" + round_id)
        declaration = Declaration(playbook, "round " + round_id, playbook.severities[0].id, False,
                                  {"affected_customers": 1}, {})
        state = service.declare(declaration)
        os.write(fd, b"%d\\n" % state.last_seq)  # acknowledged: the command has returned
        i = 0
        while True:
            state = service.note(state.id, "round %s note %d" % (round_id, i), at=None)
            os.write(fd, b"%d\\n" % state.last_seq)
            i += 1

    print("ready", flush=True)
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        command, argument = line.split()
        if command == "go":
            pid = os.fork()
            if pid == 0:
                try:
                    work(argument)
                except BaseException as error:
                    os.write(2, ("child failed: %r\\n" % (error,)).encode())
                finally:
                    os._exit(3)
            print(pid, flush=True)
        elif command == "reap":
            print(os.waitpid(int(argument), 0)[1], flush=True)
    """
)


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_no_acknowledged_event(team_workspace: Workspace) -> None:
    workspace = team_workspace
    seed(workspace, notes=3)
    acks = workspace.root / "acks"
    acks.mkdir()
    zygote = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, workspace.target, str(workspace.playbooks), str(acks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        cwd=workspace.root,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    rng = random.Random(20261125)
    acknowledged: set[int] = set()
    try:
        assert zygote.stdout.readline().strip() == "ready"
        for round_number in range(50):
            zygote.stdin.write(f"go r{round_number}\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.06))
            os.kill(pid, signal.SIGKILL)
            zygote.stdin.write(f"reap {pid}\n")
            zygote.stdin.flush()
            status = int(zygote.stdout.readline())
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                f"round {round_number}: the writer died on its own (status {status})"
            )
            ack_file = acks / f"r{round_number}"
            acked = {int(line) for line in ack_file.read_text().split()} if ack_file.exists() else set()
            acknowledged |= acked
            if round_number % 5 != 4:
                continue  # most rounds, the next writer itself must recover from the kill
            with raw(workspace.target) as connection:
                if not connection.pg:  # a file's own check; a server keeps its pages itself
                    assert connection.execute("PRAGMA integrity_check")[0][0] == "ok"
                seqs = [row[0] for row in connection.execute("SELECT seq FROM events ORDER BY seq")]
                assert seqs == list(range(1, len(seqs) + 1)), f"round {round_number}: seq not contiguous"
                missing = acknowledged - set(seqs)
                assert not missing, f"round {round_number}: acknowledged events lost: {sorted(missing)}"
                # The incident list is written in the same transaction as the events.
                listed = dict(connection.execute("SELECT id, last_seq FROM incidents"))  # type: ignore[arg-type]
                newest = dict(connection.execute("SELECT incident, max(seq) FROM events GROUP BY incident"))  # type: ignore[arg-type]
                assert listed == newest, f"round {round_number}: incident list out of step with events"
            assert log_verifies(workspace.target), f"round {round_number}: the log does not verify"
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=30)
    assert zygote.returncode == 0, zygote.stderr.read() if zygote.stderr else ""
    assert len(acknowledged) >= 100, f"only {len(acknowledged)} events acknowledged: the kills came too early"
    print(f"kill -9: 50 rounds, {len(acknowledged)} acknowledged events, all present")
    if not is_pg(workspace.target):
        assert integrity(workspace.db) == "ok"
    payload = cli_verify(workspace)
    assert payload["events"] == len(rows(workspace.target)) >= max(acknowledged)


# --------------------------------------------------------------------------- concurrency


def another_name_for(ws: Workspace) -> str:
    """The same log named differently: the file through another path, the database through another host name
    for the same server."""
    if is_pg(ws.target):
        other = ws.target.replace("@127.0.0.1:", "@localhost:")
    else:
        other = str(ws.db.parent / ".." / ws.db.parent.name / ws.db.name)
    assert other != ws.target, "the test needs a second spelling of the log's name"
    return other


@pytest.mark.slow
def test_sixteen_writers_across_two_names_for_the_log_lose_nothing(team_workspace: Workspace) -> None:
    """Sixteen processes, half of them through each name, released at once: a hundred notes each."""
    ws = team_workspace
    (incident,) = seed(ws)
    second = another_name_for(ws)
    writers = {f"w{k}": start_writer(ws, incident, f"w{k}", 100, target=second if k % 2 else None) for k in range(16)}
    started = time.monotonic()
    for child in writers.values():
        go(child)
    outputs = {name: child.communicate(timeout=600) for name, child in writers.items()}
    elapsed = time.monotonic() - started
    slowest = max(slowest_write(out) for out, _ in outputs.values())
    results = {}
    for name, (out, err) in outputs.items():
        code = writers[name].returncode
        assert code == 0, f"{name} exited {code}: {err} (slowest write {slowest:.2f} s, all writes {elapsed:.1f} s)"
        assert err == "", f"{name} reported: {err}"  # no "locked" or "busy" reaches anyone
        results[name] = [int(line) for line in out.split() if not line.startswith("slowest=")]
    print(f"16 x 100 writes: {elapsed:.1f} s, slowest single write {slowest:.2f} s")
    events = rows(ws.target)
    assert [event[0] for event in events] == list(range(1, 1602))
    notes = [event for event in events if event[4] == "note.added"]
    assert len(notes) == 1600
    all_acks = [seq for acks in results.values() for seq in acks]
    assert sorted(all_acks) == list(range(2, 1602)), "every note acknowledged once, by one writer"
    for name, acks in results.items():
        mine = [event for event in notes if event[5] == name]
        assert [event[0] for event in mine] == acks
        assert [json.loads(str(event[6]))["text"] for event in mine] == [f"{name} {i}" for i in range(100)]
    with raw(ws.target) as connection:
        assert connection.execute("SELECT last_seq FROM incidents WHERE id = ?", (incident,)) == [(1601,)]
        if not connection.pg:
            assert connection.execute("PRAGMA integrity_check") == [("ok",)]
    assert cli_verify(ws)["events"] == 1601


def long_incident(ws: Workspace, events: int) -> str:
    """One incident of `events` events, written fast with the store's own code (as bench/biglog.py does)."""
    (incident,) = seed(ws)
    log = open_log(ws.target)
    try:
        with log.write() as writer:
            history = writer.events_of(incident)
            at = history[0].at
            notes = [NewEvent(incident, at, "note.added", "scribe", {"text": f"update {i}"}) for i in range(events - 1)]
            state = fold([*history, *writer.append(notes, history[0].recorded_at)])
            writer.save_incident(incident_row(state))
    finally:
        log.close()
    return incident


@pytest.mark.slow
def test_sixteen_notes_at_once_on_a_long_incident_all_succeed(team_workspace: Workspace) -> None:
    """Folding 100,000 events takes a while; done inside the write lock, the writers queued behind it
    timed out as "log busy". Each must fold outside the lock and only catch up inside it."""
    workspace = team_workspace
    incident = long_incident(workspace, 100_000)
    command = [sys.executable, "-m", "crisisctl", *workspace.args()]
    writers = [
        subprocess.Popen(
            [*command, "--as", f"w{k}", "note", incident, f"note from w{k}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        for k in range(16)
    ]
    outcomes = [(child.communicate(timeout=600), child.returncode) for child in writers]
    failed = [(code, err.strip()) for (_, err), code in outcomes if code != 0]
    assert failed == [], f"{len(failed)} of 16 writers failed: {failed[:3]}"
    with raw(workspace.target) as connection:
        notes = connection.execute("SELECT actor FROM events WHERE seq > 100000 AND type = 'note.added' ORDER BY seq")
        last_seq = connection.execute("SELECT last_seq FROM incidents WHERE id = ?", (incident,))
    assert sorted(actor for (actor,) in notes) == sorted(f"w{k}" for k in range(16))
    assert last_seq == [(100_016,)]
    assert cli_verify(workspace)["events"] == 100_016


def test_a_lock_held_past_the_busy_timeout_is_a_clean_busy_error(team_workspace: Workspace) -> None:
    """SQLite's write lock, or PostgreSQL's append lock, held by another connection longer than the busy timeout
    (which a team log applies as its lock_timeout)."""
    workspace = team_workspace
    seed(workspace, notes=2)
    before = rows(workspace.target)
    env = {"CRISISCTL_BUSY_TIMEOUT_MS": "300"}
    with write_lock_held(workspace):
        started = time.monotonic()
        note = cli(workspace, "note", "INC-1", "customer jane.doe@example.com called", env=env)
        elapsed = time.monotonic() - started
        declare = cli(workspace, "declare", "base", "--input", "affected_customers=1", env=env)
        reader = cli(workspace, "timeline", "INC-1", "--json", env=env)
    assert_clean_failure(note.returncode, note.stderr, 4, "busy")
    assert "jane.doe" not in note.stderr
    assert 0.3 <= elapsed < 8, f"the 300 ms busy timeout was not honoured ({elapsed:.2f} s)"
    assert_clean_failure(declare.returncode, declare.stderr, 4, "busy")
    assert reader.returncode == 0, "a reader must not wait for a writer"
    assert len(json.loads(reader.stdout)) == len(before)
    assert rows(workspace.target) == before, "something was written while the log was busy"
    workspace.ok("note", "INC-1", "the lock is gone")
    gc.collect()
    assert len(rows(workspace.target)) == len(before) + 1


READER = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from pathlib import Path
    from crisisctl.entry import main

    stop, total, args = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    reads = partial = last = 0
    while True:
        final = stop.exists()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = main([*args, "timeline", "INC-1", "--json"])
        if code != 0:
            sys.exit(code)
        seqs = [event["seq"] for event in json.loads(buffer.getvalue())]
        if seqs != list(range(1, len(seqs) + 1)) or len(seqs) < last:
            print("inconsistent timeline", len(seqs), last, file=sys.stderr)
            sys.exit(9)
        last, reads = len(seqs), reads + 1
        partial += 1 < last < total
        if reads == 1:
            print("ready", flush=True)
        if final:
            break
    print(json.dumps({"reads": reads, "partial": partial, "last": last}), flush=True)
    """
)


@pytest.mark.slow
def test_a_reader_beside_five_hundred_writes(team_workspace: Workspace) -> None:
    workspace = team_workspace
    (incident,) = seed(workspace)
    stop = workspace.root / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(stop), "501", *workspace.args()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        cwd=workspace.root,
    )
    assert reader.stdout is not None
    assert reader.stdout.readline().strip() == "ready", reader.stderr.read() if reader.stderr else ""
    try:
        writer = start_writer(workspace, incident, "writer", 500)
        go(writer)
        code, acks, err = finish(writer)
    finally:
        stop.touch()
        out, reader_err = reader.communicate(timeout=120)
    assert code == 0 and err == "", err
    assert acks == list(range(2, 502))
    assert reader.returncode == 0, reader_err
    summary = json.loads(out)
    assert summary["last"] == 501
    assert summary["partial"] >= 1, f"the reader never ran during the writes: {summary}"
    assert cli_verify(workspace)["events"] == 501


# --------------------------------------------------------------------------- full disk, read-only log


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_fails_cleanly_and_the_next_run_succeeds(workspace: Workspace) -> None:
    seed(workspace, notes=1)
    acknowledged = len(rows(workspace.db))
    limited = _file_size_limit(300_000)
    failure = None
    for i in range(30):
        body = f"customer record {i}: jane.doe@example.com " + "x" * 100_000
        result = cli(workspace, "note", "INC-1", body, preexec_fn=limited)
        if result.returncode != 0:
            failure = result
            break
        acknowledged += 1
    assert failure is not None, "the file size limit never made a write fail"
    assert_clean_failure(failure.returncode, failure.stderr, 4, "could not be written")
    assert "jane.doe" not in failure.stderr
    assert len(failure.stderr) < 1000
    # Earlier events intact, nothing half-written, the chain whole.
    assert integrity(workspace.db) == "ok"
    assert len(rows(workspace.db)) == acknowledged
    assert chain_ok(workspace.db).ok
    # Space is back: the next run succeeds.
    after = cli(workspace, "note", "INC-1", "space is back")
    assert after.returncode == 0, after.stderr
    assert len(rows(workspace.db)) == acknowledged + 1
    assert cli_verify(workspace)["events"] == acknowledged + 1


PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
_LIBC = ctypes.CDLL(None, use_errno=True)


def _as_plain_owner() -> None:
    """preexec_fn for root: drop the capabilities that let root ignore file modes.

    Dropped from the bounding set, they are gone after exec: the child is the file's
    owner (uid 0) and is held to the owner's permission bits, as any user would be.
    """
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if _LIBC.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {capability})")


def owner_only() -> dict[str, Any]:
    """Popen arguments that make file permissions count, for root (CI) and for everyone else."""
    popen: dict[str, Any] = {"preexec_fn": _as_plain_owner} if os.geteuid() == 0 else {}
    return popen


def assert_permissions_are_enforced(folder: Path) -> None:
    """The mechanism must really work here; a test that cannot make a file read-only must not pass."""
    probe = folder / "probe"
    probe.write_text("x")
    probe.chmod(0o400)
    result = subprocess.run(
        [sys.executable, "-c", f"open({str(probe)!r}, 'a')"], capture_output=True, text=True, **owner_only()
    )
    probe.chmod(0o600)
    probe.unlink()
    assert result.returncode != 0 and "PermissionError" in result.stderr, (
        "could not make a file read-only for the child process; the read-only tests would prove nothing"
    )


def _listing(folder: Path) -> str:
    return ", ".join(f"{p.name} {stat.filemode(p.stat().st_mode)}" for p in sorted(folder.iterdir()))


def test_a_read_only_log_file_fails_cleanly_and_works_once_writable(workspace: Workspace) -> None:
    assert_permissions_are_enforced(workspace.root)
    seed(workspace, notes=2)
    before = rows(workspace.db)
    workspace.db.chmod(0o400)
    try:
        refused = cli(workspace, "note", "INC-1", "customer jane.doe@example.com", **owner_only())
        verified = cli(workspace, "verify", "--json", **owner_only())
    finally:
        workspace.db.chmod(0o600)
    assert_clean_failure(refused.returncode, refused.stderr, 4, "read-only")
    assert "jane.doe" not in refused.stderr
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["events"] == len(before)
    # The owner makes the log writable again: the next run must work.
    again = cli(workspace, "note", "INC-1", "writable again", **owner_only())
    assert again.returncode == 0, (
        f"after `chmod 600` on the log, `note` still fails: {again.stderr.strip()!r}; "
        f"files: {_listing(workspace.db.parent)}"
    )
    after = rows(workspace.db)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert chain_ok(workspace.db).ok


def test_a_read_only_folder_fails_cleanly_and_works_once_writable(workspace: Workspace) -> None:
    assert_permissions_are_enforced(workspace.root)
    seed(workspace, notes=2)
    before = rows(workspace.db)
    folder = workspace.db.parent
    folder.chmod(0o500)
    try:
        refused = cli(workspace, "note", "INC-1", "customer jane.doe@example.com", **owner_only())
    finally:
        folder.chmod(0o700)
    assert refused.returncode == 4, refused.stderr
    assert_clean_failure(refused.returncode, refused.stderr, 4)
    assert any(word in refused.stderr.lower() for word in ("read-only", "cannot be opened", "permission"))
    assert "jane.doe" not in refused.stderr
    again = cli(workspace, "note", "INC-1", "writable again", **owner_only())
    assert again.returncode == 0, f"{again.stderr.strip()!r}; files: {_listing(folder)}"
    after = rows(workspace.db)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert chain_ok(workspace.db).ok


@pytest.mark.parametrize("suffix", ["-shm", "-wal"])
def test_a_symlinked_side_file_is_refused_and_its_target_left_alone(workspace: Workspace, suffix: str) -> None:
    """In a shared folder anyone may plant `log-shm -> someone's file`: crisisctl must neither chmod nor open it."""
    seed(workspace, notes=1)
    before = rows(workspace.db)
    workspace.db.chmod(0o660)  # a log shared with a team through its group
    victim = workspace.root / "someone-elses-file"
    victim.write_text("not yours\n", encoding="utf-8")
    victim.chmod(0o644)
    side = Path(f"{workspace.db}{suffix}")
    side.unlink(missing_ok=True)
    side.symlink_to(victim)
    refused = cli(workspace, "note", "INC-1", "customer jane.doe@example.com")
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644, "the chmod followed the link"
    assert victim.read_text(encoding="utf-8") == "not yours\n"
    assert_clean_failure(refused.returncode, refused.stderr, 4, "symbolic link", "remove the link")
    assert str(side) in refused.stderr
    side.unlink()
    again = cli(workspace, "note", "INC-1", "link removed")
    assert again.returncode == 0, again.stderr
    assert rows(workspace.db)[: len(before)] == before and len(rows(workspace.db)) == len(before) + 1


# --------------------------------------------------------------------------- backup


@pytest.mark.slow
def test_backups_taken_during_writes_are_consistent(workspace: Workspace) -> None:
    (incident,) = seed(workspace, notes=5)
    stop = workspace.root / "stop"
    writer = start_writer(workspace, incident, "writer", 5000, stop)
    go(writer)
    assert writer.stdout is not None
    first_ack = int(writer.stdout.readline())  # the writer is writing
    counts = []
    try:
        for i in range(3):
            copy = workspace.root / f"backup-{i}.sqlite3"
            result = cli(workspace, "db", "backup", str(copy))
            assert result.returncode == 0, result.stderr
            assert stat.S_IMODE(copy.stat().st_mode) == 0o600, "a backup holds customer data too"
            assert integrity(copy) == "ok"
            copied = rows(copy)
            assert [event[0] for event in copied] == list(range(1, len(copied) + 1))
            assert cli_verify(workspace, copy)["events"] == len(copied)
            counts.append(len(copied))
    finally:
        stop.touch()
    code, acks, err = finish(writer)
    assert code == 0 and err == "", err
    acks = [first_ack, *acks]
    assert counts == sorted(counts) and counts[0] >= 7
    assert counts[-1] > counts[0], f"the writer made no progress during the backups: {counts}"
    assert set(acks) <= {event[0] for event in rows(workspace.db)}
    assert cli_verify(workspace)["events"] == 6 + len(acks)


def test_backup_never_overwrites_a_file(workspace: Workspace) -> None:
    seed(workspace, notes=1)
    existing = workspace.root / "precious.sqlite3"
    existing.write_bytes(b"yesterday's backup")
    code, _, err = in_process(workspace, "db", "backup", str(existing))
    assert_clean_failure(code, err, 2, "already exists")
    assert existing.read_bytes() == b"yesterday's backup"
