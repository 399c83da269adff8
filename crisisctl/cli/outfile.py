"""Files a command writes for the user (reports, exports, drafts): whole or not at all, private."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from crisisctl.errors import UsageError


def write_private(path: Path, text: str) -> None:
    """Replace the file in one step, created readable and writable by its owner only (0600)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist", "create it, or name another file")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder", "name a file")
    if path.exists() and not path.is_file():  # replacing a device or a pipe would destroy it
        raise UsageError(f"cannot write {path}: it is not a regular file", "name a regular file")
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"cannot write in {folder}: {error.strerror}", "check the folder's permissions") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {error.strerror}", "check the disk and the folder") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
