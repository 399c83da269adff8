"""Posting to a notification target through Apprise (chat, SMS gateways, webhooks); imported only to send.

Apprise says only whether a post succeeded. Its log says why not, and that decides what crisisctl may record:
nothing left when no connection was made, or the server answered with an error; anything else (a timeout, a
connection reset after the request went out) may have arrived. The log may quote the URL and its tokens, so it is
read here and never shown."""

from __future__ import annotations

import logging
import re
from typing import Any

from crisisctl.errors import UsageError
from crisisctl.incident.notifier import PostResult, Target

_NOT_SENT = ("Failed to establish a new connection", "Name or service not known", "nodename nor servname")
_ANSWERED = re.compile(r"error=(\d{3})")
_MAYBE_ACTED = ("502", "504")
_TRY_AGAIN = ("408", "429")


class _Kept(logging.Handler):
    """Apprise's log lines of one post, kept for reading (never printed: they may quote the URL)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def require_apprise(target: Target) -> None:
    """Refuse (exit 2) a target when Apprise is not installed: checked before anything is recorded."""
    from importlib.util import find_spec

    if find_spec("apprise") is None:
        raise UsageError(
            f"the notification target {target.name} needs Apprise, which is not installed",
            "pip install 'crisisctl[notify]'",
        )


def usable(target: Target) -> Any:
    """An Apprise object holding the target's URL; refuses (exit 2) a URL Apprise cannot use, before anything is
    recorded."""
    require_apprise(target)
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(target.url()):
        raise UsageError(
            f"the URL of the notification target {target.name} is not an Apprise URL crisisctl can use",
            "check the variable its url_env names against Apprise's list of services (the URL is not shown: it"
            " may hold a token)",
        )
    return notifier


def post(target: Target, title: str, body: str) -> PostResult:
    """One post to the target; `unknown` when it may have arrived although Apprise reports a failure."""
    notifier = usable(target)
    logger = logging.getLogger("apprise")
    kept, level, propagate = _Kept(), logger.level, logger.propagate
    logger.addHandler(kept)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # Python's last-resort handler would print the URL on standard error
    try:
        succeeded = bool(notifier.notify(title=title, body=body))
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)
        logger.propagate = propagate
    if succeeded:
        return PostResult("sent", f"posted to {target.name}")
    return _failure(target, kept.lines)


def _failure(target: Target, lines: list[str]) -> PostResult:
    """Failed only when nothing can have arrived; a URL of several recipients of which some were served, a
    gateway's 502/504 (the service behind it may have acted) or a timeout are unknown."""
    if any(line.startswith("Sent ") for line in lines):
        return PostResult("unknown", f"{target.name} took it for some recipients and failed for others")
    log = "\n".join(lines)
    answered = _ANSWERED.search(log)
    if answered and answered.group(1) in _MAYBE_ACTED:
        return PostResult("unknown", f"{target.name} answered HTTP {answered.group(1)} from a gateway")
    if answered:
        code = answered.group(1)
        permanent = code.startswith("4") and code not in _TRY_AGAIN
        return PostResult("failed", f"{target.name} answered HTTP {code}: not delivered", permanent)
    if any(words in log for words in _NOT_SENT):
        return PostResult("failed", f"{target.name} could not be reached: nothing was sent")
    return PostResult("unknown", f"{target.name} did not confirm it (a timeout or a dropped connection)")
