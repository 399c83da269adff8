"""Core services built from the settings, for every command that needs one: nothing here is a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crisisctl.cli.context import AppContext

if TYPE_CHECKING:
    from crisisctl.incident.dispatch import NoticeDispatcher
    from crisisctl.incident.notifier import TeamNotifier


def dispatcher(context: AppContext) -> NoticeDispatcher:
    """The dispatcher with the configured channels (SMTP settings, recipients, the log's outbox)."""
    from crisisctl.delivery.config import load_config
    from crisisctl.delivery.sender import Courier
    from crisisctl.incident.dispatch import NoticeDispatcher

    return NoticeDispatcher(context.service(), Courier(load_config(), context.settings.db))


def team_notifier(context: AppContext) -> TeamNotifier:
    """The notifier with the configured targets; exit 2 when there are none."""
    from crisisctl.delivery.config import load_config
    from crisisctl.delivery.notify import post, usable
    from crisisctl.errors import UsageError
    from crisisctl.incident.notifier import TeamNotifier
    from crisisctl.playbook.roster import load_roster

    targets = [target for target in load_config().targets.values() if target.kinds]
    if not targets:
        raise UsageError(
            "no notification targets for the team are configured",
            'add one to config.toml: [notify.ops-chat] url_env = "CRISISCTL_NOTIFY_OPS_CHAT" (docs/communications.md)',
        )
    for target in targets:  # before anything is recorded: a post that cannot be made is never intended
        usable(target)
    roster = load_roster(context.settings.playbooks)
    handles = {person.id: person.chat for person in roster.people if person.chat} if roster else {}
    return TeamNotifier(context.service(), targets, post, handles)
