"""`drill demo`, the README's first command: the whole loop in a throw-away log, for every bundled playbook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, crisisctl

from crisisctl.entry import main

PLAYBOOKS = sorted(path.stem for path in (REPO / "playbooks").glob("*.yaml"))


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_demo_runs_a_scored_drill_without_touching_the_users_log(
    playbook: str, in_repo: Path, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    assert main(["drill", "demo", playbook]) == 0
    out = capsys.readouterr().out
    assert f"drill of {playbook}: score" in out
    assert "│ met" in out
    assert not any(isolated_home.rglob("*.sqlite3")), "the demo must not write the user's own log"


def test_demo_of_a_playbook_without_scenario_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--playbooks", str(tmp_path), "drill", "demo", "base"]) == 2
    assert "no bundled scenario" in capsys.readouterr().err


def test_the_demo_shows_an_inject_setting_a_fact_that_switches_on_a_step(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drill", "demo"]) == 0
    out = capsys.readouterr().out
    assert "    and sets a fact: illness_reported=true" in out
    assert "inject +10h fired: the facts now say illness_reported=true" in out
    assert "so step handle-illness-reports applies from +10h, its deadline counted from then" in out
    assert re.search(r"handle-illness-reports\s+│ \+1d 10h\s+│ \+1d 4h\s+│ on-time", out), out


def test_the_throw_away_log_is_left_as_one_whole_file(tmp_path: Path) -> None:
    """The demo closes its log before the process ends (nothing is finalized at exit), so the file it names
    holds the whole drill, without a write-ahead file beside it."""
    result = crisisctl("drill", "demo", cwd=REPO, TMPDIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    [folder] = tmp_path.glob("crisisctl-demo-*")
    assert sorted(path.name for path in folder.iterdir()) == ["demo.sqlite3", "demo.sqlite3.outbox"]
