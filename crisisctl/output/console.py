"""Standard output and error consoles: colour only on a terminal, NO_COLOR honoured."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console


def make_console(stream: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A console that never emits markup from data and no colour off a terminal."""
    target = stream or (sys.stderr if stderr else sys.stdout)
    return Console(
        file=target,
        no_color="NO_COLOR" in os.environ,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=not target.isatty(),
    )
