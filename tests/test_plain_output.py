"""Output read through a pipe: whole ids, columns aligned as a terminal shows them, drills apart, `| head` is fine;
and incident ids and notes as people type them."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time

import pytest
from conftest import REPO, Workspace, crisisctl, declare, event_count, in_terminal, subprocess_env, wait_for_exit
from rich.cells import cell_len

LONG_PLAYBOOK = "customer-notification-for-long-identifiers-in-production-xy"
LONG_TRIGGER = "very-long-trigger-identifier-for-checking-column-cuts-in-pipes"
LONG_NOTICE = "customer-notice-with-a-very-long-communication-identifier-abc"
CHINESE_TITLE = "华东区数据中心断电导致订单系统全面中断"


def add_long_playbook(ws: Workspace) -> None:
    """The corpus playbook with ids near the 63-character limit, a Chinese title and a trigger."""
    text = (REPO / "tests" / "corpus" / "base-playbook.yaml").read_text(encoding="utf-8")
    text = (
        text.replace("id: base", f"id: {LONG_PLAYBOOK}", 1)
        .replace("title: Base playbook for the defect corpus", f"title: {CHINESE_TITLE}")
        .replace("customer-notice", LONG_NOTICE)
        .replace(
            "steps:",
            f"triggers:\n  - id: {LONG_TRIGGER}\n    description: 客户受影响\n"
            '    when: { metric: affected_customers, op: ">=", value: 1 }\n    severity: sev1\nsteps:',
        )
    )
    (ws.playbooks / "long.yaml").write_text(text, encoding="utf-8")


def piped(ws: Workspace, *args: str) -> list[str]:
    """The command's standard output through a pipe, on an 80-column setting: its lines."""
    result = crisisctl(*ws.args(), *args, cwd=ws.root, COLUMNS="80")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout and "━" not in result.stdout and "…" not in result.stdout.split("\n")[0]
    return result.stdout.splitlines()


def text_at(line: str, column: int) -> str:
    """The line from a display column (in terminal cells) on: a Chinese character takes two cells."""
    for index in range(len(line) + 1):
        if cell_len(line[:index]) >= column:
            return line[index:]
    return ""


def assert_column(lines: list[str], header: str, cells: list[str]) -> None:
    """Under the header, row after row, each of these cells starts exactly where the header does."""
    start = cell_len(lines[0][: lines[0].index(header)])
    assert [text_at(line, start)[: len(cell)] for line, cell in zip(lines[1:], cells, strict=True)] == cells, "\n".join(
        lines
    )


def test_playbook_list_in_a_pipe_keeps_ids_whole_and_aligns_chinese_titles(workspace: Workspace) -> None:
    add_long_playbook(workspace)
    lines = piped(workspace, "playbook", "list")
    assert lines[0].split() == ["id", "version", "category", "title", "note"]
    assert any(line.startswith(LONG_PLAYBOOK + " ") for line in lines)
    assert_column(lines, "version", ["1.0.0", "1.0.0"])
    assert_column(lines, "title", ["Base playbook", CHINESE_TITLE])
    assert all(line == line.rstrip() for line in lines)  # the last column is not padded


def test_check_in_a_pipe_keeps_playbook_and_trigger_ids_whole(workspace: Workspace) -> None:
    add_long_playbook(workspace)
    signals = workspace.root / "signals.yaml"
    signals.write_text("affected_customers: 5\n", encoding="utf-8")
    lines = piped(workspace, "check", str(signals))
    assert lines[0].split() == ["playbook", "trigger", "severity", "fired", "on", "why"]
    (match,) = lines[1:]
    assert match.split()[:3] == [LONG_PLAYBOOK, LONG_TRIGGER, "sev1"]
    assert match.endswith("affected_customers 5 >= 1  客户受影响")
    assert_column(lines, "why", ["客户受影响"])


def test_comms_list_in_a_pipe_keeps_notice_ids_whole(workspace: Workspace) -> None:
    add_long_playbook(workspace)
    workspace.ok("declare", LONG_PLAYBOOK, "--input", "affected_customers=3", "--title", CHINESE_TITLE)
    lines = piped(workspace, "comms", "list", "INC-1")
    assert lines[0].split() == ["communication", "locale", "audience", "status", "due", "approvals"]
    (row,) = lines[1:]
    assert row.split()[:4] == [LONG_NOTICE, "-", "customers", "pending"]
    assert_column(lines, "approvals", ["… incident-lead"])


def test_incidents_in_a_pipe_align_chinese_titles_by_display_width(workspace: Workspace) -> None:
    add_long_playbook(workspace)
    workspace.ok("declare", LONG_PLAYBOOK, "--input", "affected_customers=3", "--title", CHINESE_TITLE)
    workspace.ok("declare", "base", "--input", "affected_customers=3", "--title", "Checkout down")
    lines = piped(workspace, "incidents")
    assert_column(lines, "title", ["Checkout down", CHINESE_TITLE])
    assert_column(lines, "declared", ["20", "20"])  # after a title of eighteen two-cell characters
    assert [line.split()[3] for line in lines[1:]] == ["base", LONG_PLAYBOOK]


def narrow_terminal_screen(ws: Workspace, *args: str) -> list[str]:
    """The command run in a 60-column tmux pane: the screen's lines once it has ended."""
    session = f"crisisctl-narrow-{time.monotonic_ns()}"
    tmux = ["tmux", "-L", session]
    status = ws.root / f"{session}.status"
    command = in_terminal([sys.executable, "-m", "crisisctl", *ws.args(), *args], status)
    env = subprocess_env(COLUMNS="60", LINES="40")
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "60", "-y", "40", *command], check=True, env=env)
    try:
        subprocess.run([*tmux, "set-option", "-t", session, "remain-on-exit", "on"], capture_output=True)
        assert wait_for_exit(status) == "0"
        screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    return screen.splitlines()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_a_narrow_terminal_folds_long_ids_and_titles_instead_of_cutting_them(workspace: Workspace) -> None:
    add_long_playbook(workspace)
    screen = narrow_terminal_screen(workspace, "playbook", "list")
    rows = [line.split("│") for line in screen if "│" in line]
    assert "".join(row[0].strip() for row in rows) == "base" + LONG_PLAYBOOK
    titles = "".join(row[3] for row in rows).replace(" ", "")
    assert titles == "Baseplaybookforthedefectcorpus" + CHINESE_TITLE
    assert "…" not in "\n".join(screen)


def test_incidents_lists_drills_only_when_asked(workspace: Workspace) -> None:
    live = declare(workspace, "--title", "live one")
    drill = declare(workspace, "--drill", "--title", "rehearsal")
    assert [row["id"] for row in workspace.json("incidents")] == [live]
    assert [row["id"] for row in workspace.json("incidents", "--live")] == [live]
    for flag in ("--drill", "--drills"):
        assert [row["id"] for row in workspace.json("incidents", flag)] == [drill]
    code, out, err = workspace.run("incidents")
    assert code == 0 and "rehearsal" not in out and "live one" in out
    assert "1 drill incident not listed" in err and "incidents --drill" in err
    code, _, err = workspace.run("incidents", "--drill")
    assert code == 0 and err == "", err  # the live incident is not a drill left out
    code, out, _ = workspace.run("incidents", "--drill")
    assert code == 0 and "rehearsal" in out and "live one" not in out
    code, _, err = workspace.run("incidents", "--drill", "--live")
    assert code == 2 and "exclude each other" in err


@pytest.mark.parametrize("command", ["show", "timeline"])
def test_show_and_timeline_piped_into_head_exit_0(workspace: Workspace, command: str) -> None:
    declare(workspace)
    for index in range(30):  # far more output than a pipe holds, so crisisctl is still writing when head leaves
        workspace.ok("note", "INC-1", f"{index} " + "x" * 5_000)
    line = shlex.join([sys.executable, "-m", "crisisctl", *workspace.args(), command, "INC-1"])
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {line} | head -1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr  # pipefail: crisisctl's own status, not head's
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("typed", ["INC2", "inc2", "Inc-2", "inc-2", " 2 ", "INC_2", "inc_2"])
def test_an_incident_id_is_read_the_same_way_by_every_command(workspace: Workspace, typed: str) -> None:
    declare(workspace)
    declare(workspace, "--drill")
    assert workspace.json("show", typed)["id"] == "INC-2"  # type: ignore[index]
    assert workspace.json("timeline", typed)[0]["data"]["drill"] is True  # type: ignore[index]
    assert "INC-2: note added" in workspace.ok("note", typed, "seen")
    assert workspace.json("comms", "list", typed)[0]["id"] == "customer-notice"  # type: ignore[index]
    assert workspace.json("verify", typed)["ok"] is True  # type: ignore[index]


def test_an_unknown_incident_is_reported_as_typed_with_the_closest_id(workspace: Workspace) -> None:
    declare(workspace)
    code, _, err = workspace.run("show", "inc9")
    assert code == 2 and "unknown incident `INC-9`" in err and "INC-1" in err
    code, _, err = workspace.run("show", "INC_9")
    assert code == 2 and "unknown incident `INC-9`" in err
    for typed in ("incx", "INC-x", "INC__2"):  # not an incident id: shown as typed, never as `INC-INC...`
        code, _, err = workspace.run("show", typed)
        assert code == 2 and f"unknown incident `{typed}`" in err


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\u3000", "\u200b", " \ufeff\u2060 "])
def test_a_blank_note_is_refused_and_records_nothing(workspace: Workspace, text: str) -> None:
    declare(workspace)
    code, out, err = workspace.run("note", "INC-1", text)
    assert code == 2 and out == ""
    assert "the note is empty" in err and "nothing was recorded" in err and "Traceback" not in err
    assert event_count(workspace, "INC-1") == 1


BOX_DRAWING = set("─━│┃┏┓┗┛┡┩╇╋┼╸╺")


def test_stats_piped_prints_plain_columns(workspace: Workspace) -> None:
    first = declare(workspace)
    workspace.ok("step", "start", first, "assess", "--at", "+5m")  # acknowledged after 5 minutes
    declare(workspace)
    lines = piped(workspace, "stats")
    assert not BOX_DRAWING & set("".join(lines)), "\n".join(lines)
    assert lines[0] == "2 live incidents, 0 resolved"
    by_playbook = lines[lines.index("By playbook (median)") + 1 :][:2]
    assert by_playbook[0].split() == [
        "playbook",
        "incidents",
        "acknowledge",
        "first",
        "notice",
        "resolve",
        "on",
        "time",
    ]
    assert_column(by_playbook, "incidents", ["2"])
    assert_column(by_playbook, "acknowledge", ["5m"])


def test_readiness_piped_prints_plain_columns(workspace: Workspace) -> None:
    result = crisisctl(*workspace.args(), "readiness", cwd=workspace.root, COLUMNS="80")
    assert result.returncode == 1, result.stderr  # no roster
    lines = result.stdout.splitlines()
    assert not BOX_DRAWING & set(result.stdout) and "\x1b[" not in result.stdout, result.stdout
    assert lines[0].split() == ["playbook", "finding", "what", "to", "do"]
    assert lines[1].startswith("base      no roster: ") and "[no-roster]  list the team in people.yaml" in lines[1]
    assert_column(lines[:2], "what to do", ["list the team"])
    assert lines[-1] == "0 ready, 1 not ready"
