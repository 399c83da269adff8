"""The author's answers to `playbook new`, and the checks they pass whether typed as flags or in the wizard."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from msgspec import Struct

from crisisctl.authoring.scaffold import category_plan
from crisisctl.blank import is_blank
from crisisctl.playbook.vocabulary import CATEGORIES, SLUG_PATTERN

MAX_TEXT = 200
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cn", "Co", "Zl", "Zp"})
_REFUSED_FORMATS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


class PlaybookRequest(Struct, frozen=True):
    """What the author chose: the category, the playbook's id and title, and who owns it."""

    category: str
    playbook_id: str
    title: str | None = None  # None: the category's usual title
    owner: str | None = None
    locales: tuple[str, ...] = ()  # language versions of notices to customers, key accounts and regulators


def category_problem(value: str) -> str | None:
    """Why `value` is not a category, or None."""
    if value in CATEGORIES:
        return None
    return f"`{value}` is not a category; use one of {', '.join(CATEGORIES)}"


def id_problem(value: str, used: Mapping[str, str]) -> str | None:
    """Why `value` cannot be the new playbook's id, given the ids in use (`playbook_ids`), or None."""
    return slug_problem(value) or taken_problem(value, used)


def slug_problem(value: str) -> str | None:
    if re.fullmatch(SLUG_PATTERN, value):
        return None
    return f"`{value}` is not a slug: use lower-case letters, digits and hyphens, starting with a letter or digit"


def taken_problem(value: str, used: Mapping[str, str]) -> str | None:
    used_by = used.get(value)
    return None if used_by is None else f"the playbook id `{value}` is already used by {used_by}"


def text_problem(value: str, what: str) -> str | None:
    """Why `value` cannot be the playbook's title or owner, or None."""
    if is_blank(value):
        return f"the {what} is empty"  # as validate judges it: a soft hyphen or zero-width space alone is blank
    if len(value) > MAX_TEXT:
        return f"the {what} is longer than {MAX_TEXT} characters"
    # Line breaks and controls would end the YAML value; bidirectional overrides hide what it says.
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES or char in _REFUSED_FORMATS for char in value):
        return f"the {what} holds a line break or control character"
    return None


def playbook_ids(playbooks: Path) -> dict[str, str]:
    """The ids already used in the playbook folder, with the file that uses each."""
    from crisisctl.playbook.files import discover
    from crisisctl.playbook.yamlsource import YScalar, load_file

    if not playbooks.is_dir():
        return {}
    ids: dict[str, str] = {}
    for path in discover([playbooks]):
        document = load_file(path).document
        node = document.items.get("id") if document is not None else None
        if isinstance(node, YScalar) and isinstance(node.value, str):
            ids.setdefault(node.value, str(path))
    return ids


def default_title(category: str) -> str:
    title: str = category_plan(category)["title"]
    return title


def category_summary(category: str) -> str:
    summary: str = category_plan(category)["summary"]
    return summary


def suggested_id(category: str, used: Mapping[str, str]) -> str:
    """The category's own name, or the first free `CATEGORY-N`."""
    candidates = [category, *(f"{category}-{number}" for number in range(2, 100))]
    return next((candidate for candidate in candidates if candidate not in used), category)
