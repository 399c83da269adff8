"""Crash reports: no free text from the command line, created private in a private folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import Workspace, declare, subprocess_env

# Every piece of free text carries this mark, so one search finds any that leaked.
MARK = "Zq9secret"

# Each command line puts free text in another position; the words that must stay are listed.
COMMAND_LINES = [
    (["note", "INC-1", f"customer {MARK} called"], ["note", "INC-1"]),
    (["note", "INC-1", "--", f"-{MARK} starts with a dash"], ["note", "INC-1", "--"]),
    (["note", "INC-1", f"{MARK}-one-word"], ["note", "INC-1"]),
    (
        [f"--as={MARK}", "declare", "base", "--title", f"Breach at {MARK}", f"--input=affected_customers={MARK}"],
        ["--as=<redacted>", "declare", "base", "--title", "--input=<redacted>"],
    ),
    (["declare", "base", "--assign", f"incident-lead={MARK}", "--at", "-5m"], ["--assign", "--at", "-5m"]),
    (["--as", MARK, "assign", "INC-1", "comms-lead", MARK], ["assign", "INC-1", "comms-lead"]),
    (["resolve", "INC-1", "--summary", f"{MARK} refunded"], ["resolve", "INC-1", "--summary"]),
    (["step", "skip", "INC-1", "notify", f"--note={MARK}"], ["step", "skip", "INC-1", "notify", "--note=<redacted>"]),
    (["severity", "INC-1", "sev2", "--note", MARK], ["severity", "INC-1", "sev2", "--note"]),
    (["comms", "draft", "INC-1", "customer-notice", "-o", f"{MARK}.md"], ["comms", "draft", "customer-notice", "-o"]),
    (["export", "INC-1", "--format", "csv", f"-o{MARK}.csv"], ["export", "--format", "csv"]),
]

# Every command that touches an incident goes through AppContext.service or AppContext.log;
# declare finds its playbook (templates checked) through AppContext.playbook_folder before it reads any value.
CRASHING = textwrap.dedent(
    """
    import sys
    from crisisctl.cli.context import AppContext
    def broken(self, *args, **kwargs):
        raise RuntimeError("simulated defect")
    AppContext.service = broken
    AppContext.log = property(broken)
    AppContext.playbook_folder = broken
    from crisisctl.entry import main
    sys.exit(main(sys.argv[1:]))
    """
)


def crash(ws: Workspace, *args: str) -> Path:
    """Run a command that fails with an unexpected error; the crash report it names."""
    result = subprocess.run(
        [sys.executable, "-c", CRASHING, *ws.args(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(TMPDIR=str(ws.root)),  # a fallback folder lands here, not in /tmp
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and MARK not in result.stderr
    return Path(result.stderr.strip().rsplit(" ", 1)[-1])


@pytest.mark.parametrize(("args", "kept"), COMMAND_LINES)
def test_crash_reports_keep_no_free_text(workspace: Workspace, args: list[str], kept: list[str]) -> None:
    declare(workspace)
    body = crash(workspace, *args).read_text(encoding="utf-8")
    assert "simulated defect" in body
    command = next(line for line in body.splitlines() if line.startswith("command: "))
    assert MARK not in body, command
    assert str(workspace.root) not in command  # paths may name a customer too
    for word in kept:
        assert f" {word}" in command, command


def test_crash_reports_are_private_files_in_a_private_folder(workspace: Workspace, isolated_home: Path) -> None:
    report = crash(workspace, "note", "INC-1", "text")
    folder = isolated_home / "xdg_cache_home" / "crisisctl" / "crashes"
    assert report.parent == folder
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize("kind", ["open to others", "a symlink"])
def test_a_crash_folder_others_could_reach_is_not_used(
    workspace: Workspace, isolated_home: Path, tmp_path: Path, kind: str
) -> None:
    folder = isolated_home / "xdg_cache_home" / "crisisctl" / "crashes"
    folder.parent.mkdir(parents=True)
    if kind == "a symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        folder.symlink_to(elsewhere)
    else:
        folder.mkdir()
        folder.chmod(0o755)
    report = crash(workspace, "note", "INC-1", "text")
    assert report.parent != folder and folder.resolve() not in report.resolve().parents
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
    assert report.parent.stat().st_uid == os.getuid()
    assert not any(folder.iterdir())


def test_without_the_command_definitions_only_command_and_option_names_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import typer

    from crisisctl.cli.crash import redact_command_line

    def broken(*args: object) -> None:
        raise RuntimeError("the crash was in building the commands")

    monkeypatch.setattr(typer.main, "get_command", broken)
    args = ["--as", MARK, "note", "INC-1", MARK, f"--summary={MARK}", "--json"]
    assert redact_command_line(args) == [
        "--as",
        "<redacted>",
        "note",
        "<redacted>",
        "<redacted>",
        "--summary=<redacted>",
        "--json",
    ]
