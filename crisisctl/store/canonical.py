"""Canonical JSON (RFC 8785 style) and the algorithm-tagged hashes of the event chain."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

HASH_PREFIX = "sha256:"


def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError("NaN and infinity have no JSON form")
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


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
    digest = hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()
    return HASH_PREFIX + digest
