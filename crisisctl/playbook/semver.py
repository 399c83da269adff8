"""Semantic Versioning 2.0.0 precedence (semver.org, section 11) for playbook versions."""

from __future__ import annotations

import re

from crisisctl.playbook.vocabulary import SEMVER_PATTERN

# A pre-release identifier's sort key: numeric ones (0) before alphanumeric ones (1); numbers by value, text in ASCII.
Identifier = tuple[int, int, str]
Precedence = tuple[int, int, int, int, tuple[Identifier, ...]]


def precedence(version: str) -> Precedence:
    """A key that orders versions by precedence: `1.0.0-rc.9` < `1.0.0-rc.10` < `1.0.0`; build metadata is ignored.

    Two versions that differ only in build metadata (`1.0.0+5`, `1.0.0+6`) have the same key.
    """
    match = re.fullmatch(SEMVER_PATTERN, version)
    if match is None:
        raise ValueError(f"`{version}` is not a semantic version")
    major, minor, patch = (int(match.group(index)) for index in (1, 2, 3))
    pre = match.group(4)
    if pre is None:
        return (major, minor, patch, 1, ())  # a release comes after each of its pre-releases
    return (major, minor, patch, 0, tuple(_identifier(part) for part in pre[1:].split(".")))


def _identifier(part: str) -> Identifier:
    return (0, int(part), "") if part.isdigit() else (1, 0, part)
