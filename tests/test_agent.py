"""The team-log agent (crisisctl.store.agent): commands reach PostgreSQL through it without importing psycopg,
and whatever happens to it (killed between or inside commands, its pooled connections ended by the server, a
folder others may enter) a command records once or says it did not, exactly as when it connects by itself."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Workspace, subprocess_env, unmeasured_env

# A command in a child process that says on its last line of standard error whether it imported psycopg; run with
# -P, as the `crisisctl` script runs, so that the working folder is not on the module path.
_RUN = (
    "import sys\nfrom crisisctl.entry import main\ncode = main(sys.argv[1:])\n"
    "print('psycopg imported:', 'psycopg' in sys.modules, file=sys.stderr)\nsys.exit(code)"
)


def run(ws: Workspace, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-c", _RUN, *ws.args(), *args],
        capture_output=True, text=True, cwd=ws.root, env=subprocess_env(**env), timeout=60,
    )  # fmt: skip


def ok(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    child = run(ws, *args)
    assert child.returncode == 0, child.stderr
    return child


def through_agent(run: subprocess.CompletedProcess[str] | str) -> bool:
    """Whether the command (or its standard error) reached the log through the agent: it never imported psycopg."""
    stderr = run if isinstance(run, str) else run.stderr
    return stderr.rstrip().endswith("psycopg imported: False")


def socket_of(ws: Workspace) -> Path:
    """Where the agent for the workspace's commands listens (same environment, same working folder)."""
    code = "from crisisctl.store.agent import place; print(place.socket_path(place.private_folder()))"
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ws.root, env=subprocess_env(), check=True
    )
    return Path(child.stdout.strip())


def agent_pid(path: Path, dsn: str) -> int | None:
    """The agent's pid, from its answer to a hello; None while there is no agent answering."""
    from crisisctl.store.agent.wire import AgentGone, Channel

    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
    except OSError:
        connection.close()
        return None
    channel = Channel(connection)
    try:
        return int(channel.call("hello", dsn)["pid"])
    except AgentGone:
        return None
    finally:
        channel.close()


def wait_for_agent(ws: Workspace) -> int:
    path, deadline = socket_of(ws), time.monotonic() + 60
    while time.monotonic() < deadline:
        pid = agent_pid(path, ws.target)
        if pid is not None:
            return pid
        time.sleep(0.05)
    raise AssertionError("no agent came up within a minute")


def notes(ws: Workspace, incident: str) -> list[str]:
    events = json.loads(ok(ws, "timeline", incident, "--json").stdout)
    return [event["data"]["text"] for event in events if event["type"] == "note.added"]


def declared(ws: Workspace) -> str:
    """An incident declared by a first command, which also starts the agent; the agent's pid once it answers."""
    child = ok(ws, "declare", "base", "--input", "affected_customers=10", "--json")
    return str(json.loads(child.stdout)["id"])


@pytest.fixture
def ws(pg_workspace: Workspace) -> Workspace:
    return pg_workspace


def test_commands_go_through_the_agent_once_it_is_up_and_record_the_same(ws: Workspace) -> None:
    first = run(ws, "declare", "base", "--input", "affected_customers=10", "--json")
    assert first.returncode == 0 and not through_agent(first), first.stderr  # no agent yet: it goes alone
    incident = json.loads(first.stdout)["id"]
    wait_for_agent(ws)
    note = ok(ws, "note", incident, "through the agent")
    assert through_agent(note), note.stderr
    shown = ok(ws, "show", incident, "--json")
    assert through_agent(shown) and json.loads(shown.stdout)["id"] == incident
    events = json.loads(ok(ws, "timeline", incident, "--json").stdout)
    assert events[-1]["data"]["text"] == "through the agent"
    assert events[-1]["data"]["db_user"] == events[0]["data"]["db_user"] != ""  # the same sign-in either way
    verified = run(ws, "verify", "--json")  # rare and long: it connects by itself
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] and not through_agent(verified)


def test_without_the_agent_no_process_is_started(ws: Workspace) -> None:
    incident = declared(ws)
    pid = wait_for_agent(ws)
    os.kill(pid, signal.SIGKILL)
    child = run(ws, "note", incident, "alone", CRISISCTL_AGENT="off")
    assert child.returncode == 0 and not through_agent(child)
    time.sleep(0.5)
    assert agent_pid(socket_of(ws), ws.target) is None
    assert notes(ws, incident) == ["alone"]


def test_an_agent_killed_between_commands_costs_nothing(ws: Workspace) -> None:
    incident = declared(ws)
    os.kill(wait_for_agent(ws), signal.SIGKILL)
    after = ok(ws, "note", incident, "after the agent died")
    assert not through_agent(after)  # a dead agent's socket refuses: the command goes alone, and starts one
    wait_for_agent(ws)
    assert through_agent(ok(ws, "note", incident, "through the new agent"))
    assert notes(ws, incident) == ["after the agent died", "through the new agent"]


def _hold(dsn: str, lock: int) -> object:
    import psycopg

    holder = psycopg.connect(dsn, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (lock,))
    return holder


def _wait_until(holder: object, query: str) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = holder.execute(query).fetchone()  # type: ignore[attr-defined]
        if row:
            return int(row[0])
        time.sleep(0.02)
    raise AssertionError(f"nothing came to {query}")


def test_an_agent_killed_before_the_write_began_lets_the_command_record_alone(ws: Workspace) -> None:
    from crisisctl.store.postgres.connection import APPEND_LOCK

    incident = declared(ws)
    pid = wait_for_agent(ws)
    holder = _hold(ws.target, APPEND_LOCK)  # the agent's `begin` waits for the append lock
    try:
        child = subprocess.Popen(
            [sys.executable, "-P", "-c", _RUN, *ws.args(), "note", incident, "recorded once"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ws.root, env=subprocess_env(),
        )  # fmt: skip
        _wait_until(holder, "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        os.kill(pid, signal.SIGKILL)
        # the dead agent's server process still waits (the server notices a gone client only when it reads);
        # the command, told its agent is gone before the write began, now waits beside it on its own connection
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' HAVING count(*) = 2"
        _wait_until(holder, waiting)
    finally:
        holder.close()  # type: ignore[attr-defined]
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert notes(ws, incident) == ["recorded once"]


# A deferred trigger that waits inside COMMIT for a lock the test holds (as in test_client_ids.py).
_WAIT_IN_COMMIT = """
CREATE FUNCTION test_wait_in_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER test_wait_in_commit AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION test_wait_in_commit();
"""


def test_an_agent_killed_inside_commit_leaves_the_command_to_settle_what_happened(ws: Workspace) -> None:
    import psycopg

    incident = declared(ws)
    with psycopg.connect(ws.target, autocommit=True) as owner:
        owner.execute(_WAIT_IN_COMMIT)
    pid = wait_for_agent(ws)
    holder = _hold(ws.target, 4242)
    try:
        child = subprocess.Popen(
            [sys.executable, "-P", "-c", _RUN, *ws.args(), "note", incident, "committed as the agent died"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ws.root, env=subprocess_env(),
        )  # fmt: skip
        _wait_until(holder, "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query = 'COMMIT'")
        os.kill(pid, signal.SIGKILL)
    finally:
        holder.close()  # type: ignore[attr-defined]  # the orphaned COMMIT goes through once the lock is free
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert "it was recorded (the acknowledgement was lost" in err
    assert notes(ws, incident) == ["committed as the agent died"]


def test_connections_the_server_ended_between_commands_are_replaced(ws: Workspace) -> None:
    import psycopg

    incident = declared(ws)
    pid = wait_for_agent(ws)
    assert through_agent(ok(ws, "note", incident, "one"))  # its connection now waits in the agent's pool
    with psycopg.connect(ws.target, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'crisisctl'"
        ).fetchone()
    assert ended and ended[0] >= 1
    after = ok(ws, "note", incident, "two")
    assert through_agent(after) and wait_for_agent(ws) == pid
    assert notes(ws, incident) == ["one", "two"]


def test_a_folder_others_may_enter_is_not_used(ws: Workspace) -> None:
    folder = Path(os.environ["XDG_RUNTIME_DIR"], "crisisctl")
    folder.mkdir(mode=0o700)
    folder.chmod(0o755)
    incident = declared(ws)
    time.sleep(0.5)
    assert list(folder.iterdir()) == []  # no agent started, no socket made
    assert not through_agent(ok(ws, "note", incident, "alone"))


@pytest.mark.slow
def test_the_agent_ends_when_idle_and_takes_its_socket_along(ws: Workspace) -> None:
    declared(ws)
    path = socket_of(ws)
    pid = wait_for_agent(ws)  # CRISISCTL_AGENT_IDLE is 3 s in the tests
    deadline = time.monotonic() + 60
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not path.exists()
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)


# --------------------------------------------------------------------------- the same faults, through the agent


def _password(dsn: str) -> str:
    return dsn.split("://", 1)[1].split("@", 1)[0].partition(":")[2]


def test_a_wrong_password_through_the_agent_is_the_same_clean_error(ws: Workspace) -> None:
    declared(ws)
    wait_for_agent(ws)
    secret = _password(ws.target)
    ws.target = ws.target.replace(f":{secret}@", ":wrong-password@")
    child = run(ws, "incidents")
    assert child.returncode == 4 and "authentication failed" in child.stderr and through_agent(child)
    assert "wrong-password" not in child.stdout + child.stderr and "Traceback" not in child.stderr


def test_a_server_down_through_the_agent_is_the_same_clean_error(ws: Workspace) -> None:
    declared(ws)
    wait_for_agent(ws)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = _password(ws.target)
    ws.target = f"postgresql://postgres:{secret}@127.0.0.1:{port}/nowhere"
    child = run(ws, "note", "INC-1", "hello")
    assert child.returncode == 4 and "cannot reach the log" in child.stderr and through_agent(child)
    assert secret not in child.stdout + child.stderr


@pytest.mark.parametrize("fault", ["terminated", "statement timeout"])
def test_a_write_cut_short_in_the_agent_records_nothing_and_the_next_works(ws: Workspace, fault: str) -> None:
    from crisisctl.store.postgres.connection import APPEND_LOCK

    incident = declared(ws)
    wait_for_agent(ws)
    target = ws.target + ("?options=-c%20statement_timeout%3D300" if fault == "statement timeout" else "")
    holder = _hold(ws.target, APPEND_LOCK)
    try:
        child = subprocess.Popen(
            [sys.executable, "-P", "-c", _RUN, "--db", target, "--playbooks", str(ws.playbooks), "note", incident, "x"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ws.root, env=subprocess_env(),
        )  # fmt: skip
        if fault == "terminated":
            waiting = (
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'crisisctl' AND wait_event_type = 'Lock'"
            )
            pid = _wait_until(holder, waiting)
            holder.execute("SELECT pg_terminate_backend(%s)", (pid,))  # type: ignore[attr-defined]
        _, err = child.communicate(timeout=60)
    finally:
        holder.close()  # type: ignore[attr-defined]
    expected = "was lost" if fault == "terminated" else "statement timeout"
    assert child.returncode == 4 and expected in err and through_agent(err)
    assert notes(ws, incident) == []
    assert through_agent(ok(ws, "note", incident, "the next run works"))
    assert notes(ws, incident) == ["the next run works"]


def test_the_agent_never_loads_modules_from_the_working_folder(ws: Workspace) -> None:
    """A command run inside an untrusted clone must not have its agent import what the clone plants."""
    marker = ws.root / "planted-module-ran"
    (ws.root / "fcntl.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise ImportError('planted')\n")
    incident = declared(ws)  # starts the agent from this folder (fcntl is imported by the agent alone)
    wait_for_agent(ws)
    assert through_agent(ok(ws, "note", incident, "through an agent that ignored the planted module"))
    assert not marker.exists()


def test_a_read_through_the_agent_loads_neither_psycopg_nor_openssl(ws: Workspace) -> None:
    """The agent's socket is named with hashlib's own BLAKE2 and a read trusts the chain, so a read command on a
    team log does not import hashlib, which loads OpenSSL (about 2 ms of every command)."""
    incident = declared(ws)
    wait_for_agent(ws)
    probe = (
        "import sys\nfrom crisisctl.entry import main\ncode = main(sys.argv[1:])\n"
        "print(sorted({'hashlib', '_hashlib', 'psycopg'} & set(sys.modules)), file=sys.stderr)\nsys.exit(code)"
    )
    child = subprocess.run(
        [sys.executable, "-P", "-c", probe, *ws.args(), "show", incident],
        capture_output=True, text=True, cwd=ws.root, env=unmeasured_env(), timeout=60,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    assert incident in child.stdout
    assert child.stderr.strip().splitlines()[-1] == "[]"


_NAME = (
    "import sys\n"
    "if sys.argv[2] == 'without-blake2':\n"
    "    sys.modules['_blake2'] = None  # as on a Python built without it\n"
    "from pathlib import Path\n"
    "from crisisctl.store.agent import place\n"
    "print(place.socket_path(Path(sys.argv[1])).name)\n"
)


def socket_name(folder: Path, key: bytes, build: str = "with-blake2") -> str:
    """The name a command in `folder`'s parent would give its agent's socket under `key`, in a new process."""
    (folder / "key").write_bytes(key)
    child = subprocess.run(
        [sys.executable, "-c", _NAME, str(folder), build],
        capture_output=True, text=True, cwd=folder.parent, env=subprocess_env(), check=True, timeout=60,
    )  # fmt: skip
    return child.stdout.strip()


def test_the_socket_name_is_a_mac_under_the_users_key(tmp_path: Path) -> None:
    """Other users can list socket names (/proc/net/unix) but not read the key: without it, a name tells them
    nothing of the environment it stands for (which may hold PGPASSWORD)."""
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    first, second = bytes(range(32)), bytes(range(1, 33))
    name = socket_name(folder, first)
    assert re.fullmatch(r"agent-[0-9a-f]{24}\.sock", name), name
    assert socket_name(folder, first) == name  # the same environment finds the same agent
    assert socket_name(folder, second) != name


def test_a_python_without_blake2_still_names_its_agent(tmp_path: Path) -> None:
    """BLAKE2b comes from `_blake2`, which spares a command OpenSSL; without it, HMAC-SHA256 names the agent."""
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    key = bytes(range(32))
    name = socket_name(folder, key, "without-blake2")
    assert re.fullmatch(r"agent-[0-9a-f]{24}\.sock", name), name
    assert name != socket_name(folder, key)
    assert socket_name(folder, bytes(range(1, 33)), "without-blake2") != name
