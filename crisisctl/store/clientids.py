"""Client event ids: one random UUID per command invocation, numbered per event, so a lost commit can be settled."""

from __future__ import annotations

import os


def new_uuid() -> str:
    """A version-4 UUID from os.urandom: the uuid module costs more start-up than every command should pay."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class ClientIds:
    """The ids of the events one invocation records: `UUID/1`, `UUID/2`, ... across all its transactions."""

    def __init__(self) -> None:
        self.invocation = new_uuid()
        self._count = 0

    def take(self, count: int) -> list[str]:
        first, self._count = self._count + 1, self._count + count
        return [f"{self.invocation}/{number}" for number in range(first, first + count)]
