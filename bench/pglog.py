"""The `{pg_big_log}` fixture: a throwaway PostgreSQL on loopback holding the big log, moved there by `db copy`.

The server is started with tests/pgserver.py (initdb into a temporary folder, loopback only), with fsync on, as
a production server runs, so that `note` pays for a durable commit on both backends. The big log is the cached
SQLite one (bench/biglog.py), copied with `crisisctl db copy`: its rows, seqs and hashes are the same, so the
PostgreSQL rows read and write the same incidents as the SQLite rows.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"


def _pgserver() -> Any:
    sys.path.insert(0, str(TESTS_DIR))
    try:
        return importlib.import_module("pgserver")
    finally:
        sys.path.remove(str(TESTS_DIR))


def unavailable() -> str | None:
    """Why the PostgreSQL rows cannot run here, or None when they can."""
    module = _pgserver()
    if module.binaries() is None:
        return f"PostgreSQL rows skipped: no initdb/pg_ctl found; {module.HOW_TO_ENABLE}"
    try:
        import psycopg  # noqa: F401  (crisisctl's PostgreSQL driver, the `postgres` extra)
    except ImportError:
        return "PostgreSQL rows skipped: psycopg is not installed (pip install 'crisisctl[postgres]')"
    return None


class PgBigLog:
    """A started server and the DSN of its database holding the big log; `stop()` removes it all."""

    def __init__(self, crisisctl: list[str], sqlite_log: Path, env: dict[str, str], progress: Callable[[str], None]):
        module = _pgserver()
        self.server = module.Server(module.binaries(), durable=True)
        progress("starting a throwaway PostgreSQL")
        admin = self.server.start()
        self.dsn = admin.rsplit("/", 1)[0] + "/crisisctl_bench"
        import psycopg

        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE crisisctl_bench")
        progress("copying the big log into PostgreSQL (db copy)")
        started = time.perf_counter()
        done = subprocess.run(
            [*crisisctl, "db", "copy", str(sqlite_log), self.dsn, "--json"],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            self.stop()
            raise RuntimeError(f"db copy into PostgreSQL failed ({done.returncode}): {done.stderr.strip()}")
        self.copy_s = round(time.perf_counter() - started, 1)
        # What a DBA does after a bulk load: planner statistics and the visibility map now, not when autovacuum
        # gets round to it.
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute("VACUUM (ANALYZE)")
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
        self.mib = round(int(row[0]) / 2**20) if row else 0

    def stop(self) -> None:
        self.server.stop()
