"""The log as commands open it: it tells the boundary once this run has committed a write."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from crisisctl.boundary import Boundary
from crisisctl.store.log import IncidentLog, LogWriter


class RecordingLog(IncidentLog):
    """An IncidentLog that marks the run's boundary after every commit."""

    def __init__(self, path: Path, boundary: Boundary) -> None:
        super().__init__(path)
        self._boundary = boundary

    @contextlib.contextmanager
    def write(self) -> Iterator[LogWriter]:
        with super().write() as writer:
            yield writer
        self._boundary.committed = True
