"""Response-time figures for people: tables with bar charts drawn in text on a terminal, plain columns in a pipe."""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from crisisctl.output.plain import plain_table
from crisisctl.playbook.durations import format_duration

BAR_WIDTH = 24
FIGURES = (
    ("time_to_acknowledge_s", "acknowledge"),
    ("time_to_first_notice_s", "first customer notice"),
    ("time_to_resolve_s", "resolve"),
)


class Section(Struct):
    """One titled table of the report; `bars`, when given, holds a bar per row (value, largest), drawn last."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    bars: list[tuple[float | None, float]] = field(default_factory=list)


def seconds_text(value: float | None) -> str:
    import datetime as dt

    return format_duration(dt.timedelta(seconds=value)) if value is not None else "–"


def bar_text(value: float | None, largest: float) -> str:
    if value is None or largest <= 0:
        return ""
    return "█" * max(1, round(BAR_WIDTH * value / largest))


def stats_view(report: dict[str, Any]) -> RenderableType:
    """For a terminal: rich tables with cyan bars."""
    header, blocks = stats_blocks(report)
    shown: list[RenderableType] = [Text(header, style="bold")]
    if not report["incidents"]:
        shown.append(Text("nothing to measure yet", style="dim"))
    for block in blocks:
        shown.append(Text(block) if isinstance(block, str) else _table(block))
    return Group(*shown)


def stats_plain(report: dict[str, Any]) -> str:
    """For pipes and files: each section's title, then its columns as plain text (bars as the last column)."""
    header, blocks = stats_blocks(report)
    parts = [header] + ([] if report["incidents"] else ["nothing to measure yet"])
    for block in blocks:
        if isinstance(block, str):
            parts.append(block)
        else:
            parts.append(f"{block.title}\n{_plain_section(block)}")
    return "\n\n".join(parts)


def _plain_section(section: Section) -> str:
    if not section.bars:
        return plain_table(section.columns, section.rows)
    rows = [(*row, bar_text(*bar)) for row, bar in zip(section.rows, section.bars, strict=True)]
    return plain_table((*section.columns, ""), rows)


def _table(section: Section) -> Table:
    table = Table(title=section.title, title_justify="left", show_edge=False)
    for column in (*section.columns, *([""] if section.bars else [])):
        table.add_column(column)
    for number, row in enumerate(section.rows):
        bar = [Text(bar_text(*section.bars[number]), style="cyan")] if section.bars else []
        table.add_row(*row, *bar)
    return table


def stats_blocks(report: dict[str, Any]) -> tuple[str, list[str | Section]]:
    """The header line, then the report's sections and lines, in the order shown."""
    kind = "drills" if report["drills"] else "live incidents"
    since = f" since {report['since']}" if report["since"] else ""
    header = f"{report['incidents']} {kind}{since}, {report['resolved']} resolved"
    if not report["incidents"]:
        return header, []
    largest = max((report[key]["p90"] or 0) for key, _ in FIGURES)
    overall = Section("Response times (median · 90th percentile)", ("time to", "median", "p90"), [])
    for key, label in FIGURES:
        spread = report[key]
        overall.rows.append((label, seconds_text(spread["median"]), seconds_text(spread["p90"])))
        overall.bars.append((spread["median"], largest))
    ratio = report["steps_on_time_ratio"]
    actions = report["action_items"]
    on_time = (
        f"steps done on time: {ratio:.0%}" if ratio is not None else "steps done on time: –"
    ) + f"\naction items: {actions['open']} open ({actions['overdue']} overdue), {actions['done']} done"
    per_playbook = Section(
        "By playbook (median)",
        ("playbook", "incidents", "acknowledge", "first notice", "resolve", "on time"),
        [
            (
                row["playbook"],
                str(row["incidents"]),
                *(seconds_text(row[key]["median"]) for key, _ in FIGURES),
                f"{row['steps_on_time_ratio']:.0%}" if row["steps_on_time_ratio"] is not None else "–",
            )
            for row in report["by_playbook"]
        ],
    )
    groups = [(row["category"], row["incidents"]) for row in report["by_category"]] + [
        (row["severity"], row["incidents"]) for row in report["by_severity"]
    ]
    most = max([count for _, count in groups] or [1])
    counts = Section(
        "Incidents by category and peak severity",
        ("group", "incidents"),
        [(group, str(count)) for group, count in groups],
        [(count, most) for _, count in groups],
    )
    longest = max([row["time_to_resolve_s"]["median"] or 0 for row in report["by_month"]] or [0])
    months = Section(
        "Over time (median time to resolve)",
        ("month", "incidents", "resolve"),
        [
            (row["month"], str(row["incidents"]), seconds_text(row["time_to_resolve_s"]["median"]))
            for row in report["by_month"]
        ],
        [(row["time_to_resolve_s"]["median"], longest) for row in report["by_month"]],
    )
    customers = [outcomes_section(report["outcomes"])] + (
        [remedies_section(report["remedies"])] if report["remedies"] else []
    )
    return header, [overall, on_time, per_playbook, *customers, counts, months]


def _figure(value: float | None, sign: str = "") -> str:
    return "–" if value is None else format(value, sign + "g")


def outcomes_section(outcomes: dict[str, dict[str, Any]]) -> Section:
    """Customer outcomes: how many incidents measured each and how many have both figures; the mean before,
    after and change over those compared."""
    return Section(
        "Customer outcomes (before, after, change: means over the incidents compared, which have both)",
        ("outcome", "measured", "compared", "before", "after", "change"),
        [
            (
                metric,
                str(row["incidents_measured"]),
                str(row["incidents_compared"]),
                _figure(row["mean_baseline"]),
                _figure(row["mean_latest"]),
                _figure(row["mean_change"], "+"),
            )
            for metric, row in outcomes.items()
        ],
    )


def remedies_section(remedies: dict[str, dict[str, Any]]) -> Section:
    """Remedies by kind: records, how many were issued, the value issued per currency or unit."""
    return Section(
        "Remedies",
        ("kind", "records", "issued", "value issued"),
        [
            (
                kind,
                str(row["records"]),
                str(row["issued"]),
                ", ".join(f"{amount:g} {unit}" for unit, amount in row["value"].items()) or "–",
            )
            for kind, row in remedies.items()
        ],
    )
