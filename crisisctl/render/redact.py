"""Mask e-mail addresses, phone, card and national ID numbers, and text matching configured patterns, in user
text, for reports and exports that leave the team."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from crisisctl.incident.records import StoredEvent

REDACTION_NOTICE = (
    "REDACTED: e-mail addresses, phone, card and national ID numbers (and text matching the configured patterns) "
    "in this output are masked; hashes refer to the original, unredacted events."
)
EMAIL_MASK = "[email redacted]"
PHONE_MASK = "[phone redacted]"
CARD_MASK = "[card redacted]"
ID_MASK = "[ID number redacted]"
PATTERN_MASK = "[redacted]"

# Internationalised addresses too (RFC 6531: 用户@例子.cn): letters and digits of any script in the local part and the
# domain labels; the top-level domain is ASCII letters or letters of one other script, so `zhang@例子.cn或` stops
# before 或. Without a local part (`@alice`, a chat handle) or a dotted domain (`alice@host`) it is no address. The
# full-width ＠ counts: Chinese text often writes it, to keep address harvesters away.
_AT = "@\uff20"
# Combining marks (\w leaves them out) of scripts that write vowels with them: Latin written decomposed, Hebrew, Arabic,
# the Indic scripts, Thai, Lao, Myanmar; without them मुकेश@… would be masked from its second letter on.
_MARKS = "\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f"
_LABEL = rf"[^\W_][\w{_MARKS}-]*"
_EMAIL = re.compile(
    rf"[\w{_MARKS}.%+-]+[{_AT}]{_LABEL}(?:\.{_LABEL})*\.(?:[A-Za-z]{{2,}}|(?:[^\W\d_A-Za-z]|[{_MARKS}]){{2,}})"
)
# 13 to 19 digits, optionally grouped by single spaces or dashes; the Luhn check decides.
_CARD = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?![\d])")
# Dates, times and IPv4 addresses are matched first so that they are never taken for phone numbers.
_NUMBERS = re.compile(
    r"(?P<keep>(?<![\d.])(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{1,3}(?:\.\d{1,3}){3})(?![\d]))"
    r"|(?P<phone>(?<![\d+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}(?:[ .-]?\d{1,5}){0,6}(?!\d))"
)
# A resident identity card number of mainland China: 6-digit area, birth date, 3-digit sequence, check character;
# written whole or in its printed groups (area, birth date or year and month-day, the last four), by a space or a
# dash, and glued to words ("ID110101..."): only digits around it make it part of a longer number.
_CN_ID = re.compile(r"(?<!\d)\d{6}(?:[ -]?\d{4}){2}[ -]?\d{3}[\dXx](?!\d)")
_CN_ID_GROUPING = re.compile(r"[ -]")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"
_SEPARATORS = re.compile(r"[ .()+-]+")
# Event fields that hold identifiers, hashes or times rather than what people wrote.
_MACHINE_KEYS = frozenset(
    {
        "number",
        "playbook",
        "playbook_version",
        "playbook_sha256",
        "severity",
        "drill",
        "step",
        "role",
        "forced",
        "from",
        "to",
        "communication",
        "locale",
        "sha256",
        "draft_sha256",
        "template",
        "template_sha256",
        "channel",
        "input",
        "inject",
    }
)


class Redaction(Struct, frozen=True):
    """A request to redact: the built-in rules, and the extra patterns configured in config.toml's [redact]."""

    patterns: tuple[re.Pattern[str], ...] = ()


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def cn_id_ok(number: str) -> bool:
    """GB 11643 check character and a real birth date: random 18-digit numbers rarely pass both."""
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _CN_ID_WEIGHTS, strict=True))
    if _CN_ID_CHECK[total % 11] != number[17].upper():
        return False
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born.year >= 1900


def _cn_id(match: re.Match[str]) -> str:
    return ID_MASK if cn_id_ok(_CN_ID_GROUPING.sub("", match.group())) else match.group()


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group())
    return CARD_MASK if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    """International (+), area-coded or grouped numbers of 9 to 15 digits, bare runs of 10 or more.

    Amounts written with thousands separators (1 200 000, 12.500.000) and short local
    numbers are left alone: a report full of masked figures would be useless.
    """
    text = match.group()
    if match.group("keep"):
        return text
    digits = sum(char.isdigit() for char in text)
    if digits > 15:
        bare = "".join(char for char in text if char.isdigit())
        return CARD_MASK if digits <= 19 and luhn_ok(bare) else text
    if digits < 7:
        return text
    if text.startswith("+") or "(" in text:
        return PHONE_MASK
    groups = [group for group in _SEPARATORS.split(text) if group]
    if len(groups) == 1:
        return PHONE_MASK if digits >= 10 else text
    if len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:]):
        return text
    return PHONE_MASK if digits >= 9 else text


def redact_text(text: str, patterns: Sequence[re.Pattern[str]] = ()) -> str:
    """The text with every e-mail address, phone number, Luhn-valid card number, checksum-valid Chinese ID
    number and match of the configured `patterns` masked. The patterns run last: one that masks part of a
    number (its last digits) would otherwise leave the rest of it unrecognised, and readable. Only what a pattern
    matches is masked: where it matches empty text, nothing is inserted."""
    if any(char.isdigit() or char in _AT for char in text):
        text = _EMAIL.sub(EMAIL_MASK, text)
        text = _CN_ID.sub(_cn_id, text)
        text = _CARD.sub(_card, text)
        text = _NUMBERS.sub(_phone, text)
    for pattern in patterns:
        text = pattern.sub(_pattern_mask, text)
    return text


def _pattern_mask(match: re.Match[str]) -> str:
    """A configured pattern's match masked; an empty one (`\\d*`, `\\b`, a lookahead) inserts nothing, so no
    pattern can put masks between characters."""
    return PATTERN_MASK if match.group() else ""


def redact_value(value: Any, patterns: Sequence[re.Pattern[str]] = ()) -> Any:
    """Strings masked anywhere inside lists and mappings; other values unchanged."""
    if isinstance(value, str):
        return redact_text(value, patterns)
    if isinstance(value, list):
        return [redact_value(item, patterns) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item, patterns) for key, item in value.items()}
    return value


def _redact_data(data: dict[str, Any], patterns: Sequence[re.Pattern[str]]) -> dict[str, Any]:
    return {key: value if key in _MACHINE_KEYS else redact_value(value, patterns) for key, value in data.items()}


def redact_events(events: Sequence[StoredEvent], patterns: Sequence[re.Pattern[str]] = ()) -> list[StoredEvent]:
    """Events with what people wrote (notes, inputs, titles, drafts, names) masked; ids, times and hashes kept."""
    return [
        StoredEvent(
            event.seq,
            event.incident,
            event.at,
            event.recorded_at,
            event.type,
            redact_text(event.actor, patterns),
            _redact_data(event.data, patterns),
            event.prev_hash,
            event.hash,
        )
        for event in events
    ]
