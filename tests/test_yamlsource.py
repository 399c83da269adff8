"""The YAML entry point refuses hostile input quickly, with positions, and never runs code."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from crisisctl.playbook.yamlsource import (
    MAX_FILE_BYTES,
    YMap,
    YScalar,
    YSeq,
    load_bytes,
    load_file,
    load_text,
    plain_value,
)


def rules(result) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    return [(problem.rule, problem.line, problem.column) for problem in result.problems]


def test_python_tags_are_refused_and_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"title: !!python/object/apply:os.system ['touch {marker}']\n"
    result = load_text(text, "evil.yaml")
    assert result.document is None
    assert rules(result) == [("unsafe-tag", 1, 8)]
    assert not marker.exists()


def test_custom_tags_are_refused_with_position() -> None:
    result = load_text("a: 1\nb: !include other.yaml\n", "t.yaml")
    assert rules(result) == [("unsafe-tag", 2, 4)]


BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)


def test_alias_bomb_is_refused_within_a_second_and_50_mb() -> None:
    code = (
        "import resource, time, sys\n"
        "from crisisctl.playbook.yamlsource import load_text\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "start = time.perf_counter()\n"
        f"result = load_text({BILLION_LAUGHS!r}, 'bomb.yaml')\n"
        "elapsed = time.perf_counter() - start\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(result.problems[0].rule, elapsed, grown)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "alias-bomb"
    assert float(out[1]) < 1.0
    assert int(out[2]) < 50 * 1024  # KiB


def test_the_alias_that_breaks_the_budget_is_the_one_reported() -> None:
    # Aliases used as keys and as merge values count too: the position must still be that of the
    # alias whose expansion crosses the budget, the first `*d` on the line of `e`.
    text = "k: &k key\nm: {*k : 1}\nbase: &base {x: 1}\nn: {<<: *base}\n" + BILLION_LAUGHS.split("\n", 1)[1]
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + text
    result = load_text(text, "bomb.yaml")
    line = text.splitlines().index(next(row for row in text.splitlines() if row.startswith("e:"))) + 1
    assert rules(result) == [("alias-bomb", line, 8)]
    assert result.problems[0].path == "e[0]"


def test_an_alias_inside_its_own_anchor_is_refused_at_the_alias() -> None:
    result = load_text("steps: &s\n  - *s\n", "loop.yaml")
    assert rules(result) == [("yaml-syntax", 2, 5)]
    assert "*s" in result.problems[0].message


def test_an_anchor_defined_twice_names_both_lines() -> None:
    result = load_text("a: &x 1\nb: &x 2\n", "anchors.yaml")
    assert rules(result) == [("yaml-syntax", 2, 4)]
    assert "&x" in result.problems[0].message and "line 1" in result.problems[0].message


def test_an_ampersand_in_text_is_only_text() -> None:
    result = load_text("title: R&D outage\nsteps: [a & b, c]\n", "amp.yaml")
    assert result.problems == []
    assert plain_value(result.document) == {"title": "R&D outage", "steps": ["a & b", "c"]}  # type: ignore[arg-type]


def test_shared_nodes_keep_their_values_and_positions() -> None:
    result = load_text("base: &b {x: 1}\none: *b\ntwo: [*b, *b]\n", "shared.yaml")
    assert result.problems == []
    document = result.document
    assert document is not None
    assert plain_value(document) == {"base": {"x": 1}, "one": {"x": 1}, "two": [{"x": 1}, {"x": 1}]}
    assert (document.items["one"].line, document.items["one"].column) == (1, 7)


def test_a_date_that_is_no_date_stays_text_and_a_tagged_one_is_refused() -> None:
    loose = load_text("a: 2026-13-40\nb: 2026-13-40\n", "d.yaml")
    assert plain_value(loose.document) == {"a": "2026-13-40", "b": "2026-13-40"}  # type: ignore[arg-type]
    tagged = load_text("a: !!timestamp 2026-13-40\n", "d.yaml")
    assert rules(tagged) == [("bad-scalar", 1, 4)]


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: [" + b"1," * (5 * 1024 * 1024) + b"1]\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = load_file(big)
    assert rules(result) == [("file-too-large", 1, 1)]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 20 * 1024


def test_a_file_of_too_many_tiny_values_is_refused_before_building_them() -> None:
    # 150,000 values in well under 1 MiB: composing them all would take hundreds of MB.
    code = (
        "import resource\n"
        "from crisisctl.playbook.yamlsource import load_text\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "result = load_text('a: [' + '1,' * 150_000 + '1]\\n', 'tiny.yaml')\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print([problem.rule for problem in result.problems], grown)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "['file-too-large']"
    assert int(out[1]) < 20 * 1024  # KiB


def test_a_long_file_under_the_value_limit_is_read() -> None:
    result = load_text("a: [" + "1," * 60_000 + "1]\n", "long.yaml")
    assert result.problems == []
    assert len(result.document.items["a"].items) == 60_001  # type: ignore[union-attr]


def test_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    body = b"a: '" + b"x" * (MAX_FILE_BYTES - 6) + b"'\n"
    assert len(body) == MAX_FILE_BYTES
    path.write_bytes(body)
    assert load_file(path).problems == []


def test_deep_nesting_gives_a_clean_error() -> None:
    result = load_text("a: " + "[" * 1000 + "]" * 1000 + "\n", "deep.yaml")
    assert [rule for rule, _, _ in rules(result)] == ["too-deep"]


DEEP_BRACKETS = "a: " + "[" * 40_000 + "]" * 40_000 + "\n"


def test_nesting_deeper_than_the_c_stack_is_refused_not_a_crash() -> None:
    code = (
        "from crisisctl.playbook.yamlsource import COMPOSES_IN_C, load_text\n"
        f"result = load_text({DEEP_BRACKETS!r}, 'deep.yaml')\n"
        "print(COMPOSES_IN_C, [problem.rule for problem in result.problems])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "['too-deep']"]


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (
            "import yaml._yaml\nyaml._yaml.get_version = lambda: (0, 2, 5)\n",
            "PyYAML's libyaml is 0.2.5, older than 0.2.6",
        ),
        ("import sys\nsys.modules['yaml._yaml'] = None\n", "PyYAML was built without libyaml"),  # no C module at all
    ],
)
def test_a_libyaml_without_a_nesting_limit_is_not_used_to_compose(build: str, reason: str) -> None:
    # libyaml before 0.2.6 composes without a depth limit and overflows the C stack on the file
    # above; such a build must fall back to PyYAML's Python composer and say why it is slower.
    code = (
        build + "from crisisctl.playbook.yamlsource import COMPOSES_IN_C, SLOW_LOADER_REASON, load_text\n"
        f"result = load_text({DEEP_BRACKETS!r}, 'deep.yaml')\n"
        "print(COMPOSES_IN_C, [problem.rule for problem in result.problems])\n"
        "print(SLOW_LOADER_REASON)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False ['too-deep']", reason]


@pytest.mark.parametrize("text", ["a: ! 12\n", "a: ! yes\n", 'a: ! "12"\n', "a: &k ! 12\n"])
def test_the_non_specific_tag_keeps_the_text(text: str) -> None:
    result = load_text(text, "tag.yaml")
    assert result.problems == [] and result.document is not None
    assert plain_value(result.document)["a"] in ("12", "yes")


def test_numbers_too_long_for_a_plan_stay_text_or_are_refused_when_tagged() -> None:
    sexagesimal = "1" + ":0" * 3000
    assert plain_value(load_text(f"a: {sexagesimal}\n", "n.yaml").document) == {"a": sexagesimal}  # type: ignore[arg-type]
    tagged = load_text("a: !!int " + "9" * 5000 + "\n", "n.yaml")
    assert rules(tagged) == [("bad-scalar", 1, 4)]
    assert len(tagged.problems[0].message) < 200


def test_long_plain_values_are_not_kept_after_loading() -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(40):
            load_text(f"summary: {index} " + "word " * 40_000 + "\n", "long.yaml")
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2 * 1024 * 1024  # forty 200 KB values loaded; none of them stays cached


def test_duplicate_keys_name_both_lines() -> None:
    result = load_text("title: one\nsummary: x\ntitle: two\n", "dup.yaml")
    assert rules(result) == [("duplicate-key", 3, 1)]
    assert "line 1" in result.problems[0].message and "line 3" in result.problems[0].message


def test_duplicate_keys_are_all_reported_not_only_the_first() -> None:
    result = load_text("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n", "dup.yaml")
    assert rules(result) == [("duplicate-key", 2, 1), ("duplicate-key", 5, 3)]


@pytest.mark.parametrize(
    ("raw", "value"),
    [("NO", False), ("on", True), ("0755", 493), ("1:30", 90), ("1.10", 1.1), ("yes", True)],
)
def test_yaml_11_surprises_keep_the_written_text(raw: str, value: object) -> None:
    result = load_text(f"title: {raw}\n", "s.yaml")
    assert result.document is not None
    node = result.document.items["title"]
    assert isinstance(node, YScalar)
    assert node.value == value
    assert node.raw == raw and node.plain


def test_quoted_values_stay_text() -> None:
    result = load_text("title: 'no'\nversion: \"1.10\"\n", "q.yaml")
    assert result.document is not None
    assert plain_value(result.document) == {"title": "no", "version": "1.10"}


def test_positions_are_one_based() -> None:
    result = load_text("a:\n  b: [x, y]\n", "p.yaml")
    assert result.document is not None
    a = result.document.items["a"]
    assert isinstance(a, YMap)
    b = a.items["b"]
    assert isinstance(b, YSeq)
    assert (b.line, b.column) == (2, 6)
    assert (b.items[1].line, b.items[1].column) == (2, 10)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"", "empty"),
        (b"# only a comment\n", "empty"),
        (b"- a\n- b\n", "not-a-mapping"),
        (b"just text\n", "not-a-mapping"),
        (b"a: 1\n---\nb: 2\n", "several-documents"),
        (b"a: \xff\n", "encoding"),
        (b"a: [1,\n", "yaml-syntax"),
        (b"a: *nowhere\n", "yaml-syntax"),
    ],
)
def test_malformed_files_are_refused_with_one_problem(data: bytes, rule: str) -> None:
    result = load_bytes(data, "bad.yaml")
    assert result.document is None
    assert [problem.rule for problem in result.problems] == [rule]


def test_utf8_bom_is_accepted() -> None:
    assert load_bytes("\ufeffa: ü\n".encode(), "bom.yaml").problems == []


def test_merge_keys_merge_and_explicit_keys_win() -> None:
    result = load_text("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert result.document is not None
    assert plain_value(result.document)["item"] == {"x": 1, "y": 3}


@settings(max_examples=examples(300), deadline=1000)
@given(st.binary(max_size=2048))
def test_any_bytes_give_problems_or_a_document_never_an_exception(data: bytes) -> None:
    start = time.perf_counter()
    result = load_bytes(data, "fuzz.yaml")
    if result.document is None:
        assert result.problems
    else:
        assert all(problem.rule == "duplicate-key" for problem in result.problems)
    assert time.perf_counter() - start < 1.0


@settings(max_examples=examples(300), deadline=1000)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n ,?1.%@`")), max_size=300))
def test_yaml_like_text_never_escapes_as_an_exception(text: str) -> None:
    load_text(text, "fuzz.yaml")


@pytest.mark.parametrize(
    "text",
    ["a: !!bool maybe\n", "a: !!timestamp abc\n", "a: !!int x1\n", "a: !!float pi\n", "a: !!int ''\n", "a: !!float\n"],
)
def test_explicit_tags_with_unreadable_values_are_problems(text: str) -> None:
    result = load_text(text, "t.yaml")
    assert [problem.rule for problem in result.problems] == ["bad-scalar"]
