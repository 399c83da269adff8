"""The evidence folder beside a log: a private copy of every attached file, named by its sha256."""

from __future__ import annotations

import contextlib
import stat
from pathlib import Path
from typing import Any

from msgspec import Struct

from crisisctl.errors import LogError
from crisisctl.incident.port import EventLog
from crisisctl.wholefile import holds, write_whole

_FOLDER_MODE = 0o700
_FILE_MODE = 0o600


class EvidenceFolder(Struct, frozen=True):
    """`<log>.evidence/<INCIDENT>/<sha256>`: the log keeps name, digest and size; this folder keeps the bytes."""

    root: Path

    @classmethod
    def beside(cls, db_path: Path) -> EvidenceFolder:
        return cls(db_path.parent / f"{db_path.name}.evidence")

    def path_for(self, incident: str, sha256: str) -> Path:
        return self.root / incident / sha256

    def keep(self, incident: str, sha256: str, payload: bytes) -> None:
        """Write the copy whole or not at all (a storage failure, exit 4, records nothing)."""
        path = self.path_for(incident, sha256)
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True, mode=_FOLDER_MODE)
            for folder in (self.root, path.parent):
                _private_folder(folder)
            if not holds(path, sha256):
                write_whole(path, payload, _FILE_MODE)
        except OSError as error:
            raise LogError(
                f"cannot keep the attached file in {path.parent}: {error.strerror}",
                "check the folder's permissions and free space; nothing was recorded",
            ) from None


def _private_folder(folder: Path) -> None:
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=_FOLDER_MODE)
    info = folder.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022:
        raise LogError(
            f"the evidence folder {folder} is a link, not a folder, or writable by others",
            "remove it (crisisctl creates it itself, private to you) and attach again; nothing was recorded",
        )


def missing_copies(log: EventLog, db_path: Path) -> list[dict[str, Any]]:
    """Attached files whose copy beside the log is missing or differs from the recorded digest (on a team
    log, files attached on another machine are missing here: each machine keeps the copies it took)."""
    folder = EvidenceFolder.beside(db_path)
    return [
        {"incident": event.incident, "seq": event.seq, "name": file["name"], "sha256": file["sha256"]}
        for event in log.attachment_events()
        for file in event.data.get("attachments", [])
        if not holds(folder.path_for(event.incident, file["sha256"]), file["sha256"])
    ]
