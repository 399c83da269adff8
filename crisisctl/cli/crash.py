"""Crash reports: versions, platform, the command line (only its known-safe words) and the traceback."""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from crisisctl import __version__

if TYPE_CHECKING:
    # typer's own copy of click is private API: the pin typer>=0.28,<0.29 (pyproject.toml) covers it.
    from typer._click import Command, Context, Parameter

PLACEHOLDER = "<redacted>"
# Parameters that name something in a playbook or pick from a fixed vocabulary; every other
# value (notes, titles, inputs, people, paths, `--as`, anything a later command adds) may hold
# customer data and never reaches a report.
_SAFE_PARAMETERS = frozenset(
    {
        "incident",
        "playbook_id",
        "target",
        "step",
        "role",
        "communication",
        "level",
        "severity",
        "locale",
        "category",
        "report_format",
        "export_format",
        "at",
        "since",
        "anchor",
        "speed",
        "events",
    }
)
# Even there, only an id-shaped word is kept: a sentence typed in the wrong place is still text.
_SAFE_VALUE = re.compile(r"[+-]?[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}")


def redact_command_line(args: list[str]) -> list[str]:
    """Command words, option names and known-safe ids; every other value replaced by a placeholder."""
    try:
        return list(_redact_parsed(args))
    except Exception:  # noqa: BLE001 - the crash may lie in building the commands; then keep less
        return [_blind(arg) for arg in args]


def _redact_parsed(args: list[str]) -> Iterator[str]:
    """Walk the arguments as click would, so each value is judged by the parameter it belongs to."""
    import typer
    from typer._click import Context

    from crisisctl.cli import app

    command: Command = typer.main.get_command(app)
    context = Context(command)
    positionals = _arguments(command, context)
    words = iter(args)
    for arg in words:
        if arg == "--":
            yield arg
            for rest in words:
                yield _judged(_take(positionals), rest)
        elif arg.startswith("-") and arg != "-":
            yield from _option(arg, command, context, words)
        elif (sub := _subcommand(command, context, arg)) is not None:
            yield arg
            command, context = sub, Context(sub, parent=context)
            positionals = _arguments(command, context)
        else:
            yield _judged(_take(positionals), arg)


def _arguments(command: Command, context: Context) -> list[Parameter]:
    return [param for param in command.get_params(context) if param.param_type_name == "argument"]


def _take(positionals: list[Parameter]) -> Parameter | None:
    """The argument the next positional value belongs to; a variadic one takes all the rest."""
    if not positionals:
        return None
    return positionals[0] if positionals[0].nargs == -1 else positionals.pop(0)


def _subcommand(command: Command, context: Context, word: str) -> Command | None:
    get_command = getattr(command, "get_command", None)
    return get_command(context, word) if get_command else None


def _option(arg: str, command: Command, context: Context, words: Iterator[str]) -> Iterator[str]:
    name, equals, attached = arg.partition("=")
    option = next((param for param in command.get_params(context) if name in param.opts), None)
    if option is None:
        yield PLACEHOLDER  # not an option of this command: perhaps text that starts with a dash
    elif getattr(option, "is_flag", False) or getattr(option, "count", False):
        yield name
    elif equals:
        yield f"{name}={_judged(option, attached)}"
    else:
        yield name
        value = next(words, None)
        if value is not None:
            yield _judged(option, value)


def _judged(param: Parameter | None, value: str) -> str:
    safe = param is not None and param.name in _SAFE_PARAMETERS and _SAFE_VALUE.fullmatch(value)
    return value if safe else PLACEHOLDER


def _blind(arg: str) -> str:
    """Without the command definitions: command names and long option names only."""
    from crisisctl.cli.commands import COMMANDS

    if arg in COMMANDS or re.fullmatch(r"--[a-z][a-z-]*", arg):
        return arg
    if re.match(r"--[a-z][a-z-]*=", arg):
        return arg.split("=", 1)[0] + "=" + PLACEHOLDER
    return PLACEHOLDER


def write_crash_report(error: BaseException, args: list[str]) -> Path:
    """Write the report, readable by its owner only, and return its path."""
    import datetime as dt
    import platform
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
    name = f"crisisctl-crash-{stamp}.txt"
    for folder in _report_folders():
        try:
            _create_private(folder / name, body)
            return folder / name
        except OSError:
            continue
    return Path("(could not write a crash report)")


def _report_folders() -> Iterator[Path]:
    """The user's crash folder when it is private, else a new private temporary folder."""
    import tempfile

    cache = _private_cache_folder()
    if cache is not None:
        yield cache
    try:
        yield Path(tempfile.mkdtemp(prefix="crisisctl-crash-"))  # created 0700, owned by us
    except OSError:
        return


def _private_cache_folder() -> Path | None:
    """`crashes` in the user cache, created 0700; refused if a link, another's, or open to others.

    A traceback holds local values and paths; a folder others can enter, or a link someone
    planted, would hand them the report.
    """
    try:
        import platformdirs

        folder = platformdirs.user_cache_path("crisisctl", appauthor=False) / "crashes"
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)  # an existing one is judged below, never changed
        info = folder.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    return folder if private else None


def _create_private(path: Path, body: str) -> None:
    """Created 0600 in one step: never a moment when the file exists readable by others."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as handle:
        handle.write(body)
