"""Remedies for people and scripts: rows and the --json shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crisisctl.clock import format_time
from crisisctl.incident.remedies import Remedy
from crisisctl.incident.state import IncidentState

REMEDY_COLUMNS = ("id", "kind", "who qualifies", "issued", "value each", "value issued")


def _amount(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g} {unit}".rstrip()


def remedy_rows(remedies: Sequence[Remedy]) -> list[tuple[str, ...]]:
    return [
        (
            remedy.id,
            remedy.kind,
            remedy.qualifies,
            str(remedy.issued),
            _amount(remedy.value, remedy.unit),
            _amount(remedy.total, remedy.unit),
        )
        for remedy in remedies
    ]


def remedy_payload(state: IncidentState, remedy: Remedy) -> dict[str, Any]:
    return {
        "incident": state.id,
        "drill": state.drill,
        "id": remedy.id,
        "kind": remedy.kind,
        "qualifies": remedy.qualifies,
        "issued": remedy.issued,
        "value": remedy.value,
        "currency": remedy.currency or None,
        "unit": remedy.unit or None,
        "total_value": remedy.total,
        "note": remedy.note or None,
        "added_at": format_time(remedy.at),
        "added_by": remedy.actor,
        "issuances": [
            {
                "at": format_time(i.at),
                "actor": i.actor,
                "issued": i.issued,
                "previous": i.previous,
                "note": i.note or None,
            }
            for i in remedy.issuances
        ],
    }
