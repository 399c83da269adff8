"""The real third-party consumers some tests run on crisisctl's output: found, or the test is skipped saying how to
install them. In CI (CI=true) a missing consumer fails the test instead: CI must prove what they check."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

CONSUMERS = Path(__file__).resolve().parent / "consumers"
NODE_MODULES = CONSUMERS / "node_modules"
NPM_CI = "npm ci --prefix tests/consumers"


def missing(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where every consumer is installed by .ci/run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test may not be skipped)")
    pytest.skip(reason)


def python_module(name: str) -> ModuleType:
    """A consumer from PyPI, installed with the test extra."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"{name} is not installed: .venv/bin/pip install -e '.[test]'")


def venv_command(name: str) -> str:
    """A command a PyPI consumer installs beside this Python (csvkit's csvjson)."""
    import sys

    found = Path(sys.executable).parent / name
    if found.is_file():
        return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        missing(f"{name} is not installed: .venv/bin/pip install -e '.[test]'")
    return on_path


def node_package_file(relative: str) -> Path:
    """A file of an npm package from tests/consumers/package.json."""
    found = NODE_MODULES / relative
    if not found.is_file():
        missing(f"{relative} not found in tests/consumers/node_modules: run {NPM_CI}")
    return found


def node_package_program(relative: str, package: str) -> Path:
    """An executable of an npm package whose install script marks it executable (.npmrc turns scripts off)."""
    found = node_package_file(relative)
    if not os.access(found, os.X_OK):
        missing(
            f"{relative} is not executable: run npm rebuild --prefix tests/consumers --ignore-scripts=false {package}"
        )
    return found


def program(name: str, how: str) -> str:
    """A program of the machine (java, node, chromium)."""
    found = shutil.which(name)
    if found is None:
        missing(f"{name} not found on PATH: {how}")
    return found
