"""The SARIF 2.1.0 report of `playbook validate`, as code-scanning services (GitHub) read it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

from rich.console import Console

from crisisctl import __version__
from crisisctl.errors import Problem
from crisisctl.output.paths import absolute, from_base
from crisisctl.playbook.catalog import CatalogReport
from crisisctl.playbook.rules import RULE_BY_ID, Level, Rule, plain

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "%SRCROOT%"  # the uriBaseId GitHub's own examples use for the repository root


def report_sarif(report: CatalogReport, console: Console, base_dir: Path) -> None:
    """SARIF 2.1.0 with paths relative to `base_dir`; warnings silenced by an ignore comment are results with an
    in-source suppression, and findings about no file (advice on the installation) are tool notifications."""
    base = base_dir.resolve()
    findings: list[tuple[Problem, Level, bool]] = [
        *((problem, "error", False) for problem in report.problems),
        *((problem, "warning", False) for problem in report.warnings),
        *((problem, "warning", True) for problem in report.suppressed),
    ]
    located = [finding for finding in findings if finding[0].file]
    rule_ids = sorted({problem.rule for problem, _, _ in located})
    rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    results = []
    for problem, level, suppressed in located:
        result = _result(problem, level, rule_index[problem.rule], base)
        if suppressed:
            result["suppressions"] = [{"kind": "inSource"}]
        results.append(result)
    notifications = [
        {"level": level, "message": {"text": _text(problem)}, "associatedRule": {"id": problem.rule}}
        for problem, level, _ in findings
        if not problem.file
    ]
    run = {
        "tool": {
            "driver": {
                "name": "crisisctl",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_descriptor(_rule(rule_id, findings)) for rule_id in rule_ids],
            }
        },
        "invocations": [
            {"executionSuccessful": True, **({"toolExecutionNotifications": notifications} if notifications else {})}
        ],
        "originalUriBaseIds": {ROOT_ID: {"uri": _folder_uri(base)}},
        "columnKind": "unicodeCodePoints",  # the YAML reader counts characters, not UTF-16 units or bytes
        "results": results,
    }
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    console.file.write(json.dumps(sarif, ensure_ascii=True, indent=2) + "\n")
    console.file.flush()


def _rule(rule_id: str, findings: list[tuple[Problem, Level, bool]]) -> Rule:
    """The registered rule; a rule missing from the registry (a bug) still gets texts a reader can act on."""
    known = RULE_BY_ID.get(rule_id)
    if known is not None:
        return known
    level = next(level for problem, level, _ in findings if problem.rule == rule_id)
    return Rule(rule_id, level, rule_id, f"The rule {rule_id}.", "See docs/playbook-format.md, Every rule.")


def _descriptor(rule: Rule) -> dict[str, Any]:
    # SARIF1001: a `name` that only repeats the id (enum, Enum) is left out.
    name = {"name": rule.name} if rule.name.lower() != rule.id.lower() else {}
    return {
        "id": rule.id,
        **name,
        "shortDescription": {"text": plain(rule.summary)},
        "fullDescription": {"text": plain(rule.wrong)},
        "help": {
            "text": f"{plain(rule.wrong)} How to fix: {plain(rule.fix)}",
            "markdown": f"{rule.wrong}\n\n**How to fix:** {rule.fix}",
        },
        "defaultConfiguration": {"level": rule.level},
    }


def _text(problem: Problem) -> str:
    where = f"{problem.path}: " if problem.path else ""
    return where + problem.message + (f" ({problem.hint})" if problem.hint else "")


def _result(problem: Problem, level: Level, rule_index: int, base: Path) -> dict[str, Any]:
    return {
        "ruleId": problem.rule,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": _text(problem)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(problem.file, base),
                    "region": {"startLine": problem.line, "startColumn": problem.column},
                }
            }
        ],
    }


def _artifact(file: str, base: Path) -> dict[str, str]:
    """A file inside the base folder as a percent-encoded path relative to it; any other as an absolute file URI."""
    relative = from_base(file, base)
    if relative is None:
        return {"uri": absolute(file).as_uri()}
    return {"uri": quote_from_bytes(os.fsencode(relative.as_posix()), safe="/"), "uriBaseId": ROOT_ID}


def _folder_uri(folder: Path) -> str:
    uri = folder.as_uri()
    return uri if uri.endswith("/") else uri + "/"
