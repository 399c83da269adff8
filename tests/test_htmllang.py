"""Which parts of an HTML report say they are Chinese, Japanese or Korean: the rules, and a property over any text."""

from __future__ import annotations

import html
import re

from budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crisisctl.render.htmllang import language_tag, mark_languages

KANA = "\u3040-\u30ff\u31f0-\u31ff"
HANGUL = "\uac00-\ud7af\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u3130-\u318f"
CJK_LETTER = re.compile(f"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f{KANA}{HANGUL}]")
SPAN = re.compile(r'<span lang="(zh|ja|ko)">(.*?)</span>')


def test_language_marking_rules() -> None:
    page = '<html lang="en"><body><p title="标题">客户 张女士: 退款</p><div lang="zh-CN">已处理，谢谢</div>'
    marked = mark_languages(page + "<p>お問い合わせ</p><p>，</p></body></html>")
    assert '<p title="标题"><span lang="zh">客户 张女士</span>: <span lang="zh">退款</span></p>' in marked
    assert '<div lang="zh-CN">已处理，谢谢</div>' in marked
    assert '<p><span lang="ja">お問い合わせ</span></p>' in marked and "<p>，</p>" in marked
    assert mark_languages('<html lang="zh"><body><p>客户 <b>A</b> 退款</p></body></html>').count("<span") == 0
    japanese = '<html lang="ja"><body><p>東京</p><p>東京へ</p><p lang="zh">东京</p></body></html>'
    assert mark_languages(japanese) == japanese  # kanji without kana in Japanese text is Japanese
    assert mark_languages('<html lang="en"><body><p title="x lang=zh">东京</p></body></html>') == (
        '<html lang="en"><body><p title="x lang=zh"><span lang="zh">东京</span></p></body></html>'
    )
    assert mark_languages("<html lang=en><body><p data-x='lang=\"zh\"'>东京</p>").count('<span lang="zh">') == 1
    korean = mark_languages('<html lang="en"><body><p>고객 김민수: 환불</p><p>大韓民國 국민</p></body></html>')
    assert '<p><span lang="ko">고객 김민수</span>: <span lang="ko">환불</span></p>' in korean
    assert '<p><span lang="ko">大韓民國 국민</span></p>' in korean  # Hanja among Hangul are Korean
    in_korean = '<html lang="ko"><body><p>고객 김민수</p><p lang="en">ok <b>환불</b></p></body></html>'
    assert mark_languages(in_korean) == in_korean.replace("<b>환불</b>", '<b><span lang="ko">환불</span></b>')
    hanja = '<html lang="ko"><body><p>大韓民國</p><p>お問い合わせ</p></body></html>'  # hanja alone: Korean
    assert mark_languages(hanja) == hanja.replace("<p>お", '<p><span lang="ja">お').replace("せ</p>", "せ</span></p>")
    english = '<html lang="en"><body><p>No Chinese here — only “quotes”…</p></body></html>'
    assert mark_languages(english) == english
    assert [language_tag(locale) for locale in ("zh", "zh_CN", "pt-BR", "", "x", "en us")] == [
        "zh",
        "zh-CN",
        "pt-BR",
        "",
        "",
        "",
    ]


# Latin, Chinese, kana, Hangul and CJK punctuation mixed with anything else Unicode has.
TEXT = st.text(
    st.one_of(
        st.sampled_from("客户张女士退款處理お問い合わせアイ고객환불가ㄱ，。：（）　 \tabcXYZ 1-2 <&>\"'"),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


@settings(max_examples=examples(200))
@given(TEXT)
@example("東京")  # kanji only: Chinese in English text, Japanese in Japanese text
@example("서울 東京")  # Hangul and Han in one run: Korean
def test_every_cjk_character_in_english_text_is_marked_and_nothing_else_changes(text: str) -> None:
    page = f'<html lang="en"><body><main><p>{html.escape(text)}</p></main></body></html>'
    marked = mark_languages(page)
    assert SPAN.sub(lambda match: match.group(2), marked) == page
    assert not CJK_LETTER.search(SPAN.sub("", marked))
    for lang, run in SPAN.findall(marked):
        assert CJK_LETTER.search(run)
        has_hangul = bool(re.search(f"[{HANGUL}]", run))
        assert (lang == "ko") == has_hangul
        assert (lang == "ja") == (not has_hangul and bool(re.search(f"[{KANA}]", run)))
    # In a Chinese (Japanese, Korean) document, Chinese (Japanese, Korean) needs no mark of its own.
    assert '<span lang="zh">' not in mark_languages(page.replace('lang="en"', 'lang="zh-CN"'))
    # A run without kana in a Japanese document is Japanese too: kanji alone cannot tell the two apart. Only runs
    # with Hangul (Korean) are marked there.
    japanese = page.replace('lang="en"', 'lang="ja"')
    in_japanese = mark_languages(japanese)
    assert SPAN.sub(lambda match: match.group(2), in_japanese) == japanese
    assert {lang for lang, _ in SPAN.findall(in_japanese)} <= {"ko"}
    assert [run for _, run in SPAN.findall(in_japanese)] == [run for lang, run in SPAN.findall(marked) if lang == "ko"]
    # Likewise hanja without Hangul in a Korean document are Korean; only runs with kana (Japanese) are marked there.
    korean = page.replace('lang="en"', 'lang="ko-KR"')
    in_korean = mark_languages(korean)
    assert SPAN.sub(lambda match: match.group(2), in_korean) == korean
    assert [run for _, run in SPAN.findall(in_korean)] == [run for lang, run in SPAN.findall(marked) if lang == "ja"]
    assert {lang for lang, _ in SPAN.findall(in_korean)} <= {"ja"}
