"""Validation reporters by name: text and json; github, which needs a base folder (as sarif in sarif.py does)."""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from crisisctl.errors import Problem
from crisisctl.output.paths import absolute, from_base
from crisisctl.playbook.catalog import CatalogReport
from crisisctl.safetext import inert

Reporter = Callable[[CatalogReport, Console], None]


def problem_payload(problem: Problem) -> dict[str, Any]:
    """The JSON shape promised in docs/cli.md, plus the hint."""
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "path": problem.path,
        "rule": problem.rule,
        "message": problem.message,
        "hint": problem.hint,
    }


def report_json(report: CatalogReport, console: Console) -> None:
    payload = {
        "files": report.files,
        "playbooks": report.valid_count,
        "errors": [problem_payload(problem) for problem in report.problems],
        "warnings": [problem_payload(problem) for problem in report.warnings],
        "suppressed": len(report.suppressed),
    }
    _write(console, json.dumps(payload, ensure_ascii=True, indent=2))


def _write(console: Console, text: str) -> None:
    """Machine-readable output as it is: rich would split and measure megabytes of it line by line."""
    console.file.write(text + "\n")
    console.file.flush()


def _github_escape(text: str, is_property: bool = False) -> str:
    """GitHub's workflow-command encoding, which the runner decodes; done before `inert`, which would otherwise
    show a carriage return as the text `\\x0d`."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def report_github(report: CatalogReport, console: Console, base: Path) -> None:
    """Workflow annotations; GitHub matches `file=` against the repository's root, so paths are relative to `base`
    (absolute outside it), and advice about no file names none."""
    for level, problems in (("error", report.problems), ("warning", report.warnings)):
        for problem in problems:
            message = f"[{problem.rule}] {_where(problem)}{problem.message}"
            if problem.hint:
                message += f" ({problem.hint})"
            _write(console, f"::{level}{_github_location(problem, base)}::{inert(_github_escape(message))}")


def _github_location(problem: Problem, base: Path) -> str:
    if not problem.file:
        return ""
    relative = from_base(problem.file, base)
    file = relative.as_posix() if relative is not None else str(absolute(problem.file))
    return f" file={inert(_github_escape(file, True))},line={problem.line},col={problem.column}"


def _where(problem: Problem) -> str:
    return f"{problem.path}: " if problem.path else ""


def report_text(report: CatalogReport, console: Console) -> None:
    findings = [(problem, "error") for problem in report.problems] + [
        (problem, "warning") for problem in report.warnings
    ]
    findings.sort(key=lambda item: item[0].sort_key())
    in_files = [finding for finding in findings if finding[0].file]
    for file, group in groupby(in_files, key=lambda item: item[0].file):
        console.print(Text(inert(file, keep_newlines=False), style="bold underline"))
        for problem, level in group:
            _print_finding(console, problem, level)
    for problem, level in findings:  # advice about no file (the installation) last, with no file and no line
        if not problem.file:
            _print_finding(console, problem, level)
    errors, warnings = len(report.problems), len(report.warnings)
    verdict = Text("✗ " if errors else "✓ ", style="bold red" if errors else "bold green")
    scenarios = f", {report.valid_scenario_count} valid scenario(s)" if report.scenarios else ""
    verdict.append(
        f"{report.files} file(s), {report.valid_count} valid playbook(s){scenarios}: {errors} error(s),"
        f" {warnings} warning(s)"
    )
    if report.suppressed:
        verdict.append(f", {len(report.suppressed)} ignored by comments")
    console.print(verdict)


def _print_finding(console: Console, problem: Problem, level: str) -> None:
    """A finding under its file's header, at its line and column; advice about no file has neither."""
    indent = "  " if problem.file else ""
    line = Text(indent)
    if problem.file:
        line.append(f"{problem.line}:{problem.column}", style="dim")
        line.append("  ")
    line.append(level, style="bold red" if level == "error" else "yellow")
    line.append(f"  {inert(_where(problem) + problem.message, keep_newlines=False)}")
    line.append(f"  [{problem.rule}]", style="dim")
    console.print(line)
    if problem.hint:
        console.print(Text(f"{indent}    hint: {inert(problem.hint, keep_newlines=False)}", style="cyan"))


REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
}
