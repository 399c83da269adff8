"""Canonical JSON (RFC 8785 style) and the algorithm-tagged hashes of the event chain."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from crisisctl.numbers import MAX_EXACT_INTEGER

HASH_PREFIX = "sha256:"


def parse_json(text: str) -> Any:
    """Read canonical JSON back: integers past 2^53 are doubles, as RFC 8785 writes them."""
    return json.loads(
        text,
        parse_int=lambda digits: (
            int(digits) if len(digits) < 16 or abs(int(digits)) <= MAX_EXACT_INTEGER else float(digits)
        ),
    )


def _number(value: int | float) -> str:
    """ECMAScript's Number.prototype.toString, as RFC 8785 requires (integers are kept exact)."""
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INTEGER:
            raise ValueError(f"{value} is beyond what a JSON number holds exactly (2^53)")
        return str(value)
    if not math.isfinite(value):
        raise ValueError("NaN and infinity have no JSON form")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # The shortest round-tripping digits, as repr() finds them, and the decimal point's position n.
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = k + int(exponent)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        text = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + text


def canonical_json(value: Any) -> str:
    """Sorted keys (by UTF-16 code units), no whitespace, ECMAScript number forms, UTF-8 text."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be text, not {type(key).__name__}")
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return (
            "{" + ",".join(f"{json.dumps(key, ensure_ascii=False)}:{canonical_json(value[key])}" for key in keys) + "}"
        )
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def event_hash(fields: dict[str, Any]) -> str:
    """The chain hash of one event: sha256 over the canonical JSON of all its fields, prev_hash included."""
    import hashlib  # the reference definition; the chain itself hashes in crisisctl.store.chain

    digest = hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()
    return HASH_PREFIX + digest
