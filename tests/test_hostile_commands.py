"""Odd arguments, paths and settings for incident commands (found by an adversarial sweep): each is
one clear message with a documented exit code, never exit 3, and a refused command records nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Workspace, declare, event_count

from crisisctl.errors import ExitCode

LONG_NAME = "a" * 300  # longer than any file system allows for one name


def refused(ws: Workspace, code: int, *args: str) -> str:
    found, _, err = ws.run(*args)
    assert found == code, err
    assert "internal error" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("9999-12-31T23:59:59-05:00", "is not a time"),  # past the calendar's end once in UTC
        ("0001-01-01T00:00:00+05:00", "is not a time"),  # before its start
        ("0001-01-01T00:00:00Z", "is before 1970"),  # a year the log could not write back
    ],
)
def test_times_outside_the_calendar_are_usage_errors(workspace: Workspace, at: str, message: str) -> None:
    incident = declare(workspace)
    before = event_count(workspace, incident)
    assert message in refused(workspace, ExitCode.USAGE, "note", incident, "x", "--at", at)
    assert event_count(workspace, incident) == before
    assert message in refused(
        workspace, ExitCode.USAGE, "declare", "base", "--input", "affected_customers=1", "--at", at
    )


@pytest.mark.parametrize("value", ["[NaN]", "[1e999]", "[Infinity]", "[" * 10_000])
def test_list_inputs_the_log_could_not_keep_are_refused(workspace: Workspace, tmp_path: Path, value: str) -> None:
    playbook = workspace.playbooks / "base.yaml"
    playbook.write_text(
        playbook.read_text(encoding="utf-8").replace("inputs:\n", "inputs:\n  - {id: regions, type: list}\n", 1),
        encoding="utf-8",
    )
    err = refused(
        workspace, ExitCode.USAGE, "declare", "base", "--input", "affected_customers=1", "--input", f"regions={value}"
    )
    assert "regions" in err
    assert workspace.json("incidents") == []


@pytest.mark.parametrize("speed", ["nan", "0.0001", "0", "3601"])
def test_drill_speeds_outside_the_range_are_refused(workspace: Workspace, speed: str) -> None:
    scenario = Path(__file__).parent.parent / "playbooks" / "scenarios" / "data-leak-exposed-order-exports.yaml"
    args = ("--playbooks", str(scenario.parent.parent), "drill", "start", "data-leak", "--scenario", str(scenario))
    assert "out of range" in refused(workspace, ExitCode.USAGE, *args, "--speed", speed)
    assert not workspace.db.exists() or workspace.json("incidents") == []


@pytest.mark.parametrize("target", ["folder", "", LONG_NAME])
def test_a_draft_that_cannot_be_written_is_not_recorded(workspace: Workspace, tmp_path: Path, target: str) -> None:
    incident = declare(workspace, "--assign", "incident-lead=lee")
    (tmp_path / "folder").mkdir()
    output = str(tmp_path / target) if target else ""
    before = event_count(workspace, incident)
    refused(workspace, ExitCode.USAGE, "comms", "draft", incident, "customer-notice", "-o", output)
    assert event_count(workspace, incident) == before


def test_outputs_and_logs_at_impossible_paths_are_usage_errors(workspace: Workspace, tmp_path: Path) -> None:
    incident = declare(workspace)
    (tmp_path / "folder").mkdir()
    refused(workspace, ExitCode.USAGE, "stats", "--html", str(tmp_path / "folder"))
    refused(workspace, ExitCode.USAGE, "stats", "--html", str(tmp_path / LONG_NAME))
    refused(workspace, ExitCode.USAGE, "export", incident, "--format", "json", "-o", str(tmp_path / LONG_NAME))
    refused(workspace, ExitCode.USAGE, "--db", str(tmp_path / LONG_NAME / "log.sqlite3"), "incidents")
    assert "--db is empty" in refused(workspace, ExitCode.USAGE, "--db", "", "incidents")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('port = "abc"', "port"),
        ("port = inf", "port"),
        ("timeout = nan", "timeout"),
        ("timeout = 0", "timeout"),
        (f'host = "{"x" * 64}.example.com"', "host"),
    ],
)
def test_odd_smtp_settings_are_refused_when_read(tmp_path: Path, line: str, message: str) -> None:
    from crisisctl.delivery.config import load_config
    from crisisctl.errors import UsageError

    config = tmp_path / "config.toml"
    settings = {"host": 'host = "smtp.example.com"', "port": "port = 587", "timeout": "timeout = 15"}
    settings[line.split(" ", 1)[0]] = line
    config.write_text("[smtp]\n" + "\n".join(settings.values()) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_config(config)


def test_a_failed_init_removes_the_files_it_had_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crisisctl.authoring.repository import init_repository
    from crisisctl.errors import UsageError

    real_write = Path.write_text
    written: list[Path] = []

    def write_until_the_disk_is_full(self: Path, text: str, **kwargs: object) -> int:
        if len(written) == 5:
            raise OSError(28, "No space left on device")
        written.append(self)
        return real_write(self, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", write_until_the_disk_is_full)
    target = tmp_path / "repo"
    with pytest.raises(UsageError, match="No space left"):
        init_repository(target)
    assert len(written) == 5
    assert not target.exists()


@pytest.mark.parametrize("playbook_id", ["1", "2026", "no"])
def test_a_new_playbook_with_a_numeric_or_boolean_looking_id_is_valid(workspace: Workspace, playbook_id: str) -> None:
    templates = workspace.root / "templates"
    workspace.ok("--templates", str(templates), "playbook", "new", "--category", "data-leak", "--id", playbook_id)
    playbook = workspace.playbooks / f"{playbook_id}.yaml"
    code, out, _ = workspace.run("--templates", str(templates), "playbook", "validate", str(playbook))
    assert code == 0, out


@pytest.mark.parametrize(
    "body",
    [
        "{{ ('x' * 100000).join(range(100000) | map('string')) }}",
        "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
        "{{ 'a' | center(10**9) }}",
    ],
    ids=["join", "doubling-list", "center"],
)
def test_a_template_that_asks_for_gigabytes_fails_at_once(workspace: Workspace, tmp_path: Path, body: str) -> None:
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(workspace.templates, templates)
    (templates / "base" / "notice.md.j2").write_text(f"Subject: x\n\n{body}\n", encoding="utf-8")
    incident = declare(workspace, "--assign", "incident-lead=lee")
    before = event_count(workspace, incident)
    err = refused(workspace, ExitCode.NO, "--templates", str(templates), "comms", "draft", incident, "customer-notice")
    assert "needs more memory to render" in err
    assert event_count(workspace, incident) == before


def test_reports_never_replace_a_device_or_a_pipe(workspace: Workspace, tmp_path: Path) -> None:
    incident = declare(workspace)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for args in (("stats", "--html", str(pipe)), ("postmortem", incident, "-o", str(pipe))):
        assert "not a regular file" in refused(workspace, ExitCode.USAGE, *args)
    assert pipe.is_fifo()


def test_drill_report_files_are_written_whole_and_titles_made_inert(workspace: Workspace, tmp_path: Path) -> None:
    repo = Path(__file__).parent.parent
    original = repo / "playbooks" / "scenarios" / "data-leak-exposed-order-exports.yaml"
    scenario = tmp_path / "scenario.yaml"
    text = original.read_text(encoding="utf-8")
    scenario.write_text(text.replace("title: ", 'title: "x\\e]0;t\\a \\x9b2J" # ', 1), encoding="utf-8")
    start = ("--playbooks", str(repo / "playbooks"), "--templates", str(repo / "templates"))
    payload = workspace.json(*start, "drill", "start", "data-leak", "--scenario", str(scenario))
    assert isinstance(payload, dict)
    drill = str(payload["id"])
    assert "--format" in refused(workspace, ExitCode.USAGE, *start, "drill", "report", drill, "-o", str(tmp_path / "r"))
    for fmt in ("md", "html"):
        target = tmp_path / f"report.{fmt}"
        workspace.ok(*start, "drill", "report", drill, "--format", fmt, "-o", str(target))
        written = target.read_text(encoding="utf-8")
        assert "\x1b" not in written and "\x9b" not in written and "\\x1b" in written
        assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_signals_on_standard_input_are_capped_like_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import subprocess_env

    done = subprocess.run(
        [sys.executable, "-m", "crisisctl", "--db", str(tmp_path / "log.sqlite3"), "check", "-"],
        input=b"x" * (3 * 1024 * 1024),
        capture_output=True,
        timeout=60,
        env=subprocess_env(),
    )
    assert done.returncode == ExitCode.NO
    assert b"file-too-large" in done.stderr and b"Traceback" not in done.stderr


def test_a_default_beyond_what_the_log_keeps_exactly_is_a_playbook_error(workspace: Workspace) -> None:
    playbook = workspace.playbooks / "base.yaml"
    playbook.write_text(
        playbook.read_text(encoding="utf-8").replace(
            "inputs:\n", "inputs:\n  - {id: budget, type: number, default: 99999999999999999999}\n", 1
        ),
        encoding="utf-8",
    )
    err = refused(workspace, ExitCode.NO, "declare", "base", "--input", "affected_customers=1")
    assert "inputs[0].default" in err and "does not fit the input type number" in err
    assert workspace.json("incidents") == []
