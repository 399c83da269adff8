"""Typed --input values and --at times: what is accepted and what is refused."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess

import pytest
from conftest import Workspace, crisisctl, declare, event_count
from hypothesis import given
from hypothesis import strategies as st

from crisisctl.clock import format_time, parse_at, parse_time
from crisisctl.errors import UsageError
from crisisctl.incident.inputs import parse_input_value
from crisisctl.playbook.model import Input

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
DECLARED = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("type_name", "text", "value"),
    [
        ("integer", "1200", 1200),
        ("integer", "1,200", 1200),
        ("number", "3.5", 3.5),
        ("number", "7", 7),
        ("boolean", "true", True),
        ("boolean", "No", False),
        ("date", "2026-11-25", "2026-11-25"),
        ("list", "email, phone", ["email", "phone"]),
        ("list", '["a, b", "c"]', ["a, b", "c"]),
        ("string", " S3 bucket ", "S3 bucket"),
    ],
)
def test_values_are_read_by_their_declared_type(type_name: str, text: str, value: object) -> None:
    assert parse_input_value(Input("x", type_name), text) == value


@pytest.mark.parametrize(
    ("type_name", "text"),
    [
        ("integer", "1.5"),
        ("integer", "many"),
        ("number", "nan"),
        ("boolean", "maybe"),
        ("date", "25/11/2026"),
        ("list", "[{}]"),
        ("string", "  "),
    ],
)
def test_values_that_do_not_fit_are_usage_errors(type_name: str, text: str) -> None:
    with pytest.raises(UsageError, match="input x"):
        parse_input_value(Input("x", type_name), text)


def test_choices_are_enforced_per_list_item() -> None:
    declared = Input("kinds", "list", choices=("email", "phone"))
    assert parse_input_value(declared, "email,phone") == ["email", "phone"]
    with pytest.raises(UsageError, match="`fax` is not one of the choices"):
        parse_input_value(declared, "email,fax")


@given(st.text(max_size=40))
def test_any_text_gives_a_value_or_a_usage_error(text: str) -> None:
    for type_name in ("string", "integer", "number", "boolean", "date", "list"):
        with contextlib.suppress(UsageError):
            parse_input_value(Input("x", type_name), text)


def test_at_accepts_iso_relative_and_after_declaration() -> None:
    assert parse_at("2026-11-25T11:30:00+00:00", NOW, DECLARED) == dt.datetime(2026, 11, 25, 11, 30, tzinfo=dt.UTC)
    assert parse_at("-15m", NOW, DECLARED) == NOW - dt.timedelta(minutes=15)
    assert parse_at("+35m", NOW, DECLARED) == DECLARED + dt.timedelta(minutes=35)


def test_plus_duration_needs_a_declaration() -> None:
    with pytest.raises(UsageError, match="declaration"):
        parse_at("+35m", NOW, None)


@given(st.text(max_size=30))
def test_any_at_text_gives_a_time_or_a_usage_error(text: str) -> None:
    try:
        result = parse_at(text, NOW, DECLARED)
    except UsageError:
        return
    assert result.tzinfo is not None


def test_stored_times_round_trip() -> None:
    moment = dt.datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=dt.UTC)
    assert format_time(moment) == "2026-11-25T10:00:00.123456Z"
    assert parse_time(format_time(moment)) == moment


# Central European time as a POSIX rule, so the test needs no time zone database.
BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"


@pytest.fixture
def berlin_incident(workspace: Workspace) -> Workspace:
    declare(workspace, "--at", "2026-03-01T00:00Z")
    return workspace


def note_at(ws: Workspace, at: str) -> subprocess.CompletedProcess[str]:
    return crisisctl(*ws.args(), "note", "INC-1", "the vendor called back", "--at", at, TZ=BERLIN)


def newest_at(ws: Workspace) -> str:
    """The stated time of the event recorded last."""
    events = ws.json("timeline", "INC-1")
    assert isinstance(events, list)
    return str(max(events, key=lambda event: event["seq"])["at"])


def test_a_local_time_the_clocks_skipped_is_refused(berlin_incident: Workspace) -> None:
    result = note_at(berlin_incident, "2026-03-29T02:30")
    assert result.returncode == 2, result.stderr
    assert "did not exist in local time" in result.stderr and "2026-03-29T02:30+01:00" in result.stderr
    assert "Traceback" not in result.stderr
    assert event_count(berlin_incident, "INC-1") == 1


def test_a_local_time_the_clocks_showed_twice_needs_an_offset(berlin_incident: Workspace) -> None:
    result = note_at(berlin_incident, "2026-10-25T02:30")
    assert result.returncode == 2, result.stderr
    assert "happened twice" in result.stderr
    assert "2026-10-25T02:30+02:00" in result.stderr and "2026-10-25T02:30+01:00" in result.stderr
    assert event_count(berlin_incident, "INC-1") == 1
    for offset, utc in (("+02:00", "2026-10-25T00:30:00.000000Z"), ("+01:00", "2026-10-25T01:30:00.000000Z")):
        accepted = note_at(berlin_incident, "2026-10-25T02:30" + offset)
        assert accepted.returncode == 0, accepted.stderr
        assert newest_at(berlin_incident) == utc


def test_an_ordinary_local_time_is_read_in_the_local_zone(berlin_incident: Workspace) -> None:
    assert note_at(berlin_incident, "2026-10-25T03:30").returncode == 0
    assert newest_at(berlin_incident) == "2026-10-25T02:30:00.000000Z"


# --------------------------------------------------------------------------- a clock set back


def run_at(ws: Workspace, clock: dt.datetime, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process whose clock reads `clock` (CRISISCTL_FAKE_NOW, for tests only)."""
    return crisisctl(*ws.args(), *args, cwd=ws.root, CRISISCTL_FAKE_NOW=clock.isoformat())


@pytest.mark.slow
def test_an_incident_declared_by_a_fast_clock_stays_writable_once_the_clock_is_set_right(
    workspace: Workspace,
) -> None:
    """A machine whose clock ran an hour fast declares; NTP sets it right. Every later command without --at
    used to be refused as "before the declaration"; now the log's clock does not run backwards."""
    right = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    fast = right + dt.timedelta(hours=1)
    declared = run_at(workspace, fast, "declare", "base", "--input", "affected_customers=5", "--json")
    assert declared.returncode == 0, declared.stderr
    incident = json.loads(declared.stdout)["id"]
    note = run_at(workspace, right, "note", incident, "clock was set right")
    assert note.returncode == 0, note.stderr
    stated = run_at(
        workspace, right, "note", incident, "stated late", "--at", format_time(fast + dt.timedelta(minutes=4))
    )
    assert stated.returncode == 0, stated.stderr
    timeline = run_at(workspace, right, "timeline", incident, "--json")
    events = json.loads(timeline.stdout)
    recorded = [parse_time(event["recorded_at"]) for event in events]
    assert recorded == sorted(recorded) and recorded[0] == fast, "recorded_at never runs backwards"
    assert [event["data"].get("recorded_wall") for event in events] == [None, format_time(right), format_time(right)]
    assert all(parse_time(event["at"]) >= fast for event in events)
    assert run_at(workspace, right, "verify").returncode == 0
    # Beyond the latest recorded time plus the tolerance is still the future.
    future = run_at(workspace, right, "note", incident, "x", "--at", format_time(fast + dt.timedelta(minutes=6)))
    assert future.returncode == 2 and "future" in future.stderr
