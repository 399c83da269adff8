"""The hash chain, computed in Python for every store alike: each event's hash over its canonical JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from crisisctl.incident.records import NewEvent, StoredEvent, Verification
from crisisctl.store.canonical import HASH_PREFIX, canonical_json

GENESIS_HASH = HASH_PREFIX + "0" * 64

# seq, incident, at, recorded_at, type, actor, data (canonical JSON text), prev_hash, hash: as stores keep them.
EventRow = tuple[int, str, str, str, str, str, str, str, str]


def _quote(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def chain_hash(
    seq: int, incident: str, at: str, recorded_at: str, event_type: str, actor: str, data_json: str, prev_hash: str
) -> str:
    """sha256 over the canonical JSON of the event; `data_json` is already canonical.

    Equal to `event_hash` of the same fields as a dict, written out by hand with the
    keys in canonical order because verify runs it a million times.
    """
    fields = actor + at + incident + prev_hash + recorded_at + event_type
    if fields.isascii() and fields.isprintable() and '"' not in fields and "\\" not in fields:
        # One check instead of six: these fields are printable ASCII without quotes almost always.
        text = (
            f'{{"actor":"{actor}","at":"{at}","data":{data_json},"incident":"{incident}",'
            f'"prev_hash":"{prev_hash}","recorded_at":"{recorded_at}","seq":{seq},"type":"{event_type}"}}'
        )
    else:
        text = (
            f'{{"actor":{_quote(actor)},"at":{_quote(at)},"data":{data_json},"incident":{_quote(incident)},'
            f'"prev_hash":{_quote(prev_hash)},"recorded_at":{_quote(recorded_at)},"seq":{seq},'
            f'"type":{_quote(event_type)}}}'
        )
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def link(
    events: Iterable[NewEvent],
    newest: tuple[int, str],
    recorded_at: str,
    wall: str | None = None,
    extra: dict[str, Any] | None = None,
) -> list[tuple[StoredEvent, str]]:
    """The events as they follow `newest` (seq, hash) in the chain, each with its data's canonical JSON.

    `wall` is the machine's clock when it differs from `recorded_at` (kept from running backwards):
    it is kept in each event's data as `recorded_wall`, so a clock set back shows in the record.
    `extra` is what the store itself vouches for (PostgreSQL's `db_user`), added to every event's data.
    """
    seq, prev_hash = newest
    linked: list[tuple[StoredEvent, str]] = []
    for event in events:
        seq += 1
        data = event.data if not extra else {**event.data, **extra}
        if wall is not None and wall != recorded_at:
            data = {**data, "recorded_wall": wall}
        data_json = canonical_json(data)
        digest = chain_hash(seq, event.incident, event.at, recorded_at, event.type, event.actor, data_json, prev_hash)
        stored = StoredEvent(
            seq, event.incident, event.at, recorded_at, event.type, event.actor, data, prev_hash, digest
        )
        linked.append((stored, data_json))
        prev_hash = digest
    return linked


def verify_rows(rows: Iterable[EventRow], anchors: Iterable[tuple[int, str]] = ()) -> Verification:
    """Recompute every hash and link of `rows` (every event, by seq); name the first event that does not fit,
    or that differs from its anchor (`anchors`: (seq, hash) kept outside the log, oldest first)."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    pending = iter(anchors)
    anchor = next(pending, None)
    for seq, incident, at, recorded_at, event_type, actor, data_json, stored_prev, stored_hash in rows:
        count += 1
        if seq != expected_seq:
            return Verification(False, count, None, expected_seq, f"event {expected_seq} is missing (next is {seq})")
        if stored_prev != prev_hash:
            return Verification(False, count, None, seq, f"event {seq} does not follow event {seq - 1} (chain broken)")
        if chain_hash(seq, incident, at, recorded_at, event_type, actor, data_json, stored_prev) != stored_hash:
            return Verification(False, count, None, seq, f"event {seq} was altered after it was recorded")
        while anchor is not None and seq == anchor[0]:  # `while`: the same event may be anchored twice
            if stored_hash != anchor[1]:
                return Verification(False, count, None, seq, f"event {seq} differs from its anchor (log rewritten)")
            anchor = next(pending, None)
        prev_hash, expected_seq = stored_hash, seq + 1
    newest_anchor = f"{expected_seq - 1}:{prev_hash}" if count else None
    if anchor is not None:
        return Verification(
            False, count, newest_anchor, anchor[0], f"event {anchor[0]} named by an anchor is missing (log cut short)"
        )
    return Verification(True, count, newest_anchor)
