"""Standard output that fails (full, closed pipe) or cannot encode: a clean exit, never 120 or a crash."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import IO, Any

import pytest
from conftest import Workspace, declare, event_count, subprocess_env

CHINESE = "客户数据已泄露"
# Neither GBK nor Latin-1 has the emoji; Latin-1 has no Chinese; plain ASCII has none of them.
NOTE = f"{CHINESE} café 😀"


def start(ws: Workspace, *args: str, stdout: int | IO[Any], **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "crisisctl", *ws.args(), *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=subprocess_env(**env),
    )


def to_dev_full(ws: Workspace, *args: str) -> tuple[int, str]:
    """Run with standard output on /dev/full, where every write fails with ENOSPC."""
    with open("/dev/full", "w") as full:
        process = start(ws, *args, stdout=full)
        _, err = process.communicate(timeout=60)
    return process.returncode, err.decode()


def assert_one_message(err: str, *words: str) -> None:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert sum(line.startswith("crisisctl:") for line in err.splitlines()) == 1, err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("args", [("timeline", "INC-1"), ("show", "INC-1", "--json"), ("incidents",), ("--version",)])
def test_a_full_standard_output_fails_a_read_with_exit_4(workspace: Workspace, args: tuple[str, ...]) -> None:
    declare(workspace)
    code, err = to_dev_full(workspace, *args)
    assert code == 4, err
    assert_one_message(err, "could not write to standard output", "No space left on device")


def test_a_recorded_write_whose_confirmation_cannot_be_printed_says_not_to_retry(workspace: Workspace) -> None:
    declare(workspace)
    code, err = to_dev_full(workspace, "note", "INC-1", "the vendor called back")
    assert code == 0, err  # done: a failure status would invite a retry that records it twice
    assert_one_message(err, "recorded in the log", "do not run the command again")
    assert event_count(workspace, "INC-1") == 2


def test_a_refused_write_to_a_full_standard_output_keeps_its_own_answer(workspace: Workspace) -> None:
    declare(workspace)
    code, err = to_dev_full(workspace, "step", "done", "INC-1", "notify")
    assert code == 1, err
    assert "do not run the command again" not in err and "Traceback" not in err
    assert event_count(workspace, "INC-1") == 1


def test_a_reader_that_stops_after_one_line_is_not_an_error(workspace: Workspace) -> None:
    declare(workspace)
    for index in range(40):  # about 400 kB of timeline: far more than a pipe holds
        workspace.ok("note", "INC-1", f"{index} " + "x" * 10_000)
    process = start(workspace, "timeline", "INC-1", stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().startswith(b"seq")
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert err == b""


@pytest.mark.parametrize(
    "args", [("show", "INC-1"), ("timeline", "INC-1", "--json"), ("note", "INC-1", "noted"), ("--version",)]
)
def test_a_pipe_closed_before_any_output_is_not_an_error(workspace: Workspace, args: tuple[str, ...]) -> None:
    declare(workspace)
    process = start(workspace, *args, stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # no reader at all: every write fails with EPIPE
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert err == b""


@pytest.mark.parametrize(
    ("env", "encoding"),
    [
        ({"PYTHONIOENCODING": "gbk"}, "gbk"),
        ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
        ({"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}, "ascii"),
    ],
)
def test_a_terminal_that_is_not_utf8_gets_escapes_and_one_hint(
    workspace: Workspace, env: dict[str, str], encoding: str
) -> None:
    declare(workspace, "--title", NOTE)
    workspace.ok("note", "INC-1", NOTE)
    for args in (("timeline", "INC-1"), ("show", "INC-1")):
        process = start(workspace, *args, stdout=subprocess.PIPE, **env)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        shown = out.decode(encoding)
        assert "\\U0001f600" in shown
        assert (CHINESE in shown) == (encoding == "gbk")
        assert ("café" in shown) == (encoding != "ascii")
        assert_one_message(err.decode(), "cannot show some characters", "LC_ALL=C.UTF-8")


def test_the_c_locale_is_read_as_utf8(workspace: Workspace) -> None:
    declare(workspace)
    workspace.ok("note", "INC-1", NOTE)
    process = start(workspace, "timeline", "INC-1", stdout=subprocess.PIPE, LC_ALL="C", LANG="C")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and err == b""
    assert NOTE in out.decode("utf-8")


def test_the_hint_is_not_given_when_every_character_fits(workspace: Workspace) -> None:
    declare(workspace)
    process = start(workspace, "timeline", "INC-1", stdout=subprocess.PIPE, PYTHONIOENCODING="latin-1")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0 and err == b""


@pytest.mark.parametrize(
    ("args", "status"),
    [(("declare", "nope"), 2), (("show", "INC-99"), 2), (("incidents",), 0), (("stats",), 0)],
)
def test_the_exit_status_stays_when_standard_error_has_no_reader(
    workspace: Workspace, args: tuple[str, ...], status: int
) -> None:
    """An error's status (2), and a success's (0) whose note on standard error (a drill left out) is lost."""
    declare(workspace, "--drill")
    reader, writer = os.pipe()
    os.close(reader)  # the reader left before crisisctl writes: every write to standard error fails with EPIPE
    try:
        process = subprocess.run(
            [sys.executable, "-m", "crisisctl", *workspace.args(), *args],
            stdout=subprocess.DEVNULL,
            stderr=writer,
            stdin=subprocess.DEVNULL,
            env=subprocess_env(),
            timeout=60,
        )
    finally:
        os.close(writer)
    assert process.returncode == status


def test_an_error_piped_into_head_is_exit_2_every_time(workspace: Workspace) -> None:
    line = shlex.join([sys.executable, "-m", "crisisctl", *workspace.args(), "declare", "nope"])
    script = f'set -o pipefail; for i in $(seq 8); do {line} 2>&1 | head -c0; echo -n "${{PIPESTATUS[0]}} "; done'
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, env=subprocess_env())
    assert result.stdout.split() == ["2"] * 8, result.stderr
