"""Files written whole or not at all, and checked against the digest the log recorded: the outbox's notices and
the evidence folder's copies."""

from __future__ import annotations

import os
from pathlib import Path


def write_whole(path: Path, payload: bytes, mode: int) -> None:
    """Write under a temporary name (never following a link), fsync, rename over `path`, fsync the folder: a crash
    leaves the old file or the new one, never half of one. Raises OSError."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    descriptor = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # the umask may have narrowed a shared mode
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def holds(path: Path, sha256: str) -> bool:
    """Whether the file is there with exactly the bytes whose digest was recorded."""
    import hashlib  # here, not above: the agent's client writes with this module on every team-log command

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False
