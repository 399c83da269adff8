"""The HTML reports as real checkers judge them: the Nu HTML Checker (vnu.jar) finds no error and axe-core, run in
Debian's headless Chromium, no WCAG 2.x A/AA violation, for the post-mortem of an English and a Chinese incident
(plain and redacted), a drill report and the stats report; Chinese text carries lang="zh" (Korean "ko"). The
checkers come from npm: `npm ci --prefix tests/consumers`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace, read_digest
from realtools import CONSUMERS, missing, node_package_file, program
from test_browser import CHROMIUM
from test_drills import SCENARIO, start, write_scenario
from test_reports import CN_ID, REPORT_PLAYBOOK, add_playbook, scenario
from test_stats import build as build_stats

from crisisctl.render.redact import ID_MASK

ZH_TITLES = {
    "title: Checkout outage": "title: 结账服务中断",
    "title: Incident lead": "title: 事件负责人",
    "title: Communications lead": "title: 沟通负责人",
    "title: Triage the alerts": "title: 分拣告警",
    "title: Fail over to the standby": "title: 切换到备用系统",
    "title: Tell customers": "title: 通知客户",
    "title: Brief the press office": "title: 向新闻办公室通报",
    "title: Escalate to the vendor": "title: 升级给供应商",
    "title: Notify the regulator": "title: 通知监管机构",
    "title: Hold the review": "title: 召开复盘会",
    "title: Notice to customers": "title: 客户通知",
    # The corpus's notice has an English and a Chinese version.
    "    template: base/notice.md.j2\n": "    template: comms/notice.md.j2\n    locales: [en, zh]\n",
    "  - id: comms-lead\n": "  - id: legal\n    title: 法律顾问\n  - id: comms-lead\n",
    "  - id: eu_data\n": "  - id: region\n    type: string\n    default: 华东\n  - id: eu_data\n",
}


def chinese_scenario(ws: Workspace) -> None:
    """A resolved incident run by a Chinese team: Chinese titles, names, notes, lessons, summary and notices."""
    text = REPORT_PLAYBOOK
    for english, chinese in ZH_TITLES.items():
        assert english in text, english
        text = text.replace(english, chinese)
    add_playbook(ws, text)
    ws.ok(
        "--as",
        "王芳",
        "declare",
        "report",
        "--input",
        "affected_customers=1200",
        "--assign",
        "incident-lead=王芳",
        "--at",
        "-3h",
    )
    steps: list[tuple[str, ...]] = [
        ("assign", "INC-1", "comms-lead", "李雷", "--at", "+3m"),
        ("step", "start", "INC-1", "triage", "--at", "+5m"),
        ("step", "done", "INC-1", "triage", "--note", "告警来自支付网关", "--at", "+10m"),
        ("step", "start", "INC-1", "contain", "--at", "+12m"),
        ("step", "done", "INC-1", "contain", "--at", "+80m"),
        ("step", "skip", "INC-1", "press", "--note", "媒体没有关注", "--at", "+40m"),
        ("severity", "INC-1", "sev2", "--note", "切换后服务稳定", "--at", "+45m"),
        ("note", "INC-1", f"客户张女士来电，身份证号 {CN_ID}，要求退款", "--at", "+50m"),
        ("note", "INC-1", "lesson: 告警发到了错误的值班组", "--at", "+55m"),
        ("note", "INC-1", "action: 直接呼叫支付团队", "--at", "+56m"),
    ]
    for args in steps:
        ws.ok("--as", "王芳", *args)
    # Each language version: 李雷 drafts it, 王芳 approves what she read and sends it.
    for locale, minute in (("zh", 20), ("en", 22)):
        which = ("INC-1", "customer-notice", "--locale", locale)
        ws.ok("--as", "李雷", "comms", "draft", *which, "--at", f"+{minute}m")
        digest = read_digest(ws, "INC-1", "customer-notice", "--locale", locale)
        approve = ("comms", "approve", *which, "--role", "incident-lead", "--digest", digest)
        ws.ok("--as", "王芳", *approve, "--at", f"+{minute + 5}m")
        ws.ok("--as", "王芳", "comms", "send", *which, "--at", f"+{minute + 10}m")
    ws.ok("--as", "王芳", "resolve", "INC-1", "--summary", "切换到备用系统后结账恢复正常。", "--at", "+150m")


def drill_and_stats_reports(ws: Workspace, folder: Path) -> list[Path]:
    """The other HTML reports: a drill's score (with a Chinese title) and the response figures."""
    chinese = SCENARIO.replace("title: Checkout outage rehearsal", "title: 结账中断演练")
    incident = start(ws, write_scenario(ws, chinese))
    ws.ok("step", "done", incident, "assess", "--at", "+25m")
    drill, stats = folder / "drill-zh.html", folder / "stats.html"
    ws.ok("drill", "report", incident, "--format", "html", "-o", str(drill))
    build_stats(ws)
    ws.ok("stats", "--html", str(stats))
    return [drill, stats]


@pytest.fixture(params=["en", "zh", "drill-and-stats"])
def reports(request: pytest.FixtureRequest, workspace: Workspace, tmp_path: Path) -> list[Path]:
    """The post-mortem of a realistic English or Chinese incident, as HTML files: plain and redacted; or the
    drill and stats reports."""
    if request.param == "drill-and-stats":
        return drill_and_stats_reports(workspace, tmp_path)
    if request.param == "en":
        scenario(workspace, resolve=True)
    else:
        chinese_scenario(workspace)
    made = []
    for flags in ((), ("--redact",)):
        target = tmp_path / f"{request.param}{''.join(flags)}.html"
        workspace.ok("postmortem", "INC-1", "--format", "html", *flags, "-o", str(target))
        made.append(target)
    return made


@pytest.mark.slow  # Java starts: seconds
def test_nu_html_checker_finds_no_error(reports: list[Path]) -> None:
    java = program("java", "apt-get install -y default-jre-headless")
    vnu = node_package_file("vnu-jar/build/dist/vnu.jar")
    done = subprocess.run(
        [java, "-jar", str(vnu), "--errors-only", "--format", "json", *map(str, reports)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(done.stderr or done.stdout)["messages"]  # vnu writes its report to standard error
    assert messages == [], json.dumps(messages, indent=1, ensure_ascii=False)[:4000]
    assert done.returncode == 0


def axe(files: list[Path]) -> list[dict[str, Any]]:
    """axe-core's verdict on each file, from tests/consumers/axe-run.mjs in headless Chromium."""
    node = program("node", "apt-get install -y nodejs npm")
    node_package_file("axe-core/axe.min.js")
    node_package_file("playwright-core/package.json")
    if CHROMIUM is None:
        missing("Chromium not found (/usr/bin/chromium or chromium on PATH): apt-get install -y chromium")
    done = subprocess.run(
        [node, str(CONSUMERS / "axe-run.mjs"), CHROMIUM, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


@pytest.mark.slow  # a browser starts: seconds
def test_axe_finds_no_wcag_violation(reports: list[Path]) -> None:
    results = axe(reports)
    assert [result["file"] for result in results] == [str(path) for path in reports]
    for result in results:
        assert result["violations"] == [], json.dumps(result["violations"], indent=1, ensure_ascii=False)
        assert result["passes"] >= 15  # the rules really ran (landmarks, contrast, lang, tables, names)
        name = Path(result["file"]).name
        # Every piece of Chinese text the browser shows outside the chart is in an element whose lang is zh.
        assert set(result["han_langs"]) == ({"zh"} if "zh" in name else set())
        if name.startswith("zh"):  # the Chinese post-mortem: titles, names, notes, lessons, summary, a notice
            assert sum(result["han_langs"].values()) >= 20


def test_drill_and_stats_reports_have_a_main_landmark(workspace: Workspace, tmp_path: Path) -> None:
    drill, stats = (path.read_text(encoding="utf-8") for path in drill_and_stats_reports(workspace, tmp_path))
    assert '<h1>Drill report: Drill: <span lang="zh">结账中断演练</span></h1>' in drill
    for page in (drill, stats):
        assert page.count("<main>") == 1 and page.index("<main>") < page.index("<h1>") < page.index("</main>")


def test_report_has_one_main_landmark_and_marks_chinese_text(workspace: Workspace) -> None:
    chinese_scenario(workspace)
    html = workspace.ok("postmortem", "INC-1", "--format", "html", "--redact")
    assert html.count("<main>") == 1 and html.count("</main>") == 1
    assert re.search(r'<html lang="en">', html)
    main = html[html.index("<main>") : html.index("</main>")]
    assert main.index('class="crisisctl-redacted"') < main.index("<h1>")  # the notice leads the main content
    assert '<h1><span lang="zh">结账服务中断</span></h1>' in html
    assert '<span lang="zh">切换到备用系统后结账恢复正常。</span>' in html
    assert f'<span lang="zh">客户张女士来电，身份证号</span> {ID_MASK}<span lang="zh">，要求退款</span>' in html
    # Each notice text says its own language; Chinese inside a zh block needs no span of its own.
    zh_body = re.search(r'<div class="body" lang="zh">(.*?)</div>', html, re.DOTALL)
    en_body = re.search(r'<div class="body" lang="en">(.*?)</div>', html, re.DOTALL)
    assert zh_body is not None and en_body is not None
    assert "服务中断通知" in zh_body.group(1) and "<span" not in zh_body.group(1)
    assert "Hello (en)" in en_body.group(1)
    title = html[html.index("<title>") : html.index("</title>")]
    assert "<span" not in title  # the page title is plain text
    chart = html[html.index("<svg") : html.index("</svg>")]
    assert "<span" not in chart


def test_report_marks_korean_text(workspace: Workspace) -> None:
    add_playbook(workspace)
    workspace.ok("declare", "report", "--input", "affected_customers=3", "--assign", "incident-lead=김민수")
    workspace.ok("note", "INC-1", "고객 환불 요청 (refund asked)")
    html = workspace.ok("postmortem", "INC-1", "--format", "html")
    assert '<span lang="ko">고객 환불 요청</span> (refund asked)' in html
    assert '<span lang="ko">김민수</span>' in html
