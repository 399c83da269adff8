"""`crisisctl run` in a real terminal: declare, act, leave with Ctrl-C, resume, approve and send, resolve."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, Workspace, in_terminal, subprocess_env, wait_for_exit


def test_run_without_a_terminal_names_the_commands_to_use(workspace: Workspace) -> None:
    code, _, err = workspace.run("run", "base")
    assert code == 2
    assert "needs a terminal" in err and "declare" in err


class Terminal:
    """One program in a tmux pane, typed at and read like a person would."""

    def __init__(self, command: list[str], status_file: Path) -> None:
        self.session = f"crisisctl-run-{time.monotonic_ns()}"
        self.status_file = status_file
        command = in_terminal(command, status_file)
        self.tmux = ["tmux", "-L", self.session]
        env = subprocess_env(COLUMNS="120", LINES="50")
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", self.session, "-x", "120", "-y", "50", *command],
            check=True,
            env=env,
        )
        subprocess.run([*self.tmux, "set-option", "-t", self.session, "remain-on-exit", "on"], check=True)
        self.seen = 0

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-S", "-400", "-t", self.session], capture_output=True, text=True
        ).stdout

    def wait_for(self, text: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen()[self.seen :]:
            assert time.monotonic() < deadline, f"waited for {text!r}:\n{self.screen()}"
            time.sleep(0.1)
        self.seen = self.screen().rindex(text)

    def type(self, text: str) -> None:
        if text:
            subprocess.run([*self.tmux, "send-keys", "-t", self.session, "-l", text], check=True)
        subprocess.run([*self.tmux, "send-keys", "-t", self.session, "Enter"], check=True)

    def key(self, key: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.session, key], check=True)

    def pick(self, shortcut: str) -> None:
        self.key(shortcut)
        time.sleep(0.2)
        self.key("Enter")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_a_newcomer_runs_an_incident_to_resolution_with_run_alone(workspace: Workspace) -> None:
    me = getpass.getuser()
    args = ["--db", str(workspace.db), "--playbooks", str(REPO / "playbooks"), "--templates", str(REPO / "templates")]
    first = Terminal([sys.executable, "-m", "crisisctl", *args, "run", "service-outage"], workspace.root / "1.status")
    try:
        first.wait_for("Which service is affected")
        first.type("online checkout")
        first.wait_for("customers cannot")
        first.type("pay for orders")
        first.wait_for("A short title")
        first.type("")
        first.wait_for("Severity")
        first.pick("2")
        for role in ("incident-lead", "tech-lead", "comms-lead", "cs-lead", "scribe"):
            first.wait_for(f"({role})?")
            first.type(me if role in ("incident-lead", "tech-lead", "comms-lead") else "")
        first.wait_for("What now?")
        first.pick("2")  # Mark a step done
        first.wait_for("Which step?")
        first.pick("1")  # confirm-impact
        first.wait_for("A note for the record")
        first.type("checkout error rate 40%")
        first.wait_for("confirm-impact done")
        first.wait_for("What now?")
        first.key("C-c")
        assert wait_for_exit(first.status_file) == "130"
    finally:
        first.close()
    workspace.playbooks = REPO / "playbooks"
    steps = {step["id"]: step["status"] for step in workspace.json("show", "INC-1")["steps"]}  # type: ignore[index]
    assert steps["confirm-impact"] == "done"

    # A scribe drafts the notice in a terminal of their own: its approver must be someone else (four eyes).
    scribe = Terminal(
        [sys.executable, "-m", "crisisctl", *args, "--as", "sam", "run", "INC-1"], workspace.root / "2.status"
    )
    try:
        scribe.wait_for("What now?")
        scribe.pick("8")  # Draft a notice
        scribe.wait_for("Which notice?")
        scribe.pick("1")  # status-update
        scribe.wait_for("draft of status-update saved")
        scribe.wait_for("What now?")
        scribe.pick("c")  # Leave
        scribe.wait_for("resume with: crisisctl run INC-1")
    finally:
        scribe.close()

    second = Terminal([sys.executable, "-m", "crisisctl", *args, "run", "INC-1"], workspace.root / "3.status")
    try:
        second.wait_for("What now?")
        second.pick("9")  # Approve a notice
        second.wait_for("Which notice?")
        second.pick("1")
        second.wait_for("Approve as which role?")
        second.pick("1")  # comms-lead
        second.wait_for("drafted by sam")  # the text is shown with its digest before the question
        second.key("y")  # a yes/no question takes the key alone
        second.wait_for("status-update approved as comms-lead")
        second.wait_for("What now?")
        second.pick("0")  # Send a notice
        second.wait_for("Which notice?")
        second.pick("1")
        second.wait_for("status-update sent")
        second.wait_for("What now?")
        second.pick("a")  # Resolve
        second.wait_for("Summary of what was done")
        second.type("rolled back the release")
        second.wait_for("INC-1 resolved")
        second.wait_for("What now?")
        second.pick("c")  # Leave
        second.wait_for("resume with: crisisctl run INC-1")
    finally:
        second.close()
    detail = workspace.json("show", "INC-1")
    assert isinstance(detail, dict)
    assert detail["status"] == "resolved"
    sent = {c["locale"]: c["status"] for c in detail["communications"] if c["id"] == "status-update"}
    assert sent == {"en": "sent", "zh": "pending"}  # the Chinese version is its own notice, not drafted here
    assert workspace.json("verify")["ok"] is True  # type: ignore[index]


def test_postmortem_interactive_without_a_terminal_names_the_note_to_write(workspace: Workspace) -> None:
    workspace.ok("declare", "base", "--input", "affected_customers=1")
    code, _, err = workspace.run("postmortem", "INC-1", "--interactive")
    assert code == 2 and "lesson:" in err


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_postmortem_asks_for_lessons_and_actions_at_a_terminal(workspace: Workspace) -> None:
    workspace.ok("declare", "base", "--input", "affected_customers=1")
    report = workspace.root / "pm.md"
    command = [
        sys.executable,
        "-m",
        "crisisctl",
        *workspace.args(),
        "postmortem",
        "INC-1",
        "--interactive",
        "-o",
        str(report),
    ]
    terminal = Terminal(command, workspace.root / "pm.status")
    try:
        terminal.wait_for("A lesson learned")
        terminal.type("Page the on-call lead by phone, not only by chat")
        terminal.wait_for("A lesson learned")
        terminal.type("")
        terminal.wait_for("An action item")
        terminal.type("Add a phone bridge to the outage playbook (owner: alice)")
        terminal.wait_for("An action item")
        terminal.type("")
        assert wait_for_exit(terminal.status_file) == "0"
    finally:
        terminal.close()
    text = report.read_text(encoding="utf-8")
    assert "Page the on-call lead by phone, not only by chat" in text
    assert "Add a phone bridge to the outage playbook (owner: alice)" in text
    notes = [event["data"]["text"] for event in workspace.json("timeline", "INC-1") if event["type"] == "note.added"]  # type: ignore[index, union-attr]
    assert notes == [
        "lesson: Page the on-call lead by phone, not only by chat",
        "action: Add a phone bridge to the outage playbook (owner: alice)",
    ]


def test_postmortem_interactive_on_a_closed_incident_is_refused_without_a_terminal(workspace: Workspace) -> None:
    workspace.ok("declare", "base", "--input", "affected_customers=1")
    workspace.ok("resolve", "INC-1")
    workspace.ok("close", "INC-1", "--force")
    code, out, err = workspace.run("postmortem", "INC-1", "--interactive")
    assert code == 1 and out == ""
    assert "INC-1 is closed" in err and "crisisctl action add INC-1" in err and "Traceback" not in err


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_postmortem_interactive_refuses_a_closed_incident_before_asking_anything(workspace: Workspace) -> None:
    workspace.ok("declare", "base", "--input", "affected_customers=1")
    workspace.ok("resolve", "INC-1")
    workspace.ok("close", "INC-1", "--force")
    events = len(workspace.json("timeline", "INC-1"))
    report = workspace.root / "pm.md"
    command = [sys.executable, "-m", "crisisctl", *workspace.args(), "postmortem", "INC-1", "--interactive"]
    terminal = Terminal([*command, "-o", str(report)], workspace.root / "pm.status")
    try:
        assert wait_for_exit(terminal.status_file) == "1"  # it ended on its own: no question waits for an answer
        terminal.wait_for("INC-1 is closed")
        assert "A lesson learned" not in terminal.screen() and "Traceback" not in terminal.screen()
    finally:
        terminal.close()
    assert not report.exists()
    assert len(workspace.json("timeline", "INC-1")) == events
