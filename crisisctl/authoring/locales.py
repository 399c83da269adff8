"""Language versions of the notices `playbook new` writes: Chinese ones built in (scaffolds/notices/zh/, Simplified),
other languages (Traditional Chinese too) get the English text to translate. Only notices to customers, key accounts
and regulators are localised."""

from __future__ import annotations

import re
from collections.abc import Sequence

from crisisctl.authoring.skeletons import render, scaffolds_root
from crisisctl.errors import UsageError
from crisisctl.playbook.vocabulary import CUSTOMER_AUDIENCES, LOCALE_PATTERN

LOCALISED_AUDIENCES = (*CUSTOMER_AUDIENCES, "regulator")
DEFAULT_LOCALE = "en"  # the language of the scaffolds' notices, first unless the author names it
NOTICES = "notices"


def notice_locales(requested: Sequence[str]) -> tuple[str, ...]:
    """A localised notice's `locales:`: the languages asked for, in their order (the first is the default), with
    English, the unsuffixed template, first unless it was named; none when none was asked for."""
    for locale in requested:
        if not re.fullmatch(LOCALE_PATTERN, locale):
            raise UsageError(f"`{locale}` is not a locale", "pass a language code such as zh, en or zh-Hant")
    ordered = tuple(dict.fromkeys(requested))
    if not ordered or ordered == (DEFAULT_LOCALE,):
        return ()
    return ordered if DEFAULT_LOCALE in ordered else (DEFAULT_LOCALE, *ordered)


def localised_templates(file: str, english: str, locales: Sequence[str]) -> dict[str, str]:
    """The template files of one notice, by name: the plain `notice.md.j2` in the first, default, language (what
    crisisctl drafts for it), and `notice.LOCALE.md.j2` beside it for each other one, English included."""
    from crisisctl.render.notices import localized_name

    default, *others = locales
    return {file: _body(file, english, default)} | {
        localized_name(file, locale): _body(file, english, locale) for locale in others
    }


def _body(file: str, english: str, locale: str) -> str:
    """The English text, the built-in version in that language (notices/LANGUAGE/), or the English one to
    translate."""
    if locale == DEFAULT_LOCALE:
        return english
    language = _built_in_language(locale)
    if language and (scaffolds_root() / NOTICES / language / file).is_file():
        return render(f"{NOTICES}/{language}/{file}", {})
    return render(f"{NOTICES}/translate.j2", {"locale": locale, "english": english})


def _built_in_language(locale: str) -> str:
    """The folder of built-in notices written for `locale`: its language, except for Traditional Chinese (zh-Hant,
    and zh-TW, zh-HK, zh-MO unless they say Hans): the Chinese notices are in Simplified characters."""
    language, *subtags = (subtag.lower() for subtag in re.split(r"[-_]", locale))
    if language == "zh" and "hans" not in subtags and {"hant", "tw", "hk", "mo"} & set(subtags):
        return ""
    return language
