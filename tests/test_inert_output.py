"""User text stays inert wherever it reaches a terminal: names given with --as, and CSV on standard output."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import Workspace, crisisctl, declare, read_digest
from test_reports import run_on_terminal

# A window-title OSC sequence ending in BEL, and a right-to-left override.
NAME = "eve\x1b]0;pwned\x07\u202eevil"
SHOWN = "eve\\x1b]0;pwned\\x07\\u202eevil"
# Off a terminal no escape at all; at one, rich's own colours (CSI) but never an OSC, BEL or override.
RAW = ("\x1b", "\x07", "\u202e")
RAW_AT_A_TERMINAL = ("\x1b]", "\x07", "\u202e")


def hostile_name_incident(ws: Workspace) -> str:
    """An incident where the hostile name holds the lead, notes and approves (a scribe drafts); the confirmation."""
    declare(ws, "--assign", f"incident-lead={NAME}")
    ws.ok("--as", NAME, "note", "INC-1", "written by eve")
    ws.ok("--as", "scribe", "comms", "draft", "INC-1", "customer-notice")
    digest = read_digest(ws, "INC-1", "customer-notice")
    return ws.ok(
        "--as", NAME, "comms", "approve", "INC-1", "customer-notice", "--role", "incident-lead", "--digest", digest
    )


def test_a_hostile_as_name_is_inert_in_confirmations_and_views(workspace: Workspace) -> None:
    outputs = {("comms approve", RAW): hostile_name_incident(workspace)}
    for args in (("timeline", "INC-1"), ("show", "INC-1"), ("comms", "list", "INC-1")):
        outputs[(" ".join(args), RAW)] = workspace.ok(*args)
        outputs[(" ".join(args) + " at a terminal", RAW_AT_A_TERMINAL)] = run_on_terminal(workspace, *args)
    for (command, forbidden), out in outputs.items():
        assert not any(raw in out for raw in forbidden), command
        assert SHOWN in out, f"{command}: {out}"
    events = workspace.json("timeline", "INC-1")
    assert isinstance(events, list) and events[-1]["actor"] == NAME  # stored as given


def test_csv_on_standard_output_is_inert_and_a_file_keeps_the_exact_text(workspace: Workspace, tmp_path: Path) -> None:
    hostile_name_incident(workspace)
    note = "\x1b[2J wiped \u202eevil\r\n=1+1"
    workspace.ok("note", "INC-1", note)
    piped = crisisctl(*workspace.args(), "export", "INC-1", "--format", "csv")
    assert piped.returncode == 0, piped.stderr
    assert not any(raw in piped.stdout for raw in RAW)
    rows = list(csv.reader(io.StringIO(piped.stdout, newline="")))
    assert {row[4] for row in rows[2:5]} == {SHOWN, "scribe"}
    assert rows[-1][5] == "\\x1b[2J wiped \\u202eevil\\x0d\n=1+1"
    target = tmp_path / "timeline.csv"
    workspace.ok("export", "INC-1", "--format", "csv", "-o", str(target))
    with target.open(newline="", encoding="utf-8") as handle:
        exact = list(csv.reader(handle))
    assert exact[-1][5] == note and exact[2][4] == NAME
