"""`watch` in a real terminal shows what another process records, within two seconds."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
from conftest import Workspace, in_terminal, subprocess_env, wait_for_exit

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


def screen(tmux: list[str], session: str) -> str:
    return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def test_watch_follows_another_process_and_leaves_on_ctrl_c(workspace: Workspace) -> None:
    workspace.ok("declare", "base", "--input", "affected_customers=12", "--assign", "incident-lead=alice")
    session = f"crisisctl-watch-{time.monotonic_ns()}"
    tmux = ["tmux", "-L", session]
    command = [sys.executable, "-m", "crisisctl", *workspace.args(), "watch", "INC-1"]
    env = subprocess_env(COLUMNS="110", LINES="40")
    status_file = workspace.root / "watch.status"
    window = ["-x", "110", "-y", "40", *in_terminal(command, status_file)]
    subprocess.run([*tmux, "new-session", "-d", "-s", session, *window], check=True, env=env)
    subprocess.run([*tmux, "set-option", "-t", session, "remain-on-exit", "on"], check=True)
    try:
        for _ in range(40):
            time.sleep(0.25)
            if "crisisctl watch" in screen(tmux, session):
                break
        assert "assess" in screen(tmux, session)
        recorder = subprocess.run(
            [sys.executable, "-m", "crisisctl", *workspace.args(), "note", "INC-1", "vendor confirms the fault"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert recorder.returncode == 0, recorder.stderr
        recorded = time.monotonic()
        while "vendor confirms the fault" not in screen(tmux, session):
            assert time.monotonic() - recorded < 2.0, screen(tmux, session)
            time.sleep(0.1)
        subprocess.run([*tmux, "send-keys", "-t", session, "C-c"], check=True)
        assert wait_for_exit(status_file) == "130"
        final = screen(tmux, session)
        assert "stopped watching INC-1" in final, final
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    assert workspace.json("verify")["ok"] is True  # type: ignore[index]
