"""Generate docs/cli.md from the commands themselves: `python -m crisisctl.cli.reference`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

INTRO = """# Command reference

Generated from the code by `python -m crisisctl.cli.reference > docs/cli.md`;
a test fails when this page and the commands drift apart.

Exit codes: `0` done; `1` the answer is no (an invalid playbook, a refused action);
`2` the command could not be understood (bad flag, unknown id, missing path);
`3` internal error (one line naming a crash report); `4` the log could not be read
or written, or standard output could not be written by a command that recorded nothing;
`130` interrupted. A reader that stops early (`| head`) is not an error: exit 0.
"""


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    if not hasattr(command, "list_commands"):
        return
    context = typer.Context(command, info_name=" ".join(path))
    for name in sorted(command.list_commands(context)):
        sub = command.get_command(context, name)
        if sub is not None and not getattr(sub, "hidden", False):
            yield from _commands(sub, [*path, name])


def render_reference() -> str:
    """The whole docs/cli.md text."""
    from crisisctl.cli import app

    root = typer.main.get_command(app)
    sections = [INTRO]
    for path, command in _commands(root, ["crisisctl"]):
        context = typer.Context(command, info_name=" ".join(path), terminal_width=88, max_content_width=88)
        title = " ".join(path)
        pieces = [f"## `{title}`", "", "```text", command.get_help(context).rstrip(), "```", ""]
        sections.append("\n".join(pieces))
    return "\n".join(sections)


if __name__ == "__main__":
    print(render_reference(), end="")
