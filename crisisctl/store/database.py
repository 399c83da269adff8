"""Opening the log: pragmas that make acknowledged writes durable, migrations, clean errors."""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from crisisctl.errors import LogError
from crisisctl.store.busy import LogBusyError, busy_timeout_ms
from crisisctl.store.migrations import MIGRATIONS, migrate

APPLICATION_ID = 0x43524953  # "CRIS": marks a file as a crisisctl log


def translate(error: sqlite3.Error, path: Path) -> LogError:
    """A sqlite3 error as the user should read it; never quoting the error's text, which may hold log data."""
    text = str(error).lower()
    code = getattr(error, "sqlite_errorname", type(error).__name__)
    if "locked" in text or "busy" in text:
        return LogBusyError(
            f"the log {path} is busy: another crisisctl held it longer than {busy_timeout_ms() / 1000:g} s",
            "try again in a moment; nothing was written",
        )
    if ("readonly" in text or "read-only" in text) and _wal_cannot_work(path):
        return LogError(
            f"the log {path} cannot use write-ahead logging here: its -wal/-shm files cannot be used",
            "keep the log on a local file system (not a network share), and remove a stray -shm or -wal "
            "that is not a regular file",
        )
    if "readonly" in text or "read-only" in text:
        return LogError(
            f"the log {path} is read-only", "check the permissions of the file, its -wal/-shm files and its folder"
        )
    if "disk is full" in text or "disk i/o" in text or code in ("SQLITE_FULL", "SQLITE_IOERR"):
        return LogError(f"the log {path} could not be written ({code})", "free disk space and try again")
    if any(word in text for word in ("not a database", "malformed", "corrupt", "decode")):
        return LogError(
            f"{path} is not a readable crisisctl log ({code}: damaged or not a log)",
            "restore it from a backup (crisisctl db backup) or point --db at the right file",
        )
    if "unable to open" in text:
        return LogError(f"the log {path} cannot be opened", "check that its folder exists and is writable")
    return LogError(f"the log {path} failed ({code})", "if it persists, restore the log from a backup")


def _wal_cannot_work(path: Path) -> bool:
    """A writable log that SQLite still calls read-only: its shared-memory or WAL file is unusable."""
    sides = [path.with_name(path.name + suffix) for suffix in ("-shm", "-wal")]
    return os.access(path, os.W_OK) and any(side.exists() and not side.is_file() for side in sides)


def _create_private_file(path: Path) -> None:
    """Create the log readable by its owner only: it holds customer data."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def connect(path: Path, *, create: bool) -> sqlite3.Connection | None:
    """An open, migrated log; None when the file does not exist and create is False."""
    if not path.exists():
        if not create:
            return None
        try:
            _create_private_file(path)
        except OSError as error:
            raise LogError(
                f"cannot create the log {path}: {error.strerror}", "check the folder's permissions"
            ) from None
    _align_side_files(path)
    try:
        connection = sqlite3.connect(
            path, isolation_level=None, timeout=busy_timeout_ms() / 1000, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise translate(error, path) from None
    try:
        _configure(connection, path)
    except sqlite3.Error as error:
        connection.close()
        raise translate(error, path) from None
    except LogError:
        connection.close()
        raise
    return connection


def _align_side_files(path: Path) -> None:
    """SQLite creates -wal and -shm with the log's mode at that moment; keep them in step with it now,
    so a log that was read-only and has been made writable again works again.

    A side file that is a symbolic link is refused: SQLite would write the log's pages through it, and
    a chmod would follow it to another user's file (in a shared folder anyone may plant the link).
    """
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            status = side.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(status.st_mode):
            raise LogError(
                f"the log's {suffix[1:]} file {side} is a symbolic link; crisisctl does not follow it",
                f"remove the link (rm {side}) and run the command again; SQLite makes a new file itself",
            )
        if stat.S_ISREG(status.st_mode) and status.st_mode & 0o777 != mode:
            _chmod_no_follow(side, mode)


def _chmod_no_follow(side: Path, mode: int) -> None:
    """chmod through a descriptor opened without following links: a link swapped in after lstat fails to open."""
    for access in (os.O_RDONLY, os.O_WRONLY):  # a file left write-only opens for writing only
        try:
            fd = os.open(side, access | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            continue
        try:
            with contextlib.suppress(OSError):  # another user's file: SQLite reports what it cannot use
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    os.fchmod(fd, mode)
        finally:
            os.close(fd)
        return


def _configure(connection: sqlite3.Connection, path: Path) -> None:
    connection.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
    application_id, version = connection.execute("PRAGMA application_id").fetchone()[0], _user_version(connection)
    if application_id not in (0, APPLICATION_ID) or (application_id == 0 and _has_foreign_tables(connection)):
        raise LogError(f"{path} is not a crisisctl log", "point --db at a crisisctl log, or a new file name")
    if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower()
        if mode != "wal":
            raise LogError(
                f"the log {path} cannot use write-ahead logging (journal mode stays {mode})",
                "keep the log on a local file system, not a network share",
            )
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    # REPLACE deletes the old row; without this the append-only delete triggers would not fire for it.
    connection.execute("PRAGMA recursive_triggers = ON")
    if version < len(MIGRATIONS):
        with transaction(connection, path):
            if _user_version(connection) < len(MIGRATIONS):
                migrate(connection)
                connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    elif version > len(MIGRATIONS):
        raise LogError(
            f"the log {path} was written by a newer crisisctl (schema {version})",
            "upgrade crisisctl to read it",
        )


def _user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _has_foreign_tables(connection: sqlite3.Connection) -> bool:
    return bool(connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0)


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection, path: Path) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: the write lock first, so concurrent writers queue instead of failing."""
    _begin_immediate(connection, path)
    try:
        yield connection
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        _rollback(connection)
        raise translate(error, path) from None
    except BaseException:
        _rollback(connection)
        raise


def _begin_immediate(connection: sqlite3.Connection, path: Path) -> None:
    """Take the write lock, retrying every few milliseconds up to the busy timeout.

    SQLite's own busy handler backs off to 100 ms sleeps, so with many writers one can starve
    while others take turns; short random waits keep the queue fair.
    """
    deadline = time.monotonic() + busy_timeout_ms() / 1000
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorname", "") != "SQLITE_BUSY" or time.monotonic() >= deadline:
                    raise translate(error, path) from None
                time.sleep(random.uniform(0.0005, 0.004))
            except sqlite3.Error as error:
                raise translate(error, path) from None
    finally:
        connection.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")


def _rollback(connection: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        connection.execute("ROLLBACK")
