"""The guard that keeps tests out of the real crisisctl folders: it watches what crisisctl itself could write there,
so that other programs writing elsewhere in the real home meanwhile never fail a test."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import platformdirs


def crisisctl_folders() -> list[Path]:
    """crisisctl's data, config, cache and state folders, where the current HOME and XDG_* variables place them."""
    return [
        platformdirs.user_data_path("crisisctl", appauthor=False),
        platformdirs.user_config_path("crisisctl", appauthor=False),
        platformdirs.user_cache_path("crisisctl", appauthor=False),
        platformdirs.user_state_path("crisisctl", appauthor=False),
    ]


def _snapshot(folders: Sequence[Path]) -> dict[str, tuple[int, int, int]]:
    """Every entry in and under the folders that exist, with its mode, size and modification time."""
    seen: dict[str, tuple[int, int, int]] = {}
    for folder in folders:
        if not os.path.lexists(folder):
            continue
        for path in [
            str(folder),
            *(os.path.join(root, name) for root, dirs, files in os.walk(folder) for name in dirs + files),
        ]:
            try:
                stat = os.lstat(path)
            except FileNotFoundError:  # gone while walking: seen as missing
                continue
            seen[path] = (stat.st_mode, stat.st_size, stat.st_mtime_ns)
    return seen


class RealFolders:
    """crisisctl's folders as they were when made; `changed()` names what was added, removed or written since."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = list(folders)
        self.before = _snapshot(self.folders)

    def changed(self) -> list[str]:
        after = _snapshot(self.folders)
        return sorted(path for path in self.before.keys() | after.keys() if self.before.get(path) != after.get(path))
