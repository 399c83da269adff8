"""The outbox: every sent notice as a file beside its log, email as RFC 5322 with UTF-8 MIME parts."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from msgspec import Struct

from crisisctl.errors import LogError, RefusedError
from crisisctl.wholefile import write_whole

_SUBJECT_LINE = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\r\n]*)\r?\n(\r?\n)?")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
# Characters that end or corrupt a header line: Python's email refuses every line separator
# str.splitlines knows (U+2028 among them); NUL, ESC and the other controls would reach mail
# clients raw. Tab is the one control a header may carry.
_HEADER_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
MESSAGE_ID_DOMAIN = "crisisctl.invalid"


def split_subject(text: str, fallback: str) -> tuple[str, str]:
    """An email template's first line `Subject: ...` becomes the subject; the rest is the body."""
    match = _SUBJECT_LINE.match(text)
    if match is None:
        return fallback, text
    return match.group("subject").strip(), text[match.end() :]


def header_problem(value: str) -> str | None:
    """Why a value cannot be an e-mail header, or None when it can."""
    found = _HEADER_UNSAFE.search(value)
    if found is None:
        return None
    return f"a line break or other control character (U+{ord(found.group()):04X})"


def refuse_header_injection(value: str, what: str) -> None:
    problem = header_problem(value)
    if problem is not None:
        raise RefusedError(
            f"the {what} contains {problem}, which could inject or break e-mail headers",
            f"remove it from the {what}",
        )


def message_id(delivery_id: str) -> str:
    """The same delivery always carries the same Message-ID, so a resend can be recognised as one."""
    return f"<{delivery_id}@{MESSAGE_ID_DOMAIN}>"


def build_email(
    *, subject: str, body: str, sender: str, incident: str, sent_at: dt.datetime, delivery_id: str
) -> EmailMessage:
    """The notice as one message. Recipients travel in the SMTP envelope only (blind copies): the
    sender stands in To:, so no customer sees another's address."""
    refuse_header_injection(subject, "subject")
    refuse_header_injection(sender, "address")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = sender
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id(delivery_id)
    message["X-Crisisctl-Incident"] = incident
    message.set_content(body, subtype="plain", charset="utf-8")
    return message


class Outbox(Struct, frozen=True):
    """One log's outbox folder: private (0700 folders, 0600 files), or shared with the folder's group."""

    root: Path
    group_shared: bool = False

    @classmethod
    def beside(cls, db_path: Path, *, group_shared: bool = False) -> Outbox:
        """Each log has its own outbox, named after it: two logs in one folder never share one."""
        return cls(db_path.parent / f"{db_path.name}.outbox", group_shared)

    @property
    def folder_mode(self) -> int:
        return 0o2770 if self.group_shared else 0o700

    @property
    def file_mode(self) -> int:
        return 0o640 if self.group_shared else 0o600

    def folder_for(self, incident: str) -> Path:
        return self.root / _UNSAFE_NAME.sub("_", incident)

    def path_for(self, incident: str, name: str) -> Path:
        return self.folder_for(incident) / _UNSAFE_NAME.sub("_", name)

    def prepare(self, incident: str) -> None:
        """Make sure the incident's folder can be used, before a delivery is recorded as started.
        An outbox that cannot be used is a storage failure (exit 4)."""
        folder = self.folder_for(incident)
        try:
            # The log's own folder (for a team log: a folder of this machine named after it) may not exist yet.
            self.root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._prepare(folder.parent)
            self._prepare(folder)
        except OSError as error:
            raise LogError(
                f"cannot use the outbox {folder}: {error.strerror}",
                "check the folder's permissions and free space; nothing was sent",
            ) from None

    def write(self, incident: str, name: str, payload: bytes) -> Path:
        """Write the file whole or not at all under its final name; writing the same delivery again
        replaces it with the same bytes. The folder is checked again: it may have been replaced."""
        self.prepare(incident)
        path = self.path_for(incident, name)
        try:
            write_whole(path, payload, self.file_mode)
        except OSError as error:
            raise LogError(
                f"cannot write to the outbox {path.parent}: {error.strerror}",
                "check the folder's permissions and free space; nothing was sent",
            ) from None
        return path

    def _prepare(self, folder: Path) -> None:
        """Create the folder with the outbox's mode; refuse one that others could plant files in."""
        try:
            folder.mkdir(mode=self.folder_mode)
            os.chmod(folder, self.folder_mode)
        except FileExistsError:
            pass
        info = folder.lstat()
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise LogError(
                f"the outbox {folder} is a symbolic link or not a folder; crisisctl does not follow it",
                "remove it (crisisctl creates the outbox itself) and send again; nothing was sent",
            )
        if info.st_mode & 0o002 or (info.st_uid != os.geteuid() and info.st_mode & 0o020 and not self.group_shared):
            raise LogError(
                f"the outbox {folder} can be written by other users, who could plant or replace notices",
                f"chmod o-w {folder} (or remove it and let crisisctl create it); for a team outbox "
                "see group_shared in docs/communications.md; nothing was sent",
            )
