"""Where a new playbook repository's CI installs crisisctl from: crisisctl is not on PyPI, so a pinned git source."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from msgspec import Struct

PLACEHOLDER_HOST = "YOUR-GIT-HOST"
PLACEHOLDER_SOURCE = f"https://{PLACEHOLDER_HOST}/crisisctl"
_URL = re.compile(r"https://[A-Za-z0-9._~:/%+-]+")  # no `@`: no credentials, nothing YAML or pip reads
_COMMIT = re.compile(r"[0-9a-f]{40}")


class CrisisctlSource(Struct, frozen=True):
    """The pip requirement for crisisctl, and whether it is real or a placeholder the team must replace."""

    requirement: str
    pinned: bool


def installed_source(version: str) -> CrisisctlSource:
    """The source of the running crisisctl, as pip recorded it (PEP 610 `direct_url.json`)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        recorded = distribution("crisisctl").read_text("direct_url.json")
    except PackageNotFoundError:
        recorded = None
    try:
        direct_url = json.loads(recorded) if recorded else None
    except ValueError:
        direct_url = None
    return source_from(direct_url if isinstance(direct_url, dict) else None, version)


def source_from(direct_url: Mapping[str, object] | None, version: str) -> CrisisctlSource:
    """A git install from an https URL without credentials is pinned to its commit; anything else (a local
    folder, an editable checkout, a wheel file) cannot be reached from CI, so it gets a placeholder to replace."""
    url = direct_url.get("url") if direct_url else None
    vcs = direct_url.get("vcs_info") if direct_url else None
    commit = vcs.get("commit_id") if isinstance(vcs, dict) and vcs.get("vcs") == "git" else None
    if isinstance(url, str) and isinstance(commit, str) and _URL.fullmatch(url) and _COMMIT.fullmatch(commit):
        return CrisisctlSource(f"crisisctl @ git+{url}@{commit}", pinned=True)
    return CrisisctlSource(f"crisisctl @ git+{PLACEHOLDER_SOURCE}@v{version}", pinned=False)
