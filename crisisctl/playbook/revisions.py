"""A playbook's text from a file, or from a git revision: `REV:PATH`, or `git:REV` (the other side's path at REV)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from crisisctl.errors import UsageError
from crisisctl.playbook.yamlsource import MAX_FILE_BYTES

GIT_PREFIX = "git:"
GIT_TIMEOUT_S = 30


def read_source(spec: str, counterpart: str | None = None) -> tuple[str, bytes]:
    """(a label for reports, the bytes; the loader decodes them).

    An existing file wins over a `REV:PATH` reading of the same words."""
    path = Path(spec)
    if path.is_file():
        return spec, _read_file(path)
    if spec.startswith(GIT_PREFIX):
        revision = spec[len(GIT_PREFIX) :]
        if counterpart is None or counterpart.startswith(GIT_PREFIX) or not Path(counterpart).is_file():
            raise UsageError(
                f"`{spec}` names a revision, but not which file",
                "give the file on the other side (crisisctl playbook diff git:main playbooks/x.yaml), or REV:PATH",
            )
        return _from_git(revision, _relative(Path(counterpart)))
    revision, colon, inside = spec.partition(":")
    if colon and revision and inside:
        return _from_git(revision, inside)
    raise UsageError(
        f"{spec} does not exist",
        "name a playbook file, REV:PATH (HEAD~1:playbooks/x.yaml), or git:REV for the other file's path at REV",
    )


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UsageError(f"{path} cannot be read: {error.strerror}", "check the path and its permissions") from None


def _relative(path: Path) -> str:
    """The path as git reads it from the working folder: `./` + relative, so that it needs no repository root."""
    relative = os.path.relpath(path.resolve())
    return relative if relative.startswith("..") else f"./{relative}"


def _from_git(revision: str, inside: str) -> tuple[str, bytes]:
    if revision.startswith("-"):
        raise UsageError(f"`{revision}` is not a revision", "name a commit, branch or tag: HEAD~1, main, v1.2.0")
    try:
        done = subprocess.run(
            ["git", "show", f"{revision}:{inside}"],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError("git is not installed", "install git, or compare two files") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git took over {GIT_TIMEOUT_S}s to show {revision}:{inside}", "try again") from None
    label = f"{revision}:{inside}"
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"{label} cannot be read from git: {reason[-1] if reason else 'unknown error'}",
            "check the revision (git log) and the path at that revision (git ls-tree -r REV)",
        )
    return label, done.stdout
