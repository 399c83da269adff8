"""Hostile and odd inputs to `playbook validate` (found by an adversarial sweep): each one gives
clean problems and a documented exit code; never exit 3, a traceback, raw escapes or unbounded work."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import crisisctl

CORPUS = Path(__file__).parent / "corpus"
BASE = (CORPUS / "base-playbook.yaml").read_text(encoding="utf-8")


def validate(
    *paths: Path, templates: Path = CORPUS / "templates", fmt: str = "json"
) -> subprocess.CompletedProcess[str]:
    return crisisctl("--templates", str(templates), "playbook", "validate", *map(str, paths), "--format", fmt)


STATUS = ("drill", "status", "--json")


def errors(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    assert result.returncode == 1, result.stderr
    return [(error["rule"], error["message"]) for error in json.loads(result.stdout)["errors"]]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_review_date_with_a_time_or_at_the_end_of_the_calendar_is_no_crash(tmp_path: Path) -> None:
    with_time = write(
        tmp_path, "a.yaml", BASE.replace("title:", "review: {every: 1d, last_reviewed: 2020-01-01 10:00:00}\ntitle:", 1)
    )
    assert ("date", "expected a date YYYY-MM-DD, found a date and time") in errors(validate(with_time))
    last_day = write(
        tmp_path, "b.yaml", BASE.replace("title:", "review: {every: 1d, last_reviewed: 9999-12-31}\ntitle:", 1)
    )
    result = validate(last_day)
    assert result.returncode == 0, result.stderr
    status = crisisctl("--playbooks", str(tmp_path), "--db", str(tmp_path / "log.sqlite3"), *STATUS)
    assert status.returncode == 0, status.stderr


def test_not_a_number_and_infinity_are_refused_where_the_log_could_not_keep_them(tmp_path: Path) -> None:
    playbook = write(
        tmp_path, "nan.yaml", BASE.replace("inputs:\n", "inputs:\n  - {id: n, type: number, default: .nan}\n", 1)
    )
    assert ("bad-scalar", "`.nan` is not a finite number") in errors(validate(playbook))


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ " + "(" * 200 + "1" + ")" * 200 + " }}", "nested too deeply"),
        ("{% if incident %}" * 400 + "x" + "{% endif %}" * 400, "nested too deeply"),
        ("{{ incident.title }}\n" * 14_000, "larger than 256 KiB"),
    ],
    ids=["deep-expression", "deep-blocks", "huge"],
)
def test_templates_too_deep_or_too_large_are_template_problems(tmp_path: Path, template: str, message: str) -> None:
    (tmp_path / "templates" / "base").mkdir(parents=True)
    write(tmp_path / "templates" / "base", "notice.md.j2", template)
    playbook = write(tmp_path, "p.yaml", BASE)
    found = errors(validate(playbook, templates=tmp_path / "templates"))
    assert [rule for rule, _ in found] == ["template-syntax"]
    assert message in found[0][1]


def test_names_too_long_for_the_file_system_are_clean_errors(tmp_path: Path) -> None:
    long_name = "a" * 300
    playbook = write(tmp_path, "p.yaml", BASE.replace("base/notice.md.j2", f"{long_name}.j2"))
    assert [rule for rule, _ in errors(validate(playbook))] == ["template-path"]
    result = validate(tmp_path / f"{long_name}.yaml")
    assert result.returncode == 2 and "File name too long" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc/self/mem, a file no one can read")
def test_a_file_that_cannot_be_read_is_a_problem_of_that_file(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", BASE)
    (tmp_path / "mem.yaml").symlink_to("/proc/self/mem")
    result = validate(tmp_path)
    assert [rule for rule, _ in errors(result)] == ["unreadable"]
    assert json.loads(result.stdout)["playbooks"] == 1


def test_escapes_in_keys_and_file_names_are_shown_inert_in_every_format(tmp_path: Path) -> None:
    write(tmp_path, "keys.yaml", BASE.replace("    depends_on: [assess]", '    "\\e[31mdep\\x9b2J": [assess]'))
    odd = os.fsencode(tmp_path) + b"/\x1b[31mx\xc2\x9b\xff.yaml"
    invalid = BASE.replace("id: base", "id: other").replace("category: service-outage", "category: outage")
    Path(os.fsdecode(odd)).write_text(invalid, encoding="utf-8")
    for fmt in ("text", "github", "json", "sarif"):
        result = validate(tmp_path, fmt=fmt)
        assert result.returncode == 1, result.stderr
        raw = (result.stdout + result.stderr).encode("utf-8", "surrogateescape")
        assert b"\x1b" not in raw and b"\x9b" not in raw, fmt
    text = validate(tmp_path, fmt="text").stdout
    assert "\\x1b[31mdep\\x9b2J" in text and "\\x1b[31mx\\x9b\\xff.yaml" in text


def test_a_flood_of_problems_is_cut_short_and_says_how_many_were_left_out(tmp_path: Path) -> None:
    flood = write(tmp_path, "flood.yaml", BASE + "x-flood: {" + ", ".join(["?"] * 3000) + "}\n")
    found = errors(validate(flood))
    assert len(found) == 501
    assert found[-1][0] == "too-many-problems" and "2,499 more problems" in found[-1][1]


def test_hints_list_a_dozen_names_and_how_many_more(tmp_path: Path) -> None:
    roles = "".join(f"  - {{id: r{index:04d}, title: Role {index}}}\n" for index in range(300))
    text = BASE.replace("roles:\n", "roles:\n" + roles, 1).replace("role: comms-lead", "role: nobody", 1)
    result = validate(write(tmp_path, "roles.yaml", text))
    hints = [error["hint"] for error in json.loads(result.stdout)["errors"] if error["rule"] == "unknown-ref"]
    assert hints and hints[0].endswith(", … and 290 more") and hints[0].count(",") == 12
