"""Shell completion for ids: playbooks from the playbook folder; incidents, steps, roles, notices from the log."""

import os
from contextlib import closing
from pathlib import Path

import typer

from crisisctl.settings import ENV_DB, ENV_PLAYBOOKS, Settings


def _settings(ctx: typer.Context) -> Settings:
    """Completion runs without the main callback, so read the global options (or their variables) directly."""
    params = ctx.find_root().params
    db = params.get("db") or os.environ.get(ENV_DB)
    playbooks = params.get("playbooks") or os.environ.get(ENV_PLAYBOOKS) or "playbooks"
    return Settings(playbooks=Path(playbooks), templates=Path("templates"), db_flag=db or None)


def _matching(values: list[str], incomplete: str) -> list[str]:
    return sorted(value for value in values if value.lower().startswith(incomplete.lower()))


def complete_playbook(ctx: typer.Context, incomplete: str) -> list[str]:
    folder = _settings(ctx).playbooks
    stems = [path.stem for path in folder.glob("*.y*ml")] if folder.is_dir() else []
    return _matching(stems, incomplete)


def complete_incident(ctx: typer.Context, incomplete: str) -> list[str]:
    from crisisctl.errors import CrisisError
    from crisisctl.store.opening import open_log

    try:
        with closing(open_log(_settings(ctx).db_target)) as log:
            return _matching(log.incident_ids(), incomplete)
    except CrisisError:
        return []


def _pinned_ids(ctx: typer.Context, kind: str) -> list[str]:
    from crisisctl.clock import SystemClock
    from crisisctl.errors import CrisisError
    from crisisctl.incident.service import IncidentService
    from crisisctl.store.opening import open_log

    incident = ctx.params.get("incident")
    if not incident:
        return []
    try:
        with closing(open_log(_settings(ctx).db_target)) as log:
            _, playbook = IncidentService(log, SystemClock(), "").load(str(incident))
    except CrisisError:
        return []
    if kind == "step":
        return [step.id for step in playbook.steps]
    if kind == "role":
        return [role.id for role in playbook.roles]
    if kind == "input":
        return [f"{declared.id}=" for declared in playbook.inputs]
    return [communication.id for communication in playbook.communications]


def complete_step(ctx: typer.Context, incomplete: str) -> list[str]:
    return _matching(_pinned_ids(ctx, "step"), incomplete)


def complete_role(ctx: typer.Context, incomplete: str) -> list[str]:
    return _matching(_pinned_ids(ctx, "role"), incomplete)


def complete_communication(ctx: typer.Context, incomplete: str) -> list[str]:
    return _matching(_pinned_ids(ctx, "communication"), incomplete)


def complete_input(ctx: typer.Context, incomplete: str) -> list[str]:
    return _matching(_pinned_ids(ctx, "input"), incomplete)
