"""The one duration grammar of format v1: a whole number and one unit (30s, 15m, 2h, 3d, 1w)."""

from __future__ import annotations

import datetime as dt
import re

DURATION_PATTERN = r"[0-9]+[smhdw]"
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION_SECONDS = 3653 * 86400  # ten years: longer is a typo, and dates past it overflow
_DURATION = re.compile(r"([0-9]+)([smhdw])")


def parse_duration(text: str) -> dt.timedelta:
    """Parse a v1 duration; raises ValueError with the accepted forms otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"`{text}` is not a duration; write a number and one unit: 30s, 15m, 2h, 3d, 1w")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"`{text}` is longer than ten years")
    return dt.timedelta(seconds=seconds)


def format_duration(delta: dt.timedelta) -> str:
    """A short human form such as 2h 5m, 3d 4h or 45s."""
    seconds = int(abs(delta.total_seconds()))
    sign = "-" if delta.total_seconds() < 0 else ""
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
        if len(parts) == 2:
            break
    return sign + (" ".join(parts) or "0s")
