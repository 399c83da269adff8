"""Is a playbook ready to be used tomorrow? Drilled within its cadence, reviewed, staffed, every locale written.

Pure: the caller brings the last drills from the log, the roster, the notice lint's
`notice-locale-missing` warnings (templates are render/'s business), and the moment to judge at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from msgspec import Struct, field

from crisisctl.errors import Problem
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.findings import Finding
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.roster import Roster

TRAINED_PER_ROLE = 2  # one person is a single point of failure: ill, on leave, or the one affected


class Readiness(Struct):
    playbook: str
    file: str
    last_drill: dt.datetime | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.findings


def trusted(stated: dt.date | None, today: dt.date) -> dt.date | None:
    """A recorded `last_reviewed` or `last_drilled`, unless it lies after `today` (a typo, or a day not yet come at
    the time judged): not a date to count from."""
    return stated if stated is not None and stated <= today else None


def last_drill(playbook: Playbook, logged: dt.datetime | None, today: dt.date) -> dt.datetime | None:
    """The later of the newest drill the log holds and the playbook's `drill.last_drilled` (its day's start, UTC),
    when that is not after `today`."""
    last = trusted(playbook.drill.last, today)
    stated = dt.datetime.combine(last, dt.time(), dt.UTC) if last else None
    known = [moment for moment in (logged, stated) if moment is not None]
    return max(known) if known else None


def drill_overdue(playbook: Playbook, last: dt.datetime | None, now: dt.datetime) -> bool:
    """Never drilled counts as overdue when the playbook has a drill cadence (drills.md)."""
    every = playbook.drill.every
    return every is not None and (last is None or _after(last, every) < now)


def assess(
    playbook: Playbook,
    logged_drill: dt.datetime | None,
    roster: Roster | None,
    untranslated: Sequence[Problem],
    now: dt.datetime,
    today: dt.date,
) -> Readiness:
    """Every finding for one playbook at `now` (`today` in the reader's zone, as reviews are dated);
    `untranslated` are the validation's `notice-locale-missing` warnings for it."""
    result = Readiness(playbook.id, playbook.source, last_drill(playbook, logged_drill, today))
    result.findings.extend(_future("drill", "last_drilled", playbook.drill.last, today))
    result.findings.extend(_drill(playbook, result.last_drill, now))
    result.findings.extend(_future("review", "last_reviewed", playbook.review.last, today))
    result.findings.extend(_review(playbook, today))
    result.findings.extend(_staffing(playbook, roster))
    result.findings.extend(Finding("locale-missing", warning.message, warning.hint or "") for warning in untranslated)
    return result


def _after(moment: dt.datetime, every: dt.timedelta) -> dt.datetime:
    try:
        return moment + every
    except OverflowError:  # due after the year 9999: never overdue
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def _future(section: str, key: str, stated: dt.date | None, today: dt.date) -> list[Finding]:
    """A last review or drill dated after the day judged: not trusted, and the playbook is not ready until it is
    corrected (the date would otherwise keep it looking reviewed or drilled for years)."""
    if stated is None or trusted(stated, today) is not None:
        return []
    return [
        Finding(
            "date-in-future",
            f"{section}.{key} {stated.isoformat()} is after {today.isoformat()}, the day judged: not counted "
            f"(a typo in the year, or a {section} held after that day); the last {section} counts as not known",
            f"if it is a typo, write the day the last {section} took place in {section}.{key}",
        )
    ]


def _drill(playbook: Playbook, last: dt.datetime | None, now: dt.datetime) -> list[Finding]:
    every = playbook.drill.every
    if every is None or not drill_overdue(playbook, last, now):
        return []
    if last is None and playbook.drill.last is not None:
        return []  # a drill date, but after today (else it would count): its `date-in-future` finding says so
    hint = (
        f"run a drill (crisisctl drill start {playbook.id} --scenario FILE), or record one held elsewhere "
        "in drill.last_drilled"
    )
    if last is None:
        return [Finding("drill-overdue", f"never drilled (drill every {format_duration(every)})", hint)]
    since = _after(last, every).date().isoformat()
    message = f"drill overdue since {since} (last drilled {last.date().isoformat()}, every {format_duration(every)})"
    return [Finding("drill-overdue", message, hint)]


def _review(playbook: Playbook, today: dt.date) -> list[Finding]:
    every, last = playbook.review.every, playbook.review.last
    if every is None or (last is not None and trusted(last, today) is None):  # in the future: `date-in-future`
        return []
    hint = "review the playbook with its owner and update review.last_reviewed"
    if last is None:
        return [Finding("review-overdue", f"never reviewed (review every {format_duration(every)})", hint)]
    due = _after(dt.datetime.combine(last, dt.time(), dt.UTC), every).date()
    if due >= today:
        return []
    message = (
        f"review overdue since {due.isoformat()} (last reviewed {last.isoformat()}, every {format_duration(every)})"
    )
    return [Finding("review-overdue", message, hint)]


def _staffing(playbook: Playbook, roster: Roster | None) -> list[Finding]:
    required = [role.id for role in playbook.roles if role.required]
    if not required:
        return []
    if roster is None:
        return [
            Finding(
                "no-roster",
                f"no roster: nobody is known to be trained for the required roles {', '.join(required)}",
                f"list the team in people.yaml beside the playbooks, with the roles each is trained for "
                f"(at least {TRAINED_PER_ROLE} per required role)",
            )
        ]
    findings = []
    for role in required:
        trained = [person.id for person in roster.people if role in person.roles]
        if len(trained) < TRAINED_PER_ROLE:
            who = ", ".join(trained) if trained else "nobody"
            findings.append(
                Finding(
                    "role-understaffed",
                    f"required role {role} has {len(trained)} trained {'person' if len(trained) == 1 else 'people'} "
                    f"({who}); at least {TRAINED_PER_ROLE} are needed",
                    f"train a deputy and add {role} to their roles in {roster.file}",
                )
            )
    return findings
