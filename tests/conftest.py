"""Test isolation: no test may touch the user's real data, cache or config directories."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from homeguard import RealFolders, crisisctl_folders
from hypothesis import settings

# A short pass in CI; HYPOTHESIS_PROFILE=nightly for a long one (docs/reliability.md). A test that sets its own
# max_examples takes it from tests/budget.py's examples(), which scales it by this profile's max_examples.
settings.register_profile("ci", print_blob=True)
settings.register_profile("nightly", max_examples=20_000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
_REAL_FOLDERS = crisisctl_folders()  # read before any test points HOME elsewhere


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME and the XDG folders at a fresh folder; fail if anything in crisisctl's real folders changed."""
    home = tmp_path_factory.mktemp("home")
    real = RealFolders(_REAL_FOLDERS)
    monkeypatch.setenv("HOME", str(home))
    for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    for variable in ("CRISISCTL_DB", "CRISISCTL_PLAYBOOKS", "CRISISCTL_TEMPLATES", "CRISISCTL_USER", "NO_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("CRISISCTL_TZ", raising=False)
    monkeypatch.setenv("TZ", "UTC")  # times are shown in the system zone: the same one on every machine
    time.tzset()
    monkeypatch.delenv("CRISISCTL_AGENT", raising=False)
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # where team-log agents listen
    # Every test has a HOME of its own, so its team-log commands start an agent of their own: let it end soon.
    monkeypatch.setenv("CRISISCTL_AGENT_IDLE", "3")
    yield home
    changed = real.changed()
    assert not changed, f"a test touched crisisctl's real data, config, cache or state folder: {changed}"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run with the repository as working directory, so ./playbooks and ./templates are the samples."""
    monkeypatch.chdir(REPO)
    return REPO


def subprocess_env(**extra: str) -> dict[str, str]:
    """The current (isolated) environment for a child crisisctl process."""
    env = dict(os.environ)
    env.update(extra)
    return env


def unmeasured_env(**extra: str) -> dict[str, str]:
    """subprocess_env without coverage, which CI starts in every child: for a child whose imports a test
    inspects (coverage loads hashlib, dataclasses and more itself, and collects garbage on its own)."""
    env = subprocess_env(**extra)
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def crisisctl(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process; undecodable output bytes kept as surrogates."""
    return subprocess.run(
        [sys.executable, "-m", "crisisctl", *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        cwd=cwd,
        timeout=60,
        env=subprocess_env(**env),
    )


class Workspace:
    """A playbook folder, templates and a log in a temporary directory, driven through the real entry point."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.playbooks = root / "playbooks"
        self.templates = REPO / "tests" / "corpus" / "templates"
        self.db = root / "log" / "incidents.sqlite3"
        self.target = str(self.db)  # what --db names: this file, or a postgresql:// DSN
        self.capsys = capsys
        self.playbooks.mkdir()
        (self.playbooks / "base.yaml").write_text(
            (REPO / "tests" / "corpus" / "base-playbook.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )

    def args(self) -> list[str]:
        return ["--db", self.target, "--playbooks", str(self.playbooks), "--templates", str(self.templates)]

    def run(self, *args: str) -> tuple[int, str, str]:
        from crisisctl.entry import main

        self.capsys.readouterr()
        code = main([*self.args(), *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, *args: str) -> str:
        code, out, err = self.run(*args)
        assert code == 0, f"{args} exited {code}: {err}"
        return out

    def json(self, *args: str) -> Any:  # a JSON document, whatever the command prints
        import json

        return json.loads(self.ok(*args, "--json"))


def declare(ws: Workspace, *extra: str) -> str:
    """Declare an incident of the corpus's base playbook; its id."""
    payload = ws.json("declare", "base", "--input", "affected_customers=1200", *extra)
    assert isinstance(payload, dict)
    return str(payload["id"])


def read_digest(ws: Workspace, incident: str, communication: str, *locale: str) -> str:
    """The latest draft's digest, as an approver reads it with `comms show` before approving."""
    payload = ws.json("comms", "show", incident, communication, *locale)
    assert isinstance(payload, dict) and payload["draft_sha256"], payload
    return str(payload["draft_sha256"])


def outbox_of(ws: Workspace, incident: str) -> Path:
    """The incident's folder in the outbox that belongs to the workspace's log (a team log's is kept locally,
    in a folder named after its DSN)."""
    from crisisctl.settings import Settings

    named = Settings(ws.playbooks, ws.templates, db_flag=ws.target).db
    return named.parent / f"{named.name}.outbox" / incident


def as_recorded(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as the command recorded it, without what a team log adds to every event: db_user, the
    database user who signed in, and recorded_wall, the laptop's clock beside the server's (docs/team.md)."""
    if not is_pg(ws.target):
        return data
    return {key: value for key, value in data.items() if key not in ("db_user", "recorded_wall")}


def event_count(ws: Workspace, incident: str) -> int:
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    return len(events)


@pytest.fixture
def workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("COLUMNS", "200")  # tables wide enough that assertions see whole cells
    return Workspace(tmp_path, capsys)


_WRAPPER = """
import signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the program below, not for this wrapper
child = subprocess.Popen(sys.argv[2:], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
code = child.wait()
open(sys.argv[1], "w").write(str(code if code >= 0 else f"signal {-code}"))
"""


def in_terminal(command: list[str], status_file: Path) -> list[str]:
    """A command line for tmux that writes the program's exit status to a file when it ends."""
    return [sys.executable, "-c", _WRAPPER, str(status_file), *command]


def wait_for_exit(status_file: Path, timeout: float = 20.0) -> str:
    """The exit status written by `in_terminal`, once the program has ended."""
    deadline = time.monotonic() + timeout
    while not status_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return status_file.read_text() if status_file.exists() else "still running"


# --------------------------------------------------------------------------- backends


def is_pg(target: str) -> bool:
    """Whether --db names a team log on PostgreSQL rather than a SQLite file."""
    return target.startswith("postgresql://")


class Raw:
    """A plain connection to a log, not crisisctl's: sqlite3 on the file, or psycopg as the DSN's user (the
    tests' superuser); statements take `?` placeholders on both."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.pg = is_pg(target)
        if self.pg:
            import psycopg

            self._pg: Any = psycopg.connect(target, autocommit=True)
        else:
            self._sqlite = sqlite3.connect(target, isolation_level=None)

    def execute(self, statement: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; the rows it returns, if any."""
        if not self.pg:
            return self._sqlite.execute(statement, tuple(parameters)).fetchall()
        if parameters:
            statement = statement.replace("%", "%%").replace("?", "%s")
        cursor = self._pg.execute(statement, tuple(parameters) or None)
        return cursor.fetchall() if cursor.description is not None else []

    def script(self, statements: str) -> None:
        """Several statements separated by semicolons, without parameters."""
        if self.pg:
            self._pg.execute(statements)
        else:
            self._sqlite.executescript(statements)

    def close(self) -> None:
        (self._pg if self.pg else self._sqlite).close()


@contextlib.contextmanager
def raw(target: str) -> Iterator[Raw]:
    connection = Raw(target)
    try:
        yield connection
    finally:
        connection.close()


def rows(target: str, query: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """A query's rows, read behind crisisctl's back."""
    with raw(target) as connection:
        return connection.execute(query, parameters)


@contextlib.contextmanager
def write_lock_held(ws: Workspace) -> Iterator[None]:
    """Another connection holding the log's write lock, as a crisisctl stuck inside a write would: SQLite's
    write transaction (BEGIN IMMEDIATE), or PostgreSQL's append lock (the advisory lock writers take)."""
    if is_pg(ws.target):
        from crisisctl.store.postgres.connection import APPEND_LOCK

        with raw(ws.target) as holder:
            holder.execute("SELECT pg_advisory_lock(?)", (APPEND_LOCK,))
            yield
        return
    with raw(ws.target) as holder:
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")


def log_exists(ws: Workspace) -> bool:
    """Whether anything of a log was made: the SQLite file or its folder, or any table or function in the
    PostgreSQL database."""
    if not is_pg(ws.target):
        return ws.db.exists() or ws.db.parent.exists()
    (made,) = rows(
        ws.target,
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace)"
        " OR EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = 'public'::regnamespace)",
    )
    return bool(made[0])


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str | None]:
    """A superuser DSN of a throwaway PostgreSQL (see tests/pgserver.py), or None when there is none."""
    from pgserver import ENV_DSN, Server, binaries

    given = os.environ.get(ENV_DSN)
    if given:
        yield given
        return
    folder = binaries()
    if folder is None:
        yield None
        return
    server = Server(folder)
    try:
        dsn = server.start()
    except (OSError, subprocess.SubprocessError):
        server.stop()
        yield None
        return
    try:
        yield dsn
    finally:
        server.stop()


_DATABASES = iter(range(1, 1_000_000))


def with_database(dsn: str, database: str) -> str:
    """The same server and credentials, another database."""
    base, _, query = dsn.partition("?")
    return base.rsplit("/", 1)[0] + "/" + database + (f"?{query}" if query else "")


def fresh_database(admin: str, template: str = "template0") -> str:
    """A new database on the test server, empty or a copy of `template` (a database nobody is connected to);
    its DSN."""
    import psycopg

    name = f"crisisctl_t{os.getpid()}_{next(_DATABASES)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        # A team-log agent may keep a connection to the template between commands; a template has to be idle.
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (template,),
        )
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return with_database(admin, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, pg_admin: str | None) -> str:
    """The log a test runs against: a new SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "log" / "incidents.sqlite3")
    if pg_admin is None:
        from pgserver import HOW_TO_ENABLE

        pytest.skip(HOW_TO_ENABLE)
    return fresh_database(pg_admin)


@pytest.fixture
def team_workspace(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """A workspace whose log is the backend's."""
    monkeypatch.setenv("COLUMNS", "200")
    ws = Workspace(tmp_path, capsys)
    ws.target = backend
    return ws


@pytest.fixture
def pg_workspace(
    pg_admin: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """A workspace on a new database of the test PostgreSQL, for what only PostgreSQL has."""
    if pg_admin is None:
        from pgserver import HOW_TO_ENABLE

        pytest.skip(HOW_TO_ENABLE)
    monkeypatch.setenv("COLUMNS", "200")
    ws = Workspace(tmp_path, capsys)
    ws.target = fresh_database(pg_admin)
    return ws
