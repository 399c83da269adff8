"""Where a reported file is, as code-scanning services read it: relative to the repository's root."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def repository_root(start: Path) -> Path:
    """The nearest folder from `start` up that holds `.git` (a folder, or a file in a worktree); else `start`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def absolute(file: str) -> Path:
    """The path as given, made absolute and normalised without resolving symbolic links: a link is named where it
    is, as text and JSON name it, not where it points."""
    return Path(os.path.abspath(file))


def from_base(file: str, base: Path) -> PurePosixPath | None:
    """The file's path relative to `base` (taken as it is or with its links resolved); None outside it."""
    path = absolute(file)
    for folder in dict.fromkeys((absolute(str(base)), base.resolve())):
        if path.is_relative_to(folder):
            return PurePosixPath(path.relative_to(folder).as_posix())
    return None
