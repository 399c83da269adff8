"""Drill notices say that they are: the marker words looked for, and the banner added when a template has none."""

from __future__ import annotations

# Words that mark a notice as part of an exercise, looked for in its first lines.
DRILL_MARKERS = ("DRILL", "EXERCISE", "演练", "演习")
BANNER_LINES = 3


def has_drill_marker(text: str) -> bool:
    """Whether one of the first lines of a rendered notice says it belongs to a drill."""
    top = [line for line in text.splitlines() if line.strip()][:BANNER_LINES]
    return any(marker in line for line in top for marker in DRILL_MARKERS)


def with_exercise_banner(text: str, locale: str) -> str:
    """A drill notice's text, marked at its top (and in its `Subject:` line) unless it already is."""
    if has_drill_marker(text):
        return text
    chinese = locale.lower().startswith("zh")
    tag = "【演练】" if chinese else "[EXERCISE] "
    banner = (
        "【演练】本通知在应急演练中生成，请勿发送，也请勿据此采取行动。"
        if chinese
        else "[EXERCISE] This notice was drafted in a drill. Do not send it or act on it."
    )
    if text.startswith("Subject:"):
        subject, _, body = text.partition("\n")
        return f"Subject: {tag}{subject.removeprefix('Subject:').lstrip()}\n{banner}\n{body}"
    return f"{banner}\n\n{text}"
