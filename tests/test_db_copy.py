"""`db copy`: a whole log moved between stores with its chain intact, refused when it cannot be trusted."""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace, declare, read_digest

from crisisctl.dsn import masked
from crisisctl.incident.records import NewEvent
from crisisctl.store.copying import copy_rows
from crisisctl.store.log import IncidentLog


def _password(target: str) -> str:
    if not target.startswith("postgresql://"):
        return ""
    return target.split("://", 1)[1].split("@", 1)[0].partition(":")[2]


def _record_a_crisis(ws: Workspace) -> str:
    incident = declare(ws)
    ws.ok("--as", "lead", "assign", incident, "incident-lead", "ana")
    ws.ok("step", "done", incident, "assess")
    ws.ok("note", incident, "customers told by phone: “ok” ✓")
    ws.ok("comms", "draft", incident, "customer-notice")
    digest = read_digest(ws, incident, "customer-notice")
    ws.ok("--as", "ana", "comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest)
    ws.ok("resolve", incident)
    declare(ws, "--drill")
    return incident


def _whole(ws: Workspace) -> tuple[Any, ...]:
    """Everything a reader sees: every incident (closed and drills too) and every event of each."""
    listed = ws.json("incidents", "--all") + ws.json("incidents", "--all", "--drill")
    assert isinstance(listed, list)
    return (listed, [ws.json("timeline", row["id"]) for row in listed])


def _copy(ws: Workspace, source: str, destination: str, *extra: str) -> tuple[int, str, str]:
    return ws.run("db", "copy", source, destination, *extra)


def test_a_log_moves_to_the_other_store_and_back_with_the_same_events_and_anchors(
    team_workspace: Workspace,
) -> None:
    ws = team_workspace
    laptop = str(ws.root / "laptop.sqlite3")
    team = ws.target  # the backend's: a new SQLite file, or an empty PostgreSQL database
    ws.target = laptop
    incident = _record_a_crisis(ws)
    anchors = ws.root / "anchors.txt"
    ws.ok("verify", "--save-anchors", str(anchors))
    before = _whole(ws)

    code, out, err = _copy(ws, laptop, team, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["events"] == sum(len(events) for events in before[1]) and summary["incidents"] == 2
    assert summary["playbooks"] == 1 and summary["verified"] is True
    assert summary["source"] == laptop and summary["destination"] == masked(team)
    secret = _password(team)
    assert not secret or secret not in out + err

    ws.target = team
    assert _whole(ws) == before
    checked = ws.json("verify", "--anchor-file", str(anchors))
    assert isinstance(checked, dict) and checked["ok"] and checked["anchor"] == summary["anchor"]
    ws.ok("note", incident, "recorded on the copy")  # the chain goes on from the copied head
    after = _whole(ws)

    back = str(ws.root / "back.sqlite3")
    code, out, err = _copy(ws, team, back)
    assert code == 0, err
    assert "verified: anchor" in out and (not secret or secret not in out + err)
    ws.target = back
    assert _whole(ws) == after
    assert ws.json("verify", "--anchor-file", str(anchors))["ok"]  # type: ignore[index]


def test_a_destination_that_holds_anything_is_refused(team_workspace: Workspace) -> None:
    ws = team_workspace
    source = str(ws.root / "laptop.sqlite3")
    team = ws.target
    declare(ws)  # the team log already has an incident
    ws.target = source
    declare(ws)
    code, _, err = _copy(ws, source, team)
    assert code == 2 and "is not empty" in err, err
    ws.target = team
    listed = ws.json("incidents")
    assert isinstance(listed, list) and len(listed) == 1
    assert ws.json("verify")["events"] == 1  # type: ignore[index]


def test_a_source_that_fails_verify_is_not_copied(team_workspace: Workspace) -> None:
    ws = team_workspace
    source = ws.root / "laptop.sqlite3"
    team = ws.target
    ws.target = str(source)
    incident = declare(ws)
    ws.ok("note", incident, "the truth")
    connection = sqlite3.connect(source, isolation_level=None)
    connection.execute("DROP TRIGGER events_append_only_update")
    connection.execute("UPDATE events SET data = replace(data, 'truth', 'lie') WHERE seq = 2")
    connection.close()
    code, _, err = _copy(ws, str(source), team)
    assert code == 1 and "fails verification" in err and "nothing was copied" in err, err
    ws.target = team
    assert ws.json("incidents") == []


def test_a_missing_source_is_a_log_error(workspace: Workspace) -> None:
    code, _, err = _copy(workspace, str(workspace.root / "nowhere.sqlite3"), str(workspace.root / "new.sqlite3"))
    assert code == 4 and "there is no log" in err
    assert not (workspace.root / "new.sqlite3").exists()


def _chained_log(path: Path, events: int) -> None:
    log = IncidentLog(path)
    with log.write() as writer:
        for start in range(0, events, 1000):
            batch = [NewEvent("INC-1", "2026-01-01T00:00:00Z", "note.added", "a", {"text": "x" * 200})] * 1000
            writer.append(batch[: min(1000, events - start)], "2026-01-01T00:00:00Z")
    log.close()


def _copy_peak(tmp_path: Path, events: int) -> int:
    source, destination = tmp_path / f"s{events}.sqlite3", tmp_path / f"d{events}.sqlite3"
    _chained_log(source, events)
    tracemalloc.start()
    try:
        copied = copy_rows(IncidentLog(source), IncidentLog(destination))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert copied.rows["events"] == events
    return peak


@pytest.mark.slow
def test_the_copy_streams_so_memory_does_not_grow_with_the_log(tmp_path: Path) -> None:
    small, large = _copy_peak(tmp_path, 10_000), _copy_peak(tmp_path, 60_000)
    assert large < 2 * small, (small, large)  # six times the events, not six times the memory
