"""Readiness of a set of playbook files: each one validated, then judged against the newest drill the log holds
by the time judged and the roster beside it (crisisctl/playbook/readiness.py holds the rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from crisisctl.incident.drills import last_drills
from crisisctl.incident.port import EventLog
from crisisctl.playbook.catalog import NoticeLint, TemplateCheck, validate_files
from crisisctl.playbook.files import discover
from crisisctl.playbook.findings import Finding
from crisisctl.playbook.readiness import Readiness, assess
from crisisctl.playbook.roster import Roster, load_roster


def assess_playbooks(
    log: EventLog,
    paths: Sequence[Path],
    now: dt.datetime,
    today: dt.date,
    template_check: TemplateCheck,
    notice_lint: NoticeLint,
) -> list[Readiness]:
    """Each playbook file's readiness at `now` (`today` in the reader's zone); an invalid file is not ready, for
    that reason alone. The templates are checked and the notices linted by the callables given (render/'s job)."""
    report = validate_files(discover(paths), today, template_check, notice_lint=notice_lint)
    drills = last_drills(log, now)  # a drill held after the judged time is not known then
    rosters: dict[Path, Roster | None] = {}
    results = []
    for result in report.results:
        if result.playbook is None:
            invalid = Finding(
                "invalid",
                f"not a valid playbook ({len(result.problems)} problem(s))",
                f"fix it first: crisisctl playbook validate {result.file}",
            )
            results.append(Readiness(result.playbook_id or result.file, result.file, findings=[invalid]))
            continue
        playbook = result.playbook
        folder = Path(result.file).parent
        if folder not in rosters:
            rosters[folder] = load_roster(folder)
        untranslated = [warning for warning in result.warnings if warning.rule == "notice-locale-missing"]
        results.append(assess(playbook, drills.get(playbook.id), rosters[folder], untranslated, now, today))
    return results
