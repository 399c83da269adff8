"""Drill reports and drill status for people and scripts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from crisisctl.clock import format_time, parse_time
from crisisctl.incident.drills import DrillScore
from crisisctl.incident.perfectteam import ScenarioOutcome
from crisisctl.incident.state import IncidentState
from crisisctl.output.problems import problem_payload
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.readiness import drill_overdue, last_drill
from crisisctl.safetext import inert


def _seconds(delta: dt.timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


def _when(delta: dt.timedelta | None) -> str:
    return f"+{format_duration(delta)}" if delta is not None else "not done"


def drill_report_payload(state: IncidentState, score: DrillScore) -> dict[str, Any]:
    """`drill report --json`: score and expectations as promised in docs, plus the details behind them."""
    return {
        "id": state.id,
        "playbook": state.playbook_id,
        "scenario": (state.scenario or {}).get("id"),
        "score": score.score,
        "formula": score.formula,
        "elapsed_s": _seconds(score.elapsed),
        "expectations": [
            {
                result.kind: result.target,
                "by": f"+{format_duration(result.by)}",
                "by_s": _seconds(result.by),
                "met": result.met,
                "at": f"+{format_duration(result.at)}" if result.at is not None else None,
                "at_s": _seconds(result.at),
            }
            for result in score.expectations
        ],
        "steps": [
            {"step": s.step, "status": s.status, "due_s": _seconds(s.due), "done_at_s": _seconds(s.done_at)}
            for s in score.steps
        ],
        "time_to_first_customer_notice_s": _seconds(score.first_customer_notice),
        "unfilled_roles": score.unfilled_roles,
    }


def drill_report_view(state: IncidentState, score: DrillScore) -> RenderableType:
    header = Text(f"{state.id}  drill of {state.playbook_id}: score {score.score}/100", style="bold")
    expectations = Table(title="Expectations", title_justify="left", show_edge=False, header_style="bold")
    for column in ("expected", "by", "done", "result"):
        expectations.add_column(column)
    for result in score.expectations:
        if result.met:
            verdict = Text("met", style="green")
        elif result.due or result.at is not None:
            verdict = Text("MISSED", style="bold red")
        else:
            verdict = Text("open", style="yellow")
        expectations.add_row(
            f"{result.kind} {result.target}", f"+{format_duration(result.by)}", _when(result.at), verdict
        )
    steps = Table(title="Steps against their due", title_justify="left", show_edge=False, header_style="bold")
    for column in ("step", "due", "done", "result"):
        steps.add_column(column)
    styles = {"on-time": "green", "late": "yellow", "missed": "bold red"}
    for step in score.steps:
        steps.add_row(
            step.step,
            f"+{format_duration(step.due)}",
            _when(step.done_at),
            Text(step.status, style=styles.get(step.status, "dim")),
        )
    notice = _when(score.first_customer_notice) if score.first_customer_notice is not None else "none sent"
    facts = Text(f"first customer notice: {notice}   drill time elapsed: {format_duration(score.elapsed)}")
    parts: list[RenderableType] = [header, facts, expectations, steps]
    if score.unfilled_roles:
        parts.append(Text("unfilled required roles: " + ", ".join(score.unfilled_roles), style="bold red"))
    parts.append(Text(score.formula, style="dim"))
    return Group(*parts)


def drill_status_rows(
    playbooks: list[Playbook], last_drills: dict[str, str], now: dt.datetime, today: dt.date
) -> list[dict[str, Any]]:
    """One row per playbook: last drill in the log, `drill.last_drilled`, cadence, overdue (counted from the later of
    the two; never drilled with a cadence is overdue), review."""
    rows = []
    for playbook in playbooks:
        last = last_drills.get(playbook.id)
        every = playbook.drill.every
        overdue = drill_overdue(playbook, last_drill(playbook, parse_time(last) if last else None, today), now)
        review_due = _review_due(playbook)
        rows.append(
            {
                "playbook": playbook.id,
                "last_drill": last,
                "last_drilled": playbook.drill.last.isoformat() if playbook.drill.last else None,
                "every": format_duration(every) if every else None,
                "every_s": _seconds(every),
                "overdue": overdue,
                "review_overdue": review_due is not None and review_due < today,
            }
        )
    return rows


def _review_due(playbook: Playbook) -> dt.date | None:
    """When the next review is due; None without a cadence, or when it falls after the year 9999."""
    review = playbook.review
    if not (review.every and review.last):
        return None
    try:
        return review.last + review.every
    except OverflowError:
        return None


def drill_status_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for column in ("playbook", "last drill", "every", "drill", "review"):
        table.add_column(column)
    for row in rows:
        last = format_time(parse_time(row["last_drill"]))[:10] if row["last_drill"] else "never"
        if row["last_drilled"] and (not row["last_drill"] or row["last_drilled"] > last):
            last = f"{row['last_drilled']} (drill.last_drilled)"
        drill = Text("OVERDUE", style="bold red") if row["overdue"] else Text("ok", style="green")
        review = Text("overdue", style="yellow") if row["review_overdue"] else Text("ok", style="green")
        table.add_row(row["playbook"], last, row["every"] or "-", drill, review)
    return table


def drill_test_payload(outcomes: list[ScenarioOutcome]) -> dict[str, Any]:
    """`drill test --json`: one entry per scenario, with each expectation and why a perfect team missed it."""
    return {
        "scenarios": [_outcome_payload(outcome) for outcome in outcomes],
        "passed": sum(outcome.passed for outcome in outcomes),
        "failed": sum(not outcome.passed for outcome in outcomes),
    }


def _outcome_payload(outcome: ScenarioOutcome) -> dict[str, Any]:
    verdict = outcome.verdict
    reasons = verdict.reasons if verdict else {}
    return {
        "file": outcome.file,
        "scenario": outcome.scenario,
        "playbook": outcome.playbook,
        "passed": outcome.passed,
        "score": verdict.score if verdict else None,
        "expectations": [
            {
                result.kind: result.target,
                "by": f"+{format_duration(result.by)}",
                "met": result.met,
                "at": f"+{format_duration(result.at)}" if result.at is not None else None,
                "reason": reasons.get((result.kind, result.target)),
            }
            for result in (verdict.expectations if verdict else [])
        ],
        "refusals": [
            {"action": refusal.what, "at": f"+{format_duration(refusal.at)}", "message": refusal.message}
            for refusal in (verdict.refusals if verdict else [])
        ],
        "error": outcome.error,
        "problems": [problem_payload(problem) for problem in outcome.problems],
    }


def drill_test_lines(outcomes: list[ScenarioOutcome]) -> list[Text]:
    """One line per scenario (PASS or FAIL), then for a failure what was missed and why."""
    lines: list[Text] = []
    for outcome in outcomes:
        name = f"{outcome.scenario or outcome.file} ({outcome.playbook or 'no playbook'})"
        verdict = outcome.verdict
        if verdict is None:
            lines.append(_line(("FAIL", "bold red"), f"  {name}: {outcome.error}"))
            lines.extend(
                _line(f"      {problem.file}:{problem.line}:{problem.column}  {problem.message}  [{problem.rule}]")
                for problem in outcome.problems
            )
            continue
        met = sum(result.met for result in verdict.expectations)
        summary = f"  {name}: {met}/{len(verdict.expectations)} expectations met, score {verdict.score}"
        lines.append(_line(("PASS", "green") if verdict.passed else ("FAIL", "bold red"), summary))
        for result in verdict.expectations:
            if not result.met:
                reason = verdict.reasons.get((result.kind, result.target), "")
                by = format_duration(result.by)
                lines.append(_line(f"      missed: {result.kind} {result.target} by +{by}: {reason}"))
        if not verdict.passed:
            lines.extend(
                _line(f"      refused: {refusal.what} at +{format_duration(refusal.at)}: {refusal.message}")
                for refusal in verdict.refusals
            )
    return lines


def _line(*parts: str | tuple[str, str]) -> Text:
    """A line of plain and styled parts, user text made inert."""
    return Text.assemble(
        *(inert(part, keep_newlines=False) if isinstance(part, str) else (inert(part[0]), part[1]) for part in parts)
    )
