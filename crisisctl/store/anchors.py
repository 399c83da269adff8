"""Anchors kept outside the log: `SEQ:HASH` of events, one per line, read and written as a stream."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from crisisctl.errors import UsageError

ANCHOR = re.compile(r"([0-9]+):(sha256:[0-9a-f]{64})")
HINT = "paste it as printed by `crisisctl verify`: SEQ:sha256:HEX"
FILE_HINT = "name a file `crisisctl verify --save-anchors` wrote: one SEQ:sha256:HEX per line, oldest first"


def parse_anchor(text: str) -> tuple[int, str]:
    match = ANCHOR.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"`{text}` is not an anchor", HINT)
    return int(match.group(1)), match.group(2)


def read_anchors(path: Path) -> Iterator[tuple[int, str]]:
    """The anchors in a file as `verify --save-anchors` writes it, oldest first; `#` lines are comments."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read the anchor file {path}: {error.strerror}", FILE_HINT) from None
    with handle:
        previous = 0
        for number, line in enumerate(_text_lines(handle, path), start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            match = ANCHOR.fullmatch(text)
            if match is None or int(match.group(1)) <= previous:
                raise UsageError(f"{path}:{number} is not an anchor after event {previous}", FILE_HINT)
            previous = int(match.group(1))
            yield previous, match.group(2)


def _text_lines(handle: TextIO, path: Path) -> Iterator[str]:
    try:
        yield from handle
    except ValueError:  # not text: some other file named by mistake, which must not be replaced either
        raise UsageError(f"{path} is not an anchor file", FILE_HINT) from None


def write_anchors(path: Path, anchors: Iterable[tuple[int, str]], log: str) -> int:
    """Replace the file with these anchors in one step (a crash leaves the old file whole); how many."""
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(f"# crisisctl anchors of {log}: SEQ:HASH of every event, oldest first.\n")
            handle.write("# Keep this file where those who can write the log cannot; check with --anchor-file.\n")
            for seq, digest in anchors:
                handle.write(f"{seq}:{digest}\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise UsageError(f"cannot write the anchor file {path}: {error.strerror}", "check the folder") from None
    return count
