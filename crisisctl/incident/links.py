"""Linked incidents: one crisis handed over to another (a complaint surge becoming a PR crisis), a follow-up
incident opened after the first closed, or simply related ones. A link is recorded on both incidents."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

RELATIONS = ("handover", "follow-up", "related")
# How each side reads its link: direction `to` is on the incident named first, `from` on the other one.
_WORDS = {
    ("handover", "to"): "hands over to",
    ("handover", "from"): "takes over from",
    ("follow-up", "to"): "followed up by",
    ("follow-up", "from"): "follows up",
    ("related", "to"): "related to",
    ("related", "from"): "related to",
}


class Link(Struct, frozen=True):
    """One incident's link to another, as recorded on it."""

    incident: str
    relation: str
    direction: str  # "to": this incident named the other; "from": the other named this one
    at: dt.datetime
    actor: str
    note: str
    seq: int

    @property
    def words(self) -> str:
        return link_words(self.relation, self.direction)


def link_words(relation: str, direction: str) -> str:
    return _WORDS.get((relation, direction), f"{relation} {direction}")
