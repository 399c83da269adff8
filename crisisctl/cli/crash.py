"""Crash reports: versions, platform, the command line (free text removed) and the traceback."""

from __future__ import annotations

import sys
from pathlib import Path

from crisisctl import __version__

# Options whose values may hold customer data; their values never reach a report.
_FREE_TEXT_OPTIONS = ("--note", "--summary", "--title", "--input")
_FREE_TEXT_COMMANDS = ("note",)


def redact_command_line(args: list[str]) -> list[str]:
    """The arguments with note bodies, summaries, titles and input values replaced."""
    redacted: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            redacted.append("<redacted>")
            hide_next = False
        elif arg in _FREE_TEXT_OPTIONS:
            redacted.append(arg)
            hide_next = True
        elif any(arg.startswith(option + "=") for option in _FREE_TEXT_OPTIONS):
            redacted.append(arg.split("=", 1)[0] + "=<redacted>")
        else:
            redacted.append(arg)
    if redacted and redacted[0] in _FREE_TEXT_COMMANDS and len(redacted) > 2:
        redacted[2:] = ["<redacted>"] * (len(redacted) - 2)
    return redacted


def crash_folder() -> Path:
    import tempfile

    try:
        import platformdirs

        folder = platformdirs.user_cache_path("crisisctl", appauthor=False) / "crashes"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        return Path(tempfile.gettempdir())


def write_crash_report(error: BaseException, args: list[str]) -> Path:
    """Write the report and return its path."""
    import datetime as dt
    import platform
    import tempfile
    import traceback

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    body = "\n".join(
        [
            f"crisisctl {__version__}",
            f"python {sys.version.split()[0]} on {platform.platform()}",
            "command: crisisctl " + " ".join(redact_command_line(args)),
            "",
            "".join(traceback.format_exception(error)),
        ]
    )
    for folder in (crash_folder(), Path(tempfile.gettempdir())):
        path = folder / f"crisisctl-crash-{stamp}.txt"
        try:
            path.write_text(body, encoding="utf-8", errors="backslashreplace")
            path.chmod(0o600)
            return path
        except OSError:
            continue
    return Path("(could not write a crash report)")
