"""`crisisctl stats`: how fast the responses really are, live incidents and drills apart."""

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from crisisctl.cli.context import app_context
from crisisctl.cli.params import JsonFlag
from crisisctl.cli.scope import DrillFlag, LiveFlag, drills_wanted, keep_apart, say_left_out
from crisisctl.errors import UsageError


def stats_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only incidents declared on or after YYYY-MM-DD.")
    ] = None,
    drills: DrillFlag = False,
    live: LiveFlag = False,
    html: Annotated[
        Path | None, typer.Option("--html", metavar="FILE", help="Also write a one-file HTML report with charts.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Response-time figures: time to acknowledge, to first customer notice, to resolve; steps on time.

    Medians and 90th percentiles in seconds from the stated declaration time,
    overall, per playbook, category, peak severity (the highest an incident
    reached) and month. Notices to customers and to key accounts are customer notices.

    Live incidents only: drills are counted with --drill, never mixed; a line on
    standard error says how many were left out.

    Example: crisisctl stats --since 2026-01-01 --json
    """
    from crisisctl.incident.actions import action_counts
    from crisisctl.incident.metrics import measure
    from crisisctl.incident.service import incident_now
    from crisisctl.incident.stats import Measured, stats_report
    from crisisctl.output.plain import print_json
    from crisisctl.output.stats import stats_plain, stats_view

    try:
        first_day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise UsageError(f"--since {since} is not a date", "write YYYY-MM-DD") from None
    wanted = drills_wanted(drills, live)
    context = app_context(ctx)
    service = context.service()
    rows = context.log.incidents(include_closed=True, drill=wanted)
    since_first_day = (row for row in rows if not first_day or row.declared_at[:10] >= first_day.isoformat())
    chosen, left_out = keep_apart(since_first_day, wanted)
    measured = []
    for row in chosen:
        state, playbook = service.load(row.id)
        measured.append(Measured.of(state, playbook, measure(state, playbook, incident_now(state, context.now()))))
    report = stats_report(measured, drills=drills, since=first_day)
    report["action_items"] = action_counts((item for m in measured for item in m.actions), context.now())
    if html is not None:
        from crisisctl.cli.outfile import write_private
        from crisisctl.render.statsreport import render_stats_html

        write_private(html, render_stats_html(report))
        context.err.print(f"stats written to {html}")
    if as_json:
        print_json(report)
    elif sys.stdout.isatty():
        context.out.print(stats_view(report))
    else:
        print(stats_plain(report))
    say_left_out(len(left_out), "incident", "incidents", "stats", shown=("counted", "counts"))
