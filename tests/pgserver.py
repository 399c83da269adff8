"""A throwaway PostgreSQL for the tests: from CRISISCTL_TEST_PG_DSN, or started here when the binaries exist."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ENV_DSN = "CRISISCTL_TEST_PG_DSN"
HOW_TO_ENABLE = (
    f"PostgreSQL tests need a server: set {ENV_DSN}=postgresql://SUPERUSER:PASSWORD@127.0.0.1:PORT/postgres, "
    "or install PostgreSQL (apt-get install postgresql) so that initdb is found; .ci/run does both"
)


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """initdb into a temporary folder as an unprivileged user, listening on loopback only."""

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin = bin_dir
        self.durable = durable  # fsync on, as in production (the benchmark); tests need not wait for the disk
        self.folder = Path(tempfile.mkdtemp(prefix="crisisctl-pg-"))
        self.port = _free_port()
        self.password = secrets.token_hex(12)
        self.user = None if os.geteuid() != 0 else ("postgres" if _exists("postgres") else "nobody")

    def _run(self, *command: str) -> None:
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        prefix = [runuser, "-u", self.user, "--"] if self.user else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        if self.user:
            shutil.chown(self.folder, self.user)
        secret = self.folder / "pw"
        secret.write_text(self.password)
        if self.user:
            shutil.chown(secret, self.user)
        data = self.folder / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(secret), "-E", "UTF8",
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--no-sync",
        )  # fmt: skip
        self.resume()
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def resume(self) -> None:
        """Start the server on its data folder, and wait until it accepts connections."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=60"
        if not self.durable:
            options += " -c fsync=off"
        data, log = str(self.folder / "data"), str(self.folder / "log")
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-o", options, "-l", log, "-w", "start")

    def halt(self) -> None:
        """Stop the server as an operator would (fast: every session terminated), keeping its data."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        except (OSError, subprocess.SubprocessError):
            pass  # never started: nothing to stop
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True
