"""The template filters do what docs/templates.md's table of examples says: the cases are read from that table."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from crisisctl.render.environment import make_environment
from crisisctl.render.filters import format_datetime, format_delta, human_list
from crisisctl.timezones import use_display_zone, zone_named

DOC = Path(__file__).resolve().parent.parent / "docs" / "templates.md"
# What the text above the table says: declared at 09:30 UTC on 1 March 2026, the display zone UTC.
DECLARED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
CONTEXT = {"incident": {"declared_at": DECLARED}, "inputs": {"became_aware_on": DECLARED.date()}}


class Example(NamedTuple):
    template: str
    note: str  # what the row says in brackets after the template: a locale, `--tz ZONE`
    output: str


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells; `\\|` inside a cell is a literal bar."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _examples() -> Iterator[Example]:
    """The rows of the `| template | output |` table under `## Filters`."""
    lines = DOC.read_text(encoding="utf-8").split("## Filters", 1)[1].splitlines()
    start = lines.index("| template | output |") + 2  # past the header and its rule
    for line in lines[start:]:
        if not line.startswith("|"):
            return
        template, output = _cells(line)
        code = re.fullmatch(r"`([^`]+)`\s*(?:\((.*)\))?", template)
        assert code and re.fullmatch(r"`[^`]+`", output), f"docs/templates.md: an example row not understood: {line}"
        yield Example(code[1], code[2] or "", output.strip("`"))


EXAMPLES = list(_examples())


def test_the_table_is_read() -> None:
    # A change to the table's heading or layout must not turn the examples below into no test at all.
    assert len(EXAMPLES) >= 10
    assert {
        name for example in EXAMPLES for name in ("datetime", "duration", "human_list") if name in example.template
    } == {
        "datetime",
        "duration",
        "human_list",
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.template + example.note for example in EXAMPLES])
def test_each_example_renders_as_documented(example: Example) -> None:
    zone = re.search(r"`--tz (\S+)`", example.note)
    locale = re.search(r"`(en|zh[-\w]*)`", example.note)
    understood = example.note.replace(zone[0] if zone else "", "").replace(locale[0] if locale else "", "")
    assert not re.search(r"`", understood), f"a condition of the example is not understood: {example.note}"
    use_display_zone(lambda: zone_named(zone[1] if zone else "UTC", "test"))
    try:
        template = make_environment([]).from_string(example.template)
        assert template.render(CONTEXT, locale=locale[1] if locale else "en") == example.output
    finally:
        use_display_zone(lambda: None)


# What the details under the table say, beyond its examples.


@pytest.mark.parametrize(
    ("value", "locale", "written"),
    [
        ("2026-03-01T09:30:00+00:00", "en", "01 March 2026, 09:30 UTC"),  # ISO 8601 text
        (dt.date(2026, 3, 1), "zh-CN", "2026年3月1日"),  # every locale starting with zh; dates are not converted
        (dt.datetime(2026, 3, 1, 9, 30), "en", "01 March 2026, 09:30"),  # no zone: shown without one
        ("next Tuesday", "en", "next Tuesday"),  # not ISO 8601: printed unchanged
        (42, "en", "42"),
    ],
)
def test_datetime_details(value: object, locale: str, written: str) -> None:
    assert format_datetime(value, locale) == written


@pytest.mark.parametrize(("value", "written"), [(0, "0s"), (dt.timedelta(hours=-2), "-2h")])
def test_duration_details(value: object, written: str) -> None:
    assert format_delta(value) == written


@pytest.mark.parametrize(
    ("items", "locale", "written"), [(["a", "b"], "zh-CN", "a和b"), (["a", "b"], "fr", "a and b"), ([], "en", "")]
)
def test_human_list_details(items: list[str], locale: str, written: str) -> None:
    assert human_list(items, locale) == written
