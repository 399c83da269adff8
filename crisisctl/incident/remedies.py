"""Remedies: the compensation an incident offers customers (refunds, coupons, points...), who qualifies, how many
were issued. Recorded as events, also after the incident is closed: compensation is paid out for weeks."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

from msgspec import Struct, field

from crisisctl.errors import RefusedError, UsageError
from crisisctl.incident.ids import unknown
from crisisctl.numbers import ensure_recordable

REMEDY_KINDS = ("refund", "coupon", "points", "replacement", "warranty-extension", "service-credit")
# The unit of a remedy's value when no currency is given: points are counted, warranty extensions in months.
VALUE_UNITS = {"points": "points", "warranty-extension": "months"}
_CURRENCY = re.compile(r"[A-Z]{3}")


class Issuance(Struct, frozen=True):
    """One change of how many were issued."""

    at: dt.datetime
    actor: str
    issued: int
    previous: int
    note: str


class Remedy(Struct):
    """One remedy, as its events describe it."""

    id: str
    kind: str
    qualifies: str
    issued: int
    at: dt.datetime
    actor: str
    seq: int
    value: float | None = None  # of one remedy, in `currency` or in the kind's own unit
    currency: str = ""
    note: str = ""
    issuances: list[Issuance] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return self.currency or VALUE_UNITS.get(self.kind, "")

    @property
    def total(self) -> float | None:
        """The value of everything issued so far."""
        return None if self.value is None else round(self.value * self.issued, 6)


def remedy_from(data: dict[str, Any], at: dt.datetime, actor: str, seq: int) -> Remedy:
    """A remedy from its `remedy.added` event."""
    return Remedy(
        data["remedy"],
        data["kind"],
        data["qualifies"],
        int(data["issued"]),
        at,
        actor,
        seq,
        data.get("value"),
        data.get("currency", ""),
        data.get("note", ""),
    )


def next_remedy_id(remedies: Iterable[Remedy]) -> str:
    return f"R{sum(1 for _ in remedies) + 1}"


def check_remedy(kind: str, qualifies: str, issued: int, value: float | None, currency: str | None) -> dict[str, Any]:
    """The event data of a new remedy; exit 2 for a kind, count, value or currency that is not right."""
    if kind not in REMEDY_KINDS:
        raise unknown("remedy kind", kind, REMEDY_KINDS, "")
    if not qualifies.strip():
        raise UsageError(
            "--qualifies needs the customers who qualify", "e.g. --qualifies 'orders delayed more than 5 days'"
        )
    ensure_recordable(issued, f"--issued {issued}")
    data: dict[str, Any] = {"kind": kind, "qualifies": qualifies.strip(), "issued": issued}
    if value is not None:
        if not math.isfinite(value) or value <= 0:
            raise UsageError(f"--value {value:g} is not a positive amount", "give the value of one remedy, e.g. 20")
        ensure_recordable(value, f"--value {value:g}")
        data["value"] = int(value) if value.is_integer() else value
    if currency is not None:
        code = currency.strip().upper()
        if not _CURRENCY.fullmatch(code):
            raise UsageError(f"--currency `{currency}` is not a currency code", "write an ISO 4217 code, e.g. EUR")
        if value is None:
            raise UsageError("--currency needs --value", "e.g. --value 20 --currency EUR (the value of one remedy)")
        data["currency"] = code
    return data


def parse_issued(text: str, current: int) -> int:
    """The new number issued: N (the total so far) or +N (that many more)."""
    given = text.strip()
    try:
        number = int(given.removeprefix("+"))
    except ValueError:
        number = -1
    if number < 0 or given.startswith("-"):
        raise UsageError(
            f"`{text}` is not a number of remedies issued", "write the total issued so far (1200) or +N for N more"
        )
    ensure_recordable(number, f"`{text}` remedies issued")
    total = current + number if given.startswith("+") else number
    ensure_recordable(total, f"the total issued ({current} so far, {given})")
    return total


def check_issued_time(remedy: Remedy, at: dt.datetime) -> None:
    """A count is stated no earlier than the remedy was added, and no earlier than its latest count: an earlier
    total would be overtaken by the later one, as a fact's earlier value is (`set`), and +N is recorded as the
    latest total plus N, which is not what stood at an earlier time."""
    if at < remedy.at:
        raise RefusedError(
            f"the stated time {at:%Y-%m-%d %H:%M} UTC is before {remedy.id} was added ({remedy.at:%Y-%m-%d %H:%M} UTC)",
            "use a later --at: remedies are issued after they are offered",
        )
    later = [issuance for issuance in remedy.issuances if issuance.at > at]
    if later:
        latest = max(later, key=lambda issuance: issuance.at)
        raise RefusedError(
            f"{remedy.id} already has a later count ({latest.issued} issued, stated {latest.at:%Y-%m-%d %H:%M} UTC)",
            "use a later --at (or the latest count's): counts, N or +N, are recorded in stated order",
        )


def require_remedy(remedies: dict[str, Remedy], remedy_id: str, incident: str) -> Remedy:
    """The remedy named (ids are case-insensitive: r1 is R1)."""
    found = remedies.get(remedy_id.strip().upper())
    if found is None:
        raise unknown("remedy", remedy_id, remedies, f"{incident} has no remedies yet: crisisctl remedy add")
    return found


def remedy_totals(remedies: Iterable[Remedy]) -> dict[str, dict[str, Any]]:
    """Per kind: how many remedy records, how many issued, and the value issued per currency or unit."""
    totals: dict[str, dict[str, Any]] = {}
    for remedy in remedies:
        entry = totals.setdefault(remedy.kind, {"records": 0, "issued": 0, "value": {}})
        entry["records"] += 1
        entry["issued"] += remedy.issued
        if remedy.total is not None:
            unit = remedy.unit or "each"
            entry["value"][unit] = round(entry["value"].get(unit, 0) + remedy.total, 6)
    return dict(sorted(totals.items()))
