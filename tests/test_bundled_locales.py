"""Chinese everywhere customers are: every bundled notice to customers, key accounts and regulators has a zh
version that uses the English one's facts and drafts, in Chinese, through the real command in a drill."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from crisisctl.entry import main

CUSTOMER_FACING = ("customers", "key-accounts", "regulator")
PLAYBOOKS = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in (REPO / "playbooks").glob("*.yaml")
}
SCENARIOS = {
    yaml.safe_load(path.read_text(encoding="utf-8"))["playbook"]: path
    for path in sorted((REPO / "playbooks" / "scenarios").glob("*.yaml"))
}
_INPUT = re.compile(r"inputs\.([a-z][a-z0-9_]*)")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def customer_facing(playbook: str) -> list[dict[str, object]]:
    return [comm for comm in PLAYBOOKS[playbook].get("communications", []) if comm["audience"] in CUSTOMER_FACING]


def zh_template(template: str) -> Path:
    stem, dot, rest = template.partition(".")
    return REPO / "templates" / f"{stem}.zh{dot}{rest}"


@pytest.mark.parametrize("playbook", sorted(PLAYBOOKS))
def test_every_customer_facing_notice_has_a_chinese_version_with_the_same_facts(playbook: str) -> None:
    assert customer_facing(playbook), f"{playbook} says nothing to customers"
    for comm in customer_facing(playbook):
        assert comm.get("locales") == ["en", "zh"], comm["id"]
        english = (REPO / "templates" / str(comm["template"])).read_text(encoding="utf-8")
        chinese = zh_template(str(comm["template"])).read_text(encoding="utf-8")
        # zh may give a free-text fact in its `_zh` wording instead, but never drops a fact the English one gives
        used = set(_INPUT.findall(chinese))
        assert set(_INPUT.findall(english)) <= used | {name.removesuffix("_zh") for name in used}, comm["id"]


@pytest.mark.parametrize("playbook", sorted(PLAYBOOKS))
def test_every_chinese_notice_drafts_in_chinese_in_a_drill(
    playbook: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--db", str(tmp_path / "log.sqlite3"), "--playbooks", str(REPO / "playbooks")]
    args += ["--templates", str(REPO / "templates")]
    assert main([*args, "drill", "start", playbook, "--scenario", str(SCENARIOS[playbook]), "--json"]) == 0
    incident = json.loads(capsys.readouterr().out)["id"]
    for comm in customer_facing(playbook):
        texts = {}
        for locale in ("en", "zh"):
            out = tmp_path / f"{comm['id']}.{locale}.md"
            assert main([*args, "comms", "draft", incident, str(comm["id"]), "--locale", locale, "-o", str(out)]) == 0
            texts[locale] = out.read_text(encoding="utf-8")
        assert len(_HAN.findall(texts["zh"])) > 30, (comm["id"], texts["zh"])
        assert "演练" in texts["zh"] and "DRILL" in texts["en"]  # a drill's notice says so in its own language
        assert not _HAN.search(texts["en"]), comm["id"]


@pytest.mark.parametrize("playbook", sorted(PLAYBOOKS))
def test_chinese_notices_never_print_a_step_title_of_the_playbook_in_english(
    playbook: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Playbooks title their steps in English only: a zh notice listing steps (a regulator's list of measures
    taken and planned) names them in Chinese, drafted when the drill starts and again once every step is done."""
    args = ["--db", str(tmp_path / "log.sqlite3"), "--playbooks", str(REPO / "playbooks")]
    args += ["--templates", str(REPO / "templates")]
    assert main([*args, "drill", "start", playbook, "--scenario", str(SCENARIOS[playbook]), "--json"]) == 0
    incident = json.loads(capsys.readouterr().out)["id"]
    titles = [str(step["title"]) for step in PLAYBOOKS[playbook]["steps"]]

    def leaked(when: str) -> None:
        for comm in customer_facing(playbook):
            out = tmp_path / f"{comm['id']}.{when}.zh.md"
            assert main([*args, "comms", "draft", incident, str(comm["id"]), "--locale", "zh", "-o", str(out)]) == 0
            text = out.read_text(encoding="utf-8")
            assert [title for title in titles if title in text] == [], (comm["id"], when, text)

    leaked("pending")
    assert main([*args, "show", incident, "--json"]) == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    for step in steps:
        if step["status"] != "not-applicable":
            assert main([*args, "step", "done", incident, step["id"], "--force"]) == 0, step["id"]
    leaked("done")
