"""Which process started a delivery, and whether it may still be running: a send in flight is not a crash."""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

# A send on another machine cannot be looked at; after this long it has ended one way or the other
# (SMTP time-outs are at most 600 s per step).
IN_FLIGHT_ELSEWHERE = dt.timedelta(minutes=30)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (Linux), or None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, which tells a reused pid apart."""
    fields = _stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def this_process() -> dict[str, Any]:
    """Recorded with a delivery's intent: the host, the pid and, where known, the pid's start time."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": _start_ticks(os.getpid())}


def on_this_host(process: dict[str, Any]) -> bool:
    """Whether the process ran on this machine (records without a host are taken as local)."""
    return str(process.get("host", socket.gethostname())) == socket.gethostname()


def may_still_run(process: dict[str, Any], started_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether the recorded process may still be delivering: alive on this host, or on another host
    and started less than IN_FLIGHT_ELSEWHERE ago. Logs without the record are taken as ended."""
    if not process:
        return False
    if not on_this_host(process):
        return now - started_at < IN_FLIGHT_ELSEWHERE
    pid = int(process.get("pid", 0))
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    fields = _stat(pid)
    if fields is not None and fields[0] == "Z":  # killed, not yet reaped: it delivers nothing more
        return False
    started = process.get("started")
    return started is None or _start_ticks(pid) == started
