"""Response-time figures for people: tables with bar charts drawn in text."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from crisisctl.playbook.durations import format_duration

BAR_WIDTH = 24
FIGURES = (
    ("time_to_acknowledge_s", "acknowledge"),
    ("time_to_first_notice_s", "first customer notice"),
    ("time_to_resolve_s", "resolve"),
)


def seconds_text(value: float | None) -> str:
    import datetime as dt

    return format_duration(dt.timedelta(seconds=value)) if value is not None else "–"


def bar(value: float | None, largest: float) -> Text:
    if value is None or largest <= 0:
        return Text("")
    cells = max(1, round(BAR_WIDTH * value / largest))
    return Text("█" * cells, style="cyan")


def stats_view(report: dict[str, Any]) -> RenderableType:
    kind = "drills" if report["drills"] else "live incidents"
    since = f" since {report['since']}" if report["since"] else ""
    header = Text(f"{report['incidents']} {kind}{since}, {report['resolved']} resolved", style="bold")
    if not report["incidents"]:
        return Group(header, Text("nothing to measure yet", style="dim"))
    overall = Table(title="Response times (median · 90th percentile)", title_justify="left", show_edge=False)
    for column in ("time to", "median", "p90", ""):
        overall.add_column(column)
    largest = max((report[key]["p90"] or 0) for key, _ in FIGURES)
    for key, label in FIGURES:
        spread = report[key]
        overall.add_row(
            label, seconds_text(spread["median"]), seconds_text(spread["p90"]), bar(spread["median"], largest)
        )
    ratio = report["steps_on_time_ratio"]
    on_time = Text(f"steps done on time: {ratio:.0%}" if ratio is not None else "steps done on time: –")
    actions = report["action_items"]
    on_time.append(f"\naction items: {actions['open']} open ({actions['overdue']} overdue), {actions['done']} done")
    per_playbook = Table(title="By playbook (median)", title_justify="left", show_edge=False)
    for column in ("playbook", "incidents", "acknowledge", "first notice", "resolve", "on time"):
        per_playbook.add_column(column)
    for row in report["by_playbook"]:
        share = row["steps_on_time_ratio"]
        per_playbook.add_row(
            row["playbook"],
            str(row["incidents"]),
            *(seconds_text(row[key]["median"]) for key, _ in FIGURES),
            f"{share:.0%}" if share is not None else "–",
        )
    counts = Table(title="Incidents by category and peak severity", title_justify="left", show_edge=False)
    counts.add_column("group")
    counts.add_column("incidents")
    counts.add_column("")
    most = max([row["incidents"] for row in report["by_category"] + report["by_severity"]] or [1])
    for row in report["by_category"]:
        counts.add_row(row["category"], str(row["incidents"]), bar(row["incidents"], most))
    for row in report["by_severity"]:
        counts.add_row(row["severity"], str(row["incidents"]), bar(row["incidents"], most))
    months = Table(title="Over time (median time to resolve)", title_justify="left", show_edge=False)
    months.add_column("month")
    months.add_column("incidents")
    months.add_column("resolve")
    months.add_column("")
    longest = max([row["time_to_resolve_s"]["median"] or 0 for row in report["by_month"]] or [0])
    for row in report["by_month"]:
        median = row["time_to_resolve_s"]["median"]
        months.add_row(row["month"], str(row["incidents"]), seconds_text(median), bar(median, longest))
    customers = [outcomes_table(report["outcomes"])] + (
        [remedies_table(report["remedies"])] if report["remedies"] else []
    )
    return Group(header, overall, on_time, per_playbook, *customers, counts, months)


def _figure(value: float | None, sign: str = "") -> str:
    return "–" if value is None else format(value, sign + "g")


def outcomes_table(outcomes: dict[str, dict[str, Any]]) -> Table:
    """Customer outcomes: how many incidents measured each and how many have both figures; the mean before,
    after and change over those compared."""
    title = "Customer outcomes (before, after, change: means over the incidents compared, which have both)"
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in ("outcome", "measured", "compared", "before", "after", "change"):
        table.add_column(column)
    for metric, row in outcomes.items():
        table.add_row(
            metric,
            str(row["incidents_measured"]),
            str(row["incidents_compared"]),
            _figure(row["mean_baseline"]),
            _figure(row["mean_latest"]),
            _figure(row["mean_change"], "+"),
        )
    return table


def remedies_table(remedies: dict[str, dict[str, Any]]) -> Table:
    """Remedies by kind: records, how many were issued, the value issued per currency or unit."""
    table = Table(title="Remedies", title_justify="left", show_edge=False)
    for column in ("kind", "records", "issued", "value issued"):
        table.add_column(column)
    for kind, row in remedies.items():
        value = ", ".join(f"{amount:g} {unit}" for unit, amount in row["value"].items()) or "–"
        table.add_row(kind, str(row["records"]), str(row["issued"]), value)
    return table
