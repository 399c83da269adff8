"""The outbox: every sent notice as a file beside the log, email as RFC 5322 with UTF-8 MIME parts."""

from __future__ import annotations

import datetime as dt
import os
import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from crisisctl.errors import LogError, RefusedError

_SUBJECT_LINE = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\r\n]*)\r?\n(\r?\n)?")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def split_subject(text: str, fallback: str) -> tuple[str, str]:
    """An email template's first line `Subject: ...` becomes the subject; the rest is the body."""
    match = _SUBJECT_LINE.match(text)
    if match is None:
        return fallback, text
    return match.group("subject").strip(), text[match.end() :]


def refuse_header_injection(value: str, what: str) -> None:
    if "\r" in value or "\n" in value:
        raise RefusedError(
            f"the {what} contains a line break, which could inject e-mail headers", f"remove it from the {what}"
        )


def build_email(
    *, subject: str, body: str, sender: str, recipients: list[str], incident: str, sent_at: dt.datetime
) -> EmailMessage:
    refuse_header_injection(subject, "subject")
    for address in [sender, *recipients]:
        refuse_header_injection(address, "address")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients) if recipients else "undisclosed-recipients:;"
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain="crisisctl.invalid")
    message["X-Crisisctl-Incident"] = incident
    message.set_content(body, subtype="plain", charset="utf-8")
    return message


def write_outbox(folder: Path, name: str, payload: bytes) -> Path:
    """Write one file, owner-readable only; an outbox that cannot be written is a storage failure (exit 4)."""
    safe = _UNSAFE_NAME.sub("_", name)
    stem, dot, suffix = safe.partition(".")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for attempt in range(1, 1000):
            path = folder / (safe if attempt == 1 else f"{stem}-{attempt}{dot}{suffix}")
            try:
                descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(17, "too many files with this name", str(path))
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        raise LogError(
            f"cannot write to the outbox {folder}: {error.strerror}",
            "check the folder's permissions and free space; nothing was sent",
        ) from None
    return path
