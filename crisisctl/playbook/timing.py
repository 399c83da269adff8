"""Timing lint: deadlines that the plan's own order of work cannot meet.

Every `due` counts from the declaration (a follow-up step's, `after: resolved`, and that of a notice sent only by
follow-up steps, from the resolution), so a step cannot be finished before the latest due of the steps it waits
for (directly or further up its `depends_on` chain), and a notice cannot go out before the step that sends it
can be finished. Only dues on the same clock are compared. These are warnings: a team may beat its own dues.
"""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

from crisisctl.errors import Problem
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.locate import Locator, locate_playbook
from crisisctl.playbook.model import Communication, Playbook, Step

REGULATOR = "regulator"


class _Ready(Struct, frozen=True):
    """When the plan has a step done, and through which step it waits for that (None: its own due)."""

    due: dt.timedelta
    via: str | None


class _Schedule:
    """Each step's latest due on its way, in dependency order, each step once.

    An explicit stack walks the steps (a chain of thousands must not meet the recursion limit), and a
    step keeps only the next step of its binding chain, so long chains cost no more than their length.
    A valid playbook has no cycles.
    """

    def __init__(self, playbook: Playbook) -> None:
        self.steps = {step.id: step for step in playbook.steps}
        self.before: dict[str, _Ready] = {}  # the latest `ready` among a step's dependencies
        self.ready: dict[str, _Ready] = {}
        for start in self.steps:
            self._settle(start)

    def _settle(self, start: str) -> None:
        stack = [start]
        while stack:
            current = stack[-1]
            if current in self.ready:
                stack.pop()
                continue
            step = self.steps[current]
            depends = [dep for dep in step.depends_on if dep in self.steps and self._same_clock(step, dep)]
            waiting = [dep for dep in depends if dep not in self.ready]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            latest = max(
                (_Ready(self.ready[dep].due, dep) for dep in depends if self.ready[dep].due != _NEVER),
                key=lambda found: found.due,
                default=None,
            )
            if latest is not None:
                self.before[current] = latest
            own = self.steps[current].due
            if latest is not None and (own is None or latest.due > own):
                self.ready[current] = latest
            else:
                self.ready[current] = _Ready(own if own is not None else _NEVER, None)

    def _same_clock(self, step: Step, dependency: str) -> bool:
        """A follow-up step's due counts from the resolution, so only other follow-up work can bind it."""
        return not step.follow_up or self.steps[dependency].follow_up

    def chain(self, step_id: str) -> list[str]:
        """The steps from this one to the one whose due binds it."""
        chain = [step_id]
        via = self.before[step_id].via
        while via is not None:
            chain.append(via)
            via = self.ready[via].via
        return chain


_NEVER = dt.timedelta.max  # a step with no due on its way


def timing_findings(playbook: Playbook, locator: Locator | None = None) -> list[Problem]:
    """`due-before-dependency`, `notice-due-before-step` and `regulator-clock` warnings for a valid playbook."""
    where = locator or locate_playbook(playbook)
    schedule = _Schedule(playbook)
    findings: list[Problem] = []
    for index, step in enumerate(playbook.steps):
        bound = schedule.before.get(step.id)
        if step.due is None or bound is None or bound.due <= step.due:
            continue
        chain = schedule.chain(step.id)
        findings.append(
            _finding(
                playbook,
                where,
                f"steps[{index}].due",
                "due-before-dependency",
                f"step `{step.id}` is due at {_at(step.due, step.follow_up)}, but it waits for `{chain[-1]}`, "
                f"due at {_at(bound.due, step.follow_up)} ({' -> '.join(chain)})",
                f"give `{step.id}` a due of at least {_at(bound.due)}, or `{chain[-1]}` an earlier one; "
                f"{_clock(step.follow_up)}, not from when the steps before are done",
            )
        )
    for index, communication in enumerate(playbook.communications):
        findings.extend(_notice_timing(playbook, where, schedule, index, communication))
    return findings


def _notice_timing(
    playbook: Playbook, where: Locator, schedule: _Schedule, index: int, communication: Communication
) -> list[Problem]:
    senders = [step for step in playbook.steps if step.communication == communication.id]
    # The notice's due and its senders' on one clock: a notice sent only by follow-up work counts from the
    # resolution; one also sent by a step of the response, from the declaration, and only those steps can meet it.
    follow_up = playbook.follow_up_notice(communication.id)
    senders = [step for step in senders if step.follow_up == follow_up]
    regulator = communication.audience == REGULATOR
    if regulator and follow_up:
        return [
            _finding(
                playbook,
                where,
                f"communications[{index}]",
                "regulator-clock",
                f"`{communication.id}` goes to a regulator but only follow-up work (`after: resolved`) sends it: "
                "its due counts from the resolution, while a regulator's clock runs from awareness",
                "send it from a step of the response (without `after: resolved`)",
            )
        ]
    if regulator and communication.due is None and all(step.due is None for step in senders):
        return [
            _finding(
                playbook,
                where,
                f"communications[{index}]",
                "regulator-clock",
                f"`{communication.id}` goes to a regulator but has no deadline, nor has a step that sends it",
                "regulators' notification duties run on clocks (72h after awareness of a personal-data breach "
                "under GDPR Art. 33): give it the `due` the law sets",
            )
        ]
    if communication.due is None or not senders:
        return []
    # The notice can go out once any one of the steps that send it can be done.
    sender = min(senders, key=lambda step: schedule.ready[step.id].due)
    ready = schedule.ready[sender.id]
    if ready.due == _NEVER or ready.due <= communication.due:
        return []
    chain = [sender.id] if ready.via is None else schedule.chain(sender.id)
    if regulator:
        return [
            _finding(
                playbook,
                where,
                f"communications[{index}].due",
                "regulator-clock",
                f"the regulator's clock for `{communication.id}` ({_at(communication.due, follow_up)}) cannot be met:"
                f" the work before it is due as late as {_at(ready.due, follow_up)} ({' -> '.join(chain)})",
                "bring the dues of the steps before it within the regulator's clock",
            )
        ]
    return [
        _finding(
            playbook,
            where,
            f"communications[{index}].due",
            "notice-due-before-step",
            f"`{communication.id}` is due at {_at(communication.due, follow_up)}, but the step that sends it is only "
            f"planned to be done by {_at(ready.due, follow_up)} ({' -> '.join(chain)})",
            "give the notice a later due, or earlier dues to the steps that lead to it",
        )
    ]


def _at(due: dt.timedelta, follow_up: bool = False) -> str:
    """A due as an offset from the declaration (follow-up work's: from the resolution, and said so); whole hours
    within a week as hours, as legal clocks are (72h)."""
    seconds = int(due.total_seconds())
    offset = f"+{seconds // 3600}h" if seconds % 3600 == 0 and seconds < 7 * 86400 else "+" + format_duration(due)
    return offset + (" after the resolution" if follow_up else "")


def _clock(follow_up: bool) -> str:
    return "follow-up dues count from the resolution" if follow_up else "dues count from the declaration"


def _finding(playbook: Playbook, where: Locator, path: str, rule: str, message: str, hint: str) -> Problem:
    line, column = where.position(path)
    return Problem(playbook.source, line, column, path, rule, message, hint)
