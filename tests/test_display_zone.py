"""The display time zone (--tz, CRISISCTL_TZ, config.toml `timezone`, else the system's): people read times there
in tables, notices, reports, CSV exports and team notifications; the log and --json keep UTC."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Workspace, crisisctl, event_count
from test_notifications import Hook

from crisisctl.render.filters import format_datetime
from crisisctl.timezones import use_display_zone, zone_named

DECLARED = "2026-12-04T10:30Z"  # 18:30 in Beijing, 11:30 in Berlin


@pytest.fixture
def zoned(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The base playbook with its notice in English and Chinese, both showing times; one incident, INC-1."""
    templates = workspace.root / "templates"
    (templates / "base").mkdir(parents=True)
    (templates / "base" / "notice.md.j2").write_text(
        "Declared {{ incident.declared_at | datetime(locale) }} ({{ timezone }})\n", encoding="utf-8"
    )
    (templates / "base" / "notice.zh.md.j2").write_text(
        "事件于{{ incident.declared_at | datetime(locale) }}发生。\n", encoding="utf-8"
    )
    playbook = workspace.playbooks / "base.yaml"
    text = playbook.read_text(encoding="utf-8")
    playbook.write_text(text.replace("    approvals:", "    locales: [en, zh]\n    approvals:"), encoding="utf-8")
    workspace.templates = templates
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    workspace.ok("declare", "base", "--input", "affected_customers=3", "--at", DECLARED)
    return workspace


def configure(ws: Workspace, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    config = ws.root / "config.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
    return config


def draft_text(ws: Workspace, *args: str) -> str:
    ws.ok(*args)
    payload = ws.json("comms", "show", "INC-1", "customer-notice", *args[args.index("--locale") :])
    assert isinstance(payload, dict)
    return str(payload["text"])


def test_a_chinese_notice_shows_beijing_time_under_tz_asia_shanghai(zoned: Workspace) -> None:
    """The system zone, as TZ names it, is the default: a Chinese notice written in Shanghai says 北京时间."""
    draft = crisisctl(*zoned.args(), "comms", "draft", "INC-1", "customer-notice", "--locale", "zh", TZ="Asia/Shanghai")
    assert draft.returncode == 0, draft.stderr
    shown = crisisctl(*zoned.args(), "comms", "show", "INC-1", "customer-notice", "--locale", "zh", "--json")
    assert "事件于2026年12月4日 18:30（北京时间）发生。" in json.loads(shown.stdout)["text"]


def test_an_english_notice_names_the_zone_and_its_offset(zoned: Workspace) -> None:
    text = draft_text(zoned, "--tz", "Asia/Shanghai", "comms", "draft", "INC-1", "customer-notice", "--locale", "en")
    assert "Declared 04 December 2026, 18:30 CST (UTC+08:00) (Asia/Shanghai)" in text


@pytest.mark.parametrize(
    ("flag", "env", "config", "expected"),
    [
        (("--tz", "Asia/Tokyo"), "Europe/Berlin", "America/New_York", "19:30 JST"),
        ((), "Europe/Berlin", "America/New_York", "11:30 CET"),
        ((), None, "America/New_York", "05:30 EST"),
        ((), None, None, "10:30 UTC"),  # the system zone: TZ=UTC in every test (conftest)
    ],
)
def test_the_flag_wins_over_the_variable_which_wins_over_the_config(
    zoned: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    flag: tuple[str, ...],
    env: str | None,
    config: str | None,
    expected: str,
) -> None:
    if env:
        monkeypatch.setenv("CRISISCTL_TZ", env)
    if config:
        configure(zoned, monkeypatch, f'timezone = "{config}"\n')
    result = crisisctl(*zoned.args(), *flag, "timeline", "INC-1")
    assert result.returncode == 0, result.stderr
    assert f"2026-12-04 {expected}" in result.stdout


def test_tables_and_csv_exports_use_the_display_zone_and_json_stays_utc(zoned: Workspace) -> None:
    tz = ("--tz", "Asia/Shanghai")
    assert "declared 2026-12-04 18:30 CST" in zoned.ok(*tz, "show", "INC-1")
    assert "2026-12-04 18:30 CST" in zoned.ok(*tz, "incidents")
    assert "1,2026-12-04T18:30:00.000000+08:00," in zoned.ok(*tz, "export", "INC-1", "--format", "csv")
    events = zoned.json(*tz, "timeline", "INC-1")
    assert isinstance(events, list) and events[0]["at"] == "2026-12-04T10:30:00.000000Z"
    exported = json.loads(zoned.ok(*tz, "export", "INC-1", "--format", "json"))
    assert exported["incident"]["declared_at"] == "2026-12-04T10:30:00.000000Z"


def test_the_post_mortem_and_the_markdown_export_show_the_display_zone(zoned: Workspace) -> None:
    tz = ("--tz", "Asia/Shanghai")
    assert "| Declared | 04 December 2026, 18:30 CST (UTC+08:00) by" in zoned.ok(*tz, "postmortem", "INC-1")
    assert "04 December 2026, 18:30 CST (UTC+08:00)" in zoned.ok(*tz, "export", "INC-1", "--format", "md")


def test_a_time_without_offset_in_at_is_read_in_the_display_zone(zoned: Workspace) -> None:
    zoned.ok("--tz", "Asia/Shanghai", "note", "INC-1", "called the vendor", "--at", "2026-12-04T19:00")
    events = zoned.json("timeline", "INC-1")
    assert isinstance(events, list) and events[-1]["at"] == "2026-12-04T11:00:00.000000Z"


def test_a_skipped_wall_time_in_the_display_zone_is_refused(zoned: Workspace) -> None:
    code, _, err = zoned.run("--tz", "Europe/Berlin", "note", "INC-1", "x", "--at", "2027-03-28T02:30")
    assert code == 2 and "did not exist in local time (Europe/Berlin)" in err
    assert "2027-03-28T02:30+01:00" in err
    assert event_count(zoned, "INC-1") == 1


@pytest.mark.parametrize("source", ["flag", "env"])
def test_an_unknown_zone_is_a_usage_error_with_a_suggestion_and_changes_nothing(
    zoned: Workspace, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    flag = ("--tz", "Asia/Shangai") if source == "flag" else ()
    if source == "env":
        monkeypatch.setenv("CRISISCTL_TZ", "Asia/Shangai")
    code, out, err = zoned.run(*flag, "note", "INC-1", "never recorded")
    assert code == 2 and out == ""
    assert "unknown time zone `Asia/Shangai` (from --tz or CRISISCTL_TZ)" in err
    assert "did you mean `Asia/Shanghai`?" in err and "Traceback" not in err
    monkeypatch.delenv("CRISISCTL_TZ", raising=False)
    assert event_count(zoned, "INC-1") == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [('timezone = "Mars/Olympus"', "unknown time zone `Mars/Olympus`"), ("timezone = 8", "timezone must be")],
)
def test_a_bad_configured_zone_names_the_file(
    zoned: Workspace, monkeypatch: pytest.MonkeyPatch, line: str, message: str
) -> None:
    config = configure(zoned, monkeypatch, line + "\n")
    code, _, err = zoned.run("show", "INC-1")
    assert code == 2 and message in err and str(config) in err and "Traceback" not in err


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.server.shutdown()


def test_team_reminders_give_due_times_in_the_display_zone(
    workspace: Workspace, hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace, monkeypatch, '[notify.ops]\nurl_env = "CRISISCTL_NOTIFY_OPS"\n')
    monkeypatch.setenv("CRISISCTL_NOTIFY_OPS", hook.url())
    declared = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)  # `assess` is due in 10 minutes
    workspace.ok("declare", "base", "--input", "affected_customers=3", "--at", declared.isoformat())
    workspace.ok("--tz", "Asia/Shanghai", "remind", "--once")
    due = (declared + dt.timedelta(minutes=30)).astimezone(zone_named("Asia/Shanghai", "test"))
    assert any(f"due at {due:%Y-%m-%d %H:%M} CST" in title for title in hook.titles()), hook.titles()


@pytest.mark.parametrize(
    ("zone", "locale", "written"),
    [
        ("Asia/Shanghai", "zh", "2026年12月4日 18:30（北京时间）"),
        ("Asia/Shanghai", "en", "04 December 2026, 18:30 CST (UTC+08:00)"),
        ("Asia/Dubai", "en", "04 December 2026, 14:30 UTC+04:00"),
        ("Europe/Berlin", "zh", "2026年12月4日 11:30 CET (UTC+01:00)"),
        ("UTC", "zh", "2026年12月4日 10:30 UTC"),
    ],
)
def test_the_datetime_filter_writes_times_in_the_display_zone(zone: str, locale: str, written: str) -> None:
    use_display_zone(lambda: zone_named(zone, "test"))
    try:
        assert format_datetime(dt.datetime(2026, 12, 4, 10, 30, tzinfo=dt.UTC), locale) == written
    finally:
        use_display_zone(lambda: None)
