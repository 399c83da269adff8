"""Evidence on a note: text read from standard input, attached files (digest and size in the log), links."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from msgspec import Struct

from crisisctl.blank import is_blank
from crisisctl.errors import UsageError

MAX_NOTE_BYTES = 1024 * 1024  # a note read from standard input: a pasted log excerpt, not a dump
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_LINK_CHARS = 2048
_NOT_IN_URLS = frozenset('<>"`{}|\\^')  # never unencoded in a URL (RFC 3986); they would break out of markup


class Attachment(Struct, frozen=True):
    """A file attached to a note: what the log keeps (name, sha256, size) and the bytes kept beside it."""

    name: str
    sha256: str
    size: int
    payload: bytes

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


def note_from_stream(stream: BinaryIO) -> str:
    """`note INC -`: the note as UTF-8 from standard input, one trailing newline removed."""
    data = stream.read(MAX_NOTE_BYTES + 1)
    if len(data) > MAX_NOTE_BYTES:
        raise UsageError(
            f"the note on standard input is larger than {MAX_NOTE_BYTES // 1024} KiB",
            "attach long material with --file PATH and keep the note short; nothing was recorded",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"the note on standard input is not UTF-8 (byte {error.start + 1})",
            "convert it (iconv -t UTF-8), or attach the file as it is with --file; nothing was recorded",
        ) from None
    text = text.removesuffix("\n").removesuffix("\r")
    if is_blank(text):
        raise UsageError("the note on standard input is empty", "pipe the note's text in, e.g. echo TEXT | ...")
    return text


def read_attachment(path: Path) -> Attachment:
    """A regular file's bytes, digest and size; refused (exit 2) when unreadable or over the cap."""
    shown = os.fsdecode(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe or device would block or never end
            raise UsageError(f"--file {shown} is not a regular file", "attach a file, not a folder or a device")
        with path.open("rb") as handle:
            payload = handle.read(MAX_ATTACHMENT_BYTES + 1)
    except OSError as error:
        raise UsageError(f"cannot read --file {shown}: {error.strerror}", "check the path and permissions") from None
    if len(payload) > MAX_ATTACHMENT_BYTES:
        raise UsageError(
            f"--file {shown} is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB",
            "attach an excerpt, or store the file elsewhere and add --link URL; nothing was recorded",
        )
    import hashlib  # here, not at the top: commands that only read never load it

    return Attachment(os.fsdecode(path.name), hashlib.sha256(payload).hexdigest(), len(payload), payload)


def check_link(url: str) -> str:
    """An http(s) URL with a host, no spaces or control characters."""
    text = url.strip()
    parts = urlsplit(text)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or len(text) > MAX_LINK_CHARS
        or any(ch.isspace() or not ch.isprintable() or ch in _NOT_IN_URLS for ch in text)
    ):
        raise UsageError(
            f"--link `{text[:200]}` is not an http(s) URL",
            "give an address such as https://status.example.com/incidents/42",
        )
    return text
