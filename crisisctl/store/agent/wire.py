"""What crosses the agent's socket: one JSON document per line each way, records as lists of their fields, and
failures as the CrisisError the caller raises in its own process."""

from __future__ import annotations

import json
import socket
from typing import Any

from msgspec import Struct
from msgspec.structs import astuple

from crisisctl.errors import CrisisError, LogError, RefusedError, UsageError
from crisisctl.store.busy import LogBusyError

# The failures a command may meet in the log, by name: anything else from the agent is a crash.
FAILURES: dict[str, type[CrisisError]] = {
    kind.__name__: kind for kind in (LogError, LogBusyError, UsageError, RefusedError)
}


class AgentGone(ConnectionError):
    """The agent closed the socket or died: the caller no longer knows what it did with the last request."""


class AgentCrashed(RuntimeError):
    """The agent met a failure it did not expect (a bug); the caller's crash report carries its text."""


class Channel:
    """One conversation with the agent over a connected socket: a request, then its answer."""

    def __init__(self, connection: socket.socket) -> None:
        self._socket = connection
        self._reader = connection.makefile("rb")

    def call(self, operation: str, *arguments: Any) -> Any:
        """The answer to `operation`; raises the CrisisError the agent met, AgentCrashed, or AgentGone."""
        try:
            self._socket.sendall(encode({"op": operation, "args": list(arguments)}))
            line = self._reader.readline()
        except OSError as error:
            raise AgentGone(str(error)) from None
        if not line.endswith(b"\n"):
            raise AgentGone("the agent closed the connection")
        answer = json.loads(line)
        if "error" in answer:
            kind, message, hint = answer["error"]
            raise FAILURES[kind](message, hint)
        if "crash" in answer:
            raise AgentCrashed(answer["crash"])
        return answer["ok"]

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


def encode(document: dict[str, Any]) -> bytes:
    """One line: `ensure_ascii` escapes every line break and lone surrogate in the data."""
    return json.dumps(document, default=plain, separators=(",", ":")).encode("ascii") + b"\n"


def plain(value: Any) -> Any:
    """A record as the list of its fields; a time as ISO 8601."""
    if isinstance(value, Struct):
        return list(astuple(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot cross the agent's socket")


def failure(error: CrisisError) -> dict[str, Any]:
    """The nearest failure the caller knows by name, so that it exits with the same code."""
    kind = next(cls.__name__ for cls in type(error).__mro__ if cls.__name__ in FAILURES or cls is CrisisError)
    return {"error": [kind if kind in FAILURES else "UsageError", error.message, error.hint]}
