"""Writing a scaffold's files: all of them, or none, never through a link."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from msgspec import Struct

from crisisctl.errors import RefusedError, UsageError

_SHOWN_NAMES = 10
OVERWRITE_HINT = "pass --force to overwrite them, or choose another folder; nothing was written"


class NewFile(Struct, frozen=True):
    """A file to create: where it goes and its text."""

    path: Path
    text: str


def write_new_files(
    files: Sequence[NewFile], *, force: bool = False, existing_hint: str = OVERWRITE_HINT
) -> list[Path]:
    """Write every file, or refuse before writing any: existing files need `force`, and are named with
    `existing_hint` (what the command offers instead, for one without --force)."""
    blocked = [str(path) for path in (_blocker(new.path) for new in files) if path is not None]
    if blocked:
        raise RefusedError(
            f"in the way of the new files: {_names(sorted(set(blocked)))}",
            "move these out of the way, or choose another folder; nothing was written",
        )
    existing = [new.path for new in files if new.path.exists() or new.path.is_symlink()]
    if existing and not force:
        raise RefusedError(
            f"refusing to overwrite {len(existing)} existing file(s): {_names([str(path) for path in existing])}",
            existing_hint,
        )
    made: list[Path] = []  # the files and folders this run creates, undone if a later one fails
    for new in files:
        try:
            missing = [folder for folder in (new.path.parent, *new.path.parent.parents) if not folder.exists()]
            new.path.parent.mkdir(parents=True, exist_ok=True)
            made.extend(reversed(missing))
            if new.path.is_symlink():
                new.path.unlink()  # replace the link itself, never the file it points to
            elif not new.path.exists():
                made.append(new.path)
            new.path.write_text(new.text, encoding="utf-8")
        except OSError as error:
            _undo(made)
            raise UsageError(
                f"cannot write {new.path}: {error.strerror or error}",
                "check the folder's permissions and free space; the new files written before it were removed",
            ) from None
    return [new.path for new in files]


def _undo(made: Sequence[Path]) -> None:
    """Remove what a failed run created, newest first (files, then the folders that held them)."""
    for path in reversed(made):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()


def _blocker(path: Path) -> Path | None:
    """A folder where the file should go, or a file where one of its folders should be."""
    if path.is_dir() and not path.is_symlink():
        return path
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN_NAMES])
    more = len(names) - _SHOWN_NAMES
    return f"{shown} and {more} more" if more > 0 else shown
