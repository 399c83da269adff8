"""Shell completion offers commands and ids; no arguments shows the overview grouped by task."""

from __future__ import annotations

import subprocess
import sys

from conftest import Workspace, subprocess_env


def complete(ws: Workspace, typed: str) -> list[str]:
    """What bash completion offers after `crisisctl <global options> <typed>`."""
    words = ["crisisctl", *ws.args(), *typed.split(" ")]
    env = subprocess_env(
        _CRISISCTL_COMPLETE="complete_bash", COMP_WORDS=" ".join(words), COMP_CWORD=str(len(words) - 1)
    )
    program = "import sys; from crisisctl.entry import main; sys.exit(main())"
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60)
    return result.stdout.split()


def test_completion_offers_playbooks_incidents_steps_and_roles(workspace: Workspace) -> None:
    workspace.ok("declare", "base", "--input", "affected_customers=3")
    assert complete(workspace, "declare ba") == ["base"]
    assert complete(workspace, "show ") == ["INC-1"]
    assert complete(workspace, "step done INC-1 ") == ["assess", "notify"]
    assert complete(workspace, "assign INC-1 comm") == ["comms-lead"]
    assert complete(workspace, "comms draft INC-1 ") == ["customer-notice"]
    assert "drill" in complete(workspace, "dr")
    # Each completion closed the log it read before its process ended: no -wal or -shm file is left behind.
    assert sorted(path.name for path in workspace.db.parent.iterdir()) == [workspace.db.name]


def test_no_arguments_shows_the_overview_by_task(workspace: Workspace) -> None:
    out = workspace.ok()
    for group in ("Respond", "Communicate", "Review", "Rehearse", "Author"):
        assert group in out
    assert "crisisctl drill demo" in out
