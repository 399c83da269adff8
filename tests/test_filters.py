"""The template filters do what docs/templates.md's table of examples says."""

from __future__ import annotations

import datetime as dt

import pytest

from crisisctl.render.filters import format_datetime, format_delta, human_list

DECLARED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "locale", "written"),
    [
        (DECLARED, "en", "01 March 2026, 09:30 UTC"),
        (DECLARED, "zh", "2026年3月1日 09:30 UTC"),
        ("2026-03-01T09:30:00+00:00", "en", "01 March 2026, 09:30 UTC"),
        (dt.date(2026, 3, 1), "zh-CN", "2026年3月1日"),
        ("next Tuesday", "en", "next Tuesday"),  # not ISO 8601: printed unchanged
        (42, "en", "42"),
    ],
)
def test_datetime(value: object, locale: str, written: str) -> None:
    assert format_datetime(value, locale) == written


@pytest.mark.parametrize(("seconds", "written"), [(7500, "2h 5m"), (90061, "1d 1h"), (45, "45s"), (0, "0s")])
def test_duration(seconds: int, written: str) -> None:
    assert format_delta(seconds) == written


@pytest.mark.parametrize(
    ("items", "locale", "written"),
    [
        (["eu", "us", "apac"], "en", "eu, us and apac"),
        (["eu", "us", "apac"], "zh", "eu、us和apac"),
        (["eu"], "en", "eu"),
    ],
)
def test_human_list(items: list[str], locale: str, written: str) -> None:
    assert human_list(items, locale) == written
