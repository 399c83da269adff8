"""Make user text inert on a terminal: control, escape and bidi characters shown, not obeyed."""

from __future__ import annotations

import functools
import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), the
# bidirectional overrides and isolates that can make text read differently than stored, and
# lone surrogates: a file name's undecodable bytes, which would reach the terminal as raw bytes.
_UNSAFE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


@functools.cache
def _unsafe() -> re.Pattern[str]:
    """Compiled when first needed (about 0.5 ms): printable ASCII, most of what a command shows, never needs it."""
    return re.compile(_UNSAFE)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the undecodable byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str, keep_newlines: bool = True) -> str:
    """Replace characters a terminal would act on with visible escapes."""
    if text.isascii() and text.isprintable():
        return text  # nothing to replace: most cells of a table
    text = _unsafe().sub(_visible, text)
    return text if keep_newlines else text.replace("\n", "\\n")


def inert_json(text: str) -> str:
    """JSON text with those characters as JSON escapes (`\\u202e`): they stand only inside its strings, so the
    data is unchanged. (JSON escapes the C0 controls itself.)"""
    return _unsafe().sub(lambda match: f"\\u{ord(match.group()):04x}", text)
