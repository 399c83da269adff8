"""The language of each part of an HTML report: Chinese, Japanese and Korean runs in text of another language get a
`lang` attribute, so screen readers pick the right voice and browsers the right fonts (WCAG 3.1.2)."""

from __future__ import annotations

import re

_KANA = "\u3040-\u30ff\u31f0-\u31ff"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Hangul syllables, jamo (conjoining, extended A and B) and compatibility jamo.
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u3130-\u318f"
# Han, kana and Hangul, with the CJK punctuation and full-width forms written between them (，。：（）).
_CJK = f"{_HAN}{_KANA}{_HANGUL}\u3000-\u303f\uff00-\uffef"
_RUN = re.compile(f"[{_CJK}]+(?:[ \t]+[{_CJK}]+)*")
_LETTERS = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]")
_HAS_KANA = re.compile(f"[{_KANA}]")
_HAS_HANGUL = re.compile(f"[{_HANGUL}]")
# Comments and elements whose content is not flowing text (a <span> there would be shown or misread) pass whole.
_TOKEN = re.compile(
    r"<!--.*?-->|<(script|style|title|textarea|svg|math)\b[^>]*>.*?</\1\s*>|<[^>]*>", re.DOTALL | re.IGNORECASE
)
_START_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)")
# One attribute of a start tag, read in order from after the name, so `lang=` inside another's quoted value is a value.
_ATTRIBUTE = re.compile(r"""\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?|\s*/""")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(locale: str) -> str:
    """A locale (`zh`, `zh_CN`, `pt-BR`) as an HTML `lang` value, or "" when it is not one."""
    tag = locale.replace("_", "-")
    return tag if _LANGUAGE_TAG.fullmatch(tag) else ""


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def _mark_runs(text: str, language: str) -> str:
    """`text` (escaped HTML between two tags) with each CJK run not in `language` wrapped in a span that says so:
    Korean when it has Hangul (Hanja among Hangul are Korean), else Japanese when it has kana, else Chinese."""

    def wrap(match: re.Match[str]) -> str:
        run = match.group()
        if not _LETTERS.search(run):
            return run  # punctuation alone says nothing about the language
        lang = _run_language(run)
        if lang == language or (language in ("ja", "ko") and lang == "zh"):
            return run  # kanji (hanja) in Japanese (Korean) text are Japanese (Korean): Han alone cannot tell
        return f'<span lang="{lang}">{run}</span>'

    return _RUN.sub(wrap, text)


def _run_language(run: str) -> str:
    if _HAS_HANGUL.search(run):
        return "ko"
    return "ja" if _HAS_KANA.search(run) else "zh"


def mark_languages(html: str) -> str:
    """The document with `lang="zh"` (`ja`, `ko`) on Chinese (Japanese, Korean) runs whose element is in another
    language.

    The language of an element is the nearest `lang` around it, from `<html lang>` down; text in the
    report's own language, and text inside an element that already names its language, is left alone.
    """
    if not _LETTERS.search(html):
        return html
    pieces: list[str] = []
    stack: list[tuple[str, str]] = []  # open elements: name, primary language subtag ("" when not given)
    position = 0
    for token in _TOKEN.finditer(html):
        if token.start() > position:
            pieces.append(_mark_runs(html[position : token.start()], _current(stack)))
        pieces.append(token.group())
        position = token.end()
        _follow(token.group(), stack)
    pieces.append(_mark_runs(html[position:], _current(stack)))
    return "".join(pieces)


def _current(stack: list[tuple[str, str]]) -> str:
    return next((lang for _, lang in reversed(stack) if lang), "")


def _follow(tag: str, stack: list[tuple[str, str]]) -> None:
    """Keep the stack of open elements and their languages as a tag opens or closes one."""
    if (end := _END_TAG.match(tag)) is not None:
        name = end.group(1).lower()
        if any(open_name == name for open_name, _ in stack):
            while stack and stack.pop()[0] != name:
                pass
        return
    start = _START_TAG.match(tag)
    if start is None or tag.endswith("/>") or start.group(1).lower() in _VOID:
        return
    if start.group(1).lower() in ("script", "style", "title", "textarea", "svg", "math"):
        return  # opened and closed within the token
    stack.append((start.group(1).lower(), _primary(_lang_attribute(tag, start.end()))))


def _lang_attribute(tag: str, position: int) -> str:
    """The value of the start tag's `lang` attribute, read from `position` (after the element's name); "" if none."""
    while (attribute := _ATTRIBUTE.match(tag, position)) is not None and attribute.end() > position:
        name, *values = attribute.groups()
        if name is not None and name.lower() == "lang":
            return next((value for value in values if value is not None), "")
        position = attribute.end()
    return ""
