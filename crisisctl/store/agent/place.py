"""Where a user's agent listens: a socket in a folder only that user can open, named for everything that decides
how libpq connects (the PG* variables, HOME, the working folder) and for the crisisctl build it runs."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import crisisctl
from crisisctl.wholefile import write_whole

if TYPE_CHECKING:

    class Digest(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def hexdigest(self) -> str: ...


ENV_AGENT = "CRISISCTL_AGENT"  # "off": every command connects by itself
ENV_IDLE = "CRISISCTL_AGENT_IDLE"  # seconds without a command before the agent ends
DEFAULT_IDLE_SECONDS = 600.0
_PACKAGE = Path(crisisctl.__file__).parent


def enabled() -> bool:
    return os.environ.get(ENV_AGENT, "").strip().lower() not in ("off", "0", "no", "false")


def idle_seconds() -> float:
    try:
        return max(0.5, float(os.environ.get(ENV_IDLE, DEFAULT_IDLE_SECONDS)))
    except ValueError:
        return DEFAULT_IDLE_SECONDS


def private_folder() -> Path | None:
    """$XDG_RUNTIME_DIR/crisisctl, else $TMPDIR (or /tmp)/crisisctl-UID: made 0700 if missing, used only when it
    is a real folder of this user that no one else may enter (anything else could let another user pose as the
    agent). Not tempfile.gettempdir(): importing tempfile costs every command 7 ms."""
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    temporary = os.environ.get("TMPDIR") or "/tmp"
    folder = Path(runtime, "crisisctl") if runtime else Path(temporary, f"crisisctl-{uid}")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        status = folder.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(status.st_mode) and status.st_uid == uid and not status.st_mode & 0o077
    return folder if private else None


def socket_path(folder: Path) -> Path | None:
    """The agent for this environment and build; None when the working folder is gone. The name is a MAC
    (`_digest`) under a random key of this user's: socket paths are world-readable in /proc/net/unix, and the
    environment holds PGPASSWORD, so nobody else can test guesses against it."""
    key = _name_key(folder)
    if key is None:
        return None
    try:
        here = os.getcwd()
    except OSError:
        return None
    digest = _digest(key)
    for name in sorted(os.environ):
        if name.startswith(("PG", "CRISISCTL_")) or name == "HOME":
            digest.update(f"{name}={os.environ[name]}\0".encode(errors="surrogateescape"))
    digest.update(f"cwd={here}\0python={sys.prefix}\0build={build()}".encode(errors="surrogateescape"))
    return folder / f"agent-{digest.hexdigest()[:24]}.sock"


def _name_key(folder: Path) -> bytes | None:
    """32 random bytes in `<folder>/key` (0600), made on first use."""
    path = folder / "key"
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    except OSError:
        return None
    if len(key) == 32:
        return key
    try:
        write_whole(path, os.urandom(32), 0o600)
        return path.read_bytes()
    except OSError:
        return None


def build() -> str:
    """The version and the size and time of every module: an agent never serves a crisisctl other than the
    caller's, even in a working copy whose files change between commands."""
    digest = _digest(b"")
    digest.update(crisisctl.__version__.encode())
    pending = [_PACKAGE]
    while pending:
        with os.scandir(pending.pop()) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    pending.append(Path(entry.path))
            elif entry.name.endswith(".py"):
                status = entry.stat()
                digest.update(f"{entry.path}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


def _digest(key: bytes) -> Digest:
    """Keyed BLAKE2b (a MAC by design; unkeyed for an empty key) from `_blake2`, the module hashlib itself takes
    it from: importing hashlib loads OpenSSL as well, about 2 ms of every command on a team log. A Python built
    without `_blake2` has no BLAKE2 in hashlib either, and gets HMAC-SHA256."""
    try:
        from _blake2 import blake2b
    except ImportError:
        import hmac

        return hmac.new(key, digestmod="sha256")
    return blake2b(key=key, digest_size=12)
