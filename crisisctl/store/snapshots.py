"""The pinned playbooks' check, the same on every backend: texts hash to their keys, kept data derives from
them, and every declaration's playbook is there. Each backend runs its own SQL and hands the rows here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

SNAPSHOTS_SQL = "SELECT sha256, text FROM playbook_snapshots"
MODELS_SQL = "SELECT m.sha256, m.data, s.text FROM playbook_models m LEFT JOIN playbook_snapshots s USING (sha256)"


def snapshot_problem(
    snapshots: Iterable[tuple[str, str]],
    models: Iterable[tuple[str, str, str | None]],
    first_unpinned_declaration: Callable[[], int | None],
    derive_data: Callable[[str], str | None],
) -> tuple[int | None, str] | None:
    """(seq or None, reason) for the first problem, or None when all is well; `derive_data` turns a
    pinned text into its kept data JSON, `first_unpinned_declaration` names a declaration whose playbook
    is missing (asked last: it is the one query that reads the events)."""
    for sha256, text in snapshots:
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
            return None, f"the pinned playbook {sha256[:12]} was altered after it was recorded"
    for sha256, data, pinned in models:
        if pinned is None or data != derive_data(pinned):
            return None, f"the kept data of pinned playbook {sha256[:12]} does not match its text"
    missing = first_unpinned_declaration()
    if missing is not None:
        return missing, f"the playbook pinned by event {missing} is missing from the log"
    return None
