"""Third-party tools from the npm registry that tests feed crisisctl's output to (tests/consumers/package.json).

A developer without them gets a skip that says how to install them; CI (CI=true) must have them, so there a
missing tool fails the test instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CONSUMERS = Path(__file__).resolve().parent / "consumers"
NODE_MODULES = CONSUMERS / "node_modules"
INSTALL = "npm ci --prefix tests/consumers"


def require(path: Path, what: str) -> Path:
    """`path` when it exists; otherwise a skip naming the install command, or a failure in CI."""
    if path.exists():
        return path
    message = f"{what} is not installed ({path.relative_to(CONSUMERS.parent.parent)} is missing): run {INSTALL}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
