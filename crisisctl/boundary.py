"""What the process boundary keeps for one run: standard output watched, and whether the log was written."""

from __future__ import annotations

import codecs
import io
import os
import sys

TYPE_CHECKING = False  # not `from typing import`: typing costs 7 ms, and `--version` imports this module
if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

_UNSHOWN = "crisisctl-unshown"


class _Descriptor(io.RawIOBase):
    """Writes to a file descriptor it does not own (it never closes it)."""

    def __init__(self, descriptor: int) -> None:
        super().__init__()
        self.descriptor = descriptor

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.descriptor

    def isatty(self) -> bool:
        return os.isatty(self.descriptor)


class _WatchedDescriptor(_Descriptor):
    """Remembers the error that made a write fail."""

    failure: OSError | None = None

    def write(self, data: ReadableBuffer) -> int:
        try:
            return os.write(self.descriptor, data)
        except OSError as error:
            self.failure = error
            raise


class _LastResortDescriptor(_Descriptor):
    """Standard error's descriptor; a write that fails (the reader left: `2>&1 | head -1`) is dropped, there being
    nowhere left to say so, and the exit status still tells what happened."""

    def write(self, data: ReadableBuffer) -> int:
        try:
            return os.write(self.descriptor, data)
        except OSError:
            return memoryview(data).nbytes


def forgive_stderr() -> None:
    """Put a stream that never fails in place of the process's own standard error (not a test's capture)."""
    current = sys.__stderr__
    if current is None or sys.stderr is not current:
        return
    current.flush()
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(_LastResortDescriptor(current.fileno())),
        encoding=current.encoding,
        errors=current.errors,
        line_buffering=True,
    )


class Boundary:
    """One run as its exit code depends on it.

    Standard output is watched only when it is the process's own (not a test's capture).
    `committed` turns true once the run has written to the log: a failure after that must say
    the write is kept, or a script would run the command again and record it twice.
    """

    def __init__(self, watched: _WatchedDescriptor | None, encoding: str) -> None:
        self._watched = watched
        self.encoding = encoding
        self.unshown = False  # some character could not be encoded and was shown as an escape
        self.committed = False

    @classmethod
    def unwatched(cls) -> Boundary:
        """For a run that leaves standard output as it is (tests that build their own context)."""
        return cls(None, "utf-8")

    @classmethod
    def watch_stdout(cls) -> Boundary:
        """Put a watched stream in place of the process's own standard output.

        A stream that is not the process's own (a test's capture, an earlier run's watched
        stream) is left as it is, and nothing is watched.
        """
        current = sys.__stdout__
        if current is None or sys.stdout is not current:
            return cls(None, getattr(sys.stdout, "encoding", None) or "utf-8")
        watched = _WatchedDescriptor(current.fileno())
        output = cls(watched, current.encoding)
        current.flush()
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(watched),
            encoding=current.encoding,
            errors=current.errors if output.is_utf8 else output._handler(),
            line_buffering=current.line_buffering,
        )
        return output

    @property
    def is_utf8(self) -> bool:
        return codecs.lookup(self.encoding).name == "utf-8"

    def _handler(self) -> str:
        """An error handler that escapes like backslashreplace and notes that it had to."""

        def escape(error: UnicodeError) -> tuple[str | bytes, int]:
            self.unshown = True
            return codecs.backslashreplace_errors(error)

        codecs.register_error(_UNSHOWN, escape)
        return _UNSHOWN

    @property
    def failure(self) -> OSError | None:
        """The error of a write to standard output that failed in this run, if any."""
        return self._watched.failure if self._watched else None

    def finish(self) -> OSError | None:
        """Flush what is left; after a failure, point the descriptor at the null device.

        Python flushes standard output again at exit and would report a failure there as exit
        status 120, after the run has chosen its exit code and message.
        """
        try:
            sys.stdout.flush()
        except OSError:
            if self._watched is None:
                raise
        if self._watched is not None and self._watched.failure is not None:
            _to_null_device(self._watched.descriptor)
        return self.failure


def _to_null_device(descriptor: int) -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)
