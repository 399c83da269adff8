"""Standard output and error consoles: colour only on a terminal, NO_COLOR honoured."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from crisisctl.safetext import inert


class InertConsole(Console):
    """A console whose every string has control, escape and bidi characters shown as escapes.

    Call sites make user text inert already; this is the net under them, so that a line that
    quotes a name (the `--as` person in a confirmation) cannot reach a terminal as a command.
    """

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(inert(text), **options)


def make_console(stream: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A console that never emits markup from data and no colour off a terminal."""
    target = stream or (sys.stderr if stderr else sys.stdout)
    return InertConsole(
        file=target,
        no_color="NO_COLOR" in os.environ,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=not target.isatty(),
    )
