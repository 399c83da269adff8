"""The CSV export as real consumers read it: pandas and csvkit see one header, one row per event, and the exact
cells (Chinese text, masked numbers, neutralised formulas); with --bom, Excel's byte order mark."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace
from realtools import python_module, venv_command
from test_reports import CN_ID, CN_MOBILE, add_playbook

from crisisctl.render.redact import ID_MASK, PHONE_MASK, REDACTION_NOTICE
from crisisctl.render.reports import CSV_COLUMNS

HEADER = ["seq", "at", "recorded_at", "type", "actor", "summary", "redaction"]
CHINESE_NOTE = f"客户张女士，身份证号 {CN_ID}，手机 {CN_MOBILE}，要求退款"
CHINESE_MASKED = f"客户张女士，身份证号 {ID_MASK}，手机 {PHONE_MASK}，要求退款"
FORMULA_NOTE = '=HYPERLINK("http://evil","退款")'
MULTILINE_NOTE = 'refund, "partial"\nsecond line'


def chinese_incident(ws: Workspace) -> list[Any]:
    """An incident whose notes hold Chinese text with an ID number, a formula and a quoted, multi-line cell;
    its timeline as `timeline --json` gives it."""
    add_playbook(ws)
    ws.ok("declare", "report", "--input", "affected_customers=3", "--assign", "incident-lead=alice")
    ws.ok("--as", "王芳", "note", "INC-1", CHINESE_NOTE)
    ws.ok("note", "INC-1", "--", FORMULA_NOTE)
    ws.ok("note", "INC-1", MULTILINE_NOTE)
    timeline = ws.json("timeline", "INC-1")
    assert isinstance(timeline, list)
    return timeline


def export(ws: Workspace, target: Path, *flags: str) -> Path:
    ws.ok("export", "INC-1", "--format", "csv", "-o", str(target), *flags)
    return target


def expected_notes(redacted: bool) -> list[str]:
    return [CHINESE_MASKED if redacted else CHINESE_NOTE, "'" + FORMULA_NOTE, MULTILINE_NOTE]


@pytest.mark.parametrize("redacted", [True, False])
def test_pandas_reads_one_header_and_a_row_per_event(workspace: Workspace, tmp_path: Path, redacted: bool) -> None:
    pandas = python_module("pandas")
    timeline = chinese_incident(workspace)
    target = export(workspace, tmp_path / "timeline.csv", *(["--redact"] if redacted else []))
    frame = pandas.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8")
    assert list(frame.columns) == HEADER == list(CSV_COLUMNS)
    assert frame.shape == (len(timeline), 7)
    assert [int(seq) for seq in frame["seq"]] == [event["seq"] for event in timeline]
    notes = frame[frame["type"] == "note.added"]
    assert list(notes["summary"]) == expected_notes(redacted)
    assert notes["actor"].iloc[0] == "王芳"
    assert set(frame["redaction"]) == ({REDACTION_NOTICE} if redacted else {""})
    assert not any(str(cell).startswith(("=", "+", "-", "@", "\t", "\r")) for cell in frame.to_numpy().ravel())


def test_csvkit_reads_the_redacted_export_exactly(workspace: Workspace, tmp_path: Path) -> None:
    csvjson = venv_command("csvjson")
    timeline = chinese_incident(workspace)
    target = export(workspace, tmp_path / "timeline.csv", "--redact")
    done = subprocess.run([csvjson, "--no-inference", str(target)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert len(records) == len(timeline)
    assert all(list(record) == HEADER for record in records)
    assert [record["summary"] for record in records if record["type"] == "note.added"] == expected_notes(True)
    assert {record["redaction"] for record in records} == {REDACTION_NOTICE}
    assert CN_ID not in done.stdout and CN_MOBILE not in done.stdout


def test_agate_counts_the_columns_and_rows(workspace: Workspace, tmp_path: Path) -> None:
    agate = python_module("agate")
    timeline = chinese_incident(workspace)
    target = export(workspace, tmp_path / "timeline.csv", "--redact")
    as_text = agate.TypeTester(force={name: agate.Text() for name in HEADER})
    table = agate.Table.from_csv(str(target), column_types=as_text)
    assert list(table.column_names) == HEADER
    assert len(table.rows) == len(timeline)
    assert table.rows[1]["summary"] == CHINESE_MASKED


def test_bom_starts_the_file_and_pandas_reads_the_first_header(workspace: Workspace, tmp_path: Path) -> None:
    pandas = python_module("pandas")
    timeline = chinese_incident(workspace)
    target = export(workspace, tmp_path / "timeline.csv", "--redact", "--bom")
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfseq,at,") and data.count(b"\xef\xbb\xbf") == 1
    frame = pandas.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert frame.columns[0] == "seq" and list(frame.columns) == HEADER
    assert len(frame) == len(timeline)
    assert list(frame[frame["type"] == "note.added"]["summary"]) == expected_notes(True)
    without = export(workspace, tmp_path / "plain.csv", "--redact")
    assert without.read_bytes() == data[3:]  # the mark is the only difference
    # csvkit skips the mark too; Python's csv module needs utf-8-sig, as docs/reports.md says.
    done = subprocess.run([venv_command("csvjson"), "-I", str(target)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and [list(record) for record in json.loads(done.stdout)] == [HEADER] * len(timeline)
    with target.open(newline="", encoding="utf-8") as plain, target.open(newline="", encoding="utf-8-sig") as sig:
        assert next(csv.reader(plain))[0] == "\ufeffseq" and next(csv.reader(sig))[0] == "seq"


def test_bom_on_standard_output_too(workspace: Workspace) -> None:
    chinese_incident(workspace)
    assert workspace.ok("export", "INC-1", "--format", "csv", "--bom").startswith("\ufeffseq,at,")


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_bom_is_refused_for_other_formats(workspace: Workspace, tmp_path: Path, fmt: str) -> None:
    chinese_incident(workspace)
    target = tmp_path / f"out.{fmt}"
    code, out, err = workspace.run("export", "INC-1", "--format", fmt, "--bom", "-o", str(target))
    assert code == 2 and out == ""
    assert "--bom is for --format csv only" in err and "Traceback" not in err
    assert not target.exists()
