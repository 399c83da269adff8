"""Blank text: nothing a reader would see. One rule for notes, playbook fields and the published JSON Schema."""

from __future__ import annotations

import unicodedata

# The characters is_blank() counts as blank in the Basic Multilingual Plane (Unicode 14), written out for the JSON
# Schema, where Python's re and ECMA-262 must agree (ECMA's \s differs: it counts U+FEFF as space and U+001C..U+001F
# as not). Left out: the few invisible format characters beyond U+FFFF (Egyptian hieroglyph controls, tags such as
# U+E0001), which a regex without the `u` flag cannot name, and characters later Unicode versions add.
# tests/test_schema.py keeps it equal to is_blank() for every character of the plane.
BLANK_CHARACTERS = (
    r"\x00-\x20\x7f-\xa0\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u1680\u180e\u2000-\u200f\u2028-\u202f"
    r"\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb"
)


def is_blank(text: str) -> bool:
    """Nothing a reader would see: spaces of any script, line breaks, and invisible format or control characters
    (a zero-width space, a byte-order mark)."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in text)
