"""The CrisisError tree: every known failure, each knowing its exit code."""

from __future__ import annotations

from enum import IntEnum

from msgspec import Struct


class ExitCode(IntEnum):
    """Exit codes promised to scripts in docs/cli.md."""

    OK = 0
    NO = 1
    USAGE = 2
    INTERNAL = 3
    LOG = 4
    INTERRUPTED = 130


class Problem(Struct, frozen=True):
    """One finding about a file: where it is, which rule it breaks, what would be right."""

    file: str
    line: int
    column: int
    path: str
    rule: str
    message: str
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.rule)


class CrisisError(Exception):
    """A failure the user can act on; printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CrisisError):
    """The command could not be understood: bad value, unknown id, unreadable path."""

    exit_code = ExitCode.USAGE


class RefusedError(CrisisError):
    """The command ran and the answer is no."""

    exit_code = ExitCode.NO


class InvalidFileError(RefusedError):
    """A playbook or scenario file that was read but breaks the format's rules."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


class LogError(CrisisError):
    """The incident log could not be read or written."""

    exit_code = ExitCode.LOG
