"""The bound on every number a command records: the log's JSON keeps numbers exactly up to 2^53 either way."""

from __future__ import annotations

from typing import Any

from crisisctl.errors import UsageError

MAX_EXACT_INTEGER = 2**53  # the largest a JSON number (an IEEE double) holds with every integer below it


def too_large(value: Any) -> bool:
    """Whether a number, or a number in a list, is beyond what the log keeps exactly (booleans are not numbers)."""
    if isinstance(value, list):
        return any(too_large(item) for item in value)
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_EXACT_INTEGER


def ensure_recordable(value: Any, what: str) -> None:
    """Exit 2 for a number the log could not keep exactly; `what` names it, e.g. "`1e20` for --value"."""
    if too_large(value):
        raise UsageError(
            f"{what} is too large: numbers are recorded exactly up to {MAX_EXACT_INTEGER} (2^53) either way",
            "check the figure for a typo; a larger one cannot be recorded",
        )
