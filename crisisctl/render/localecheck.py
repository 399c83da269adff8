"""Which locales of a communication have no template of their own (and would go out in another language)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crisisctl.errors import CrisisError
from crisisctl.playbook.model import Playbook
from crisisctl.render.environment import resolve_template
from crisisctl.render.notices import localized_name


def missing_locales(playbook: Playbook, roots: Sequence[Path]) -> list[tuple[str, str]]:
    """(communication, locale) for each listed locale with no `name.LOCALE.ext.j2`; the first listed locale
    may use the shared `name.ext.j2`, which is written in it. A template that cannot be resolved safely
    counts as missing (validation says why)."""
    missing = []
    for communication in playbook.communications:
        for position, locale in enumerate(communication.locales):
            names = [localized_name(communication.template, locale)]
            if position == 0:
                names.append(communication.template)
            if not any(_exists(name, roots) for name in names):
                missing.append((communication.id, locale))
    return missing


def _exists(name: str, roots: Sequence[Path]) -> bool:
    try:
        return resolve_template(name, roots) is not None
    except CrisisError:
        return False
