"""Linked incidents for people and scripts: rows and the --json shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crisisctl.clock import format_time
from crisisctl.incident.links import Link
from crisisctl.timezones import shown

LINK_COLUMNS = ("link", "incident", "at", "by", "why")


def link_rows(links: Sequence[Link]) -> list[tuple[str, ...]]:
    return [(link.words, link.incident, shown(link.at), link.actor, link.note) for link in links]


def link_payload(link: Link) -> dict[str, Any]:
    return {
        "incident": link.incident,
        "relation": link.relation,
        "direction": link.direction,
        "words": link.words,
        "at": format_time(link.at),
        "actor": link.actor,
        "note": link.note or None,
        "seq": link.seq,
    }
