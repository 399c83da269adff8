"""Post-mortems and exports through the real entry point: content, escaping, CSV safety, redaction, files."""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import stat
import string
import subprocess
import sys
from pathlib import Path

import pytest
from budget import examples
from conftest import REPO, Workspace, read_digest, subprocess_env
from hypothesis import given, settings
from hypothesis import strategies as st

from crisisctl.render.redact import (
    CARD_MASK,
    EMAIL_MASK,
    ID_MASK,
    PATTERN_MASK,
    PHONE_MASK,
    cn_id_ok,
    luhn_ok,
    redact_text,
)
from crisisctl.render.reports import escape_markdown, neutralise_cell

# A playbook with one step for each outcome a report must tell apart.
REPORT_PLAYBOOK = """\
apiVersion: crisisctl/v1
kind: Playbook
id: report
version: "2.1.0"
title: Checkout outage
category: service-outage
inputs:
  - id: affected_customers
    type: integer
    required: true
  - id: what_happened
    type: string
    default: ""
  - id: eu_data
    type: boolean
    default: false
roles:
  - id: incident-lead
    title: Incident lead
    required: true
  - id: comms-lead
    title: Communications lead
steps:
  - id: triage
    title: Triage the alerts
    phase: detect
    role: incident-lead
    due: 15m
  - id: contain
    title: Fail over to the standby
    phase: contain
    role: incident-lead
    due: 1h
  - id: notify
    title: Tell customers
    phase: respond
    role: comms-lead
    due: 2h
    communication: customer-notice
  - id: press
    title: Brief the press office
    phase: respond
    role: comms-lead
    due: 90m
  - id: escalate
    title: Escalate to the vendor
    phase: respond
    role: incident-lead
    due: 2h
  - id: regulator
    title: Notify the regulator
    phase: respond
    role: incident-lead
    due: 3h
    when: { input: eu_data, op: "==", value: true }
  - id: review
    title: Hold the review
    phase: review
    role: incident-lead
    due: 10d
communications:
  - id: customer-notice
    title: Notice to customers
    audience: customers
    channel: email
    template: base/notice.md.j2
    approvals: [incident-lead]
postmortem:
  kpis: [time_to_first_notice, steps_on_time_ratio, customer_satisfaction]
"""

HOSTILE = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "\x1b[2J", "[bold]x[/]"]


def add_playbook(ws: Workspace, text: str = REPORT_PLAYBOOK, name: str = "report.yaml") -> None:
    (ws.playbooks / name).write_text(text, encoding="utf-8")


def scenario(ws: Workspace, *, resolve: bool) -> str:
    """Declared 3 hours ago so that every +N minutes below is in the past."""
    add_playbook(ws)
    ws.ok("declare", "report", "--input", "affected_customers=1200", "--assign", "incident-lead=alice", "--at", "-3h")
    steps = [
        ("assign", "INC-1", "comms-lead", "bob", "--at", "+3m"),
        ("step", "start", "INC-1", "triage", "--at", "+5m"),
        ("step", "done", "INC-1", "triage", "--at", "+10m"),
        ("step", "start", "INC-1", "contain", "--at", "+12m"),
        ("step", "done", "INC-1", "contain", "--at", "+80m"),
        ("comms", "draft", "INC-1", "customer-notice", "--at", "+20m"),
        ("comms", "approve", "INC-1", "customer-notice", "--role", "incident-lead", "--at", "+25m"),
        ("comms", "send", "INC-1", "customer-notice", "--at", "+30m"),  # also records notify done
        ("step", "skip", "INC-1", "press", "--note", "no press interest", "--at", "+40m"),
        ("severity", "INC-1", "sev2", "--note", "failover holding", "--at", "+45m"),
        ("note", "INC-1", "lesson: alerts reached the wrong pager", "--at", "+50m"),
        ("note", "INC-1", "  Action: page the payments team directly", "--at", "+55m"),
        ("note", "INC-1", "ACTION: add a failover drill", "--at", "+56m"),
        ("note", "INC-1", "an ordinary note about lessons", "--at", "+57m"),
    ]
    for args in steps:
        if args[:2] == ("comms", "approve"):
            args = (*args, "--digest", read_digest(ws, "INC-1", "customer-notice"))
        # bob drafts the notice and alice approves it: four eyes
        ws.ok("--as", "bob" if args[:2] == ("comms", "draft") else "alice", *args)
    if resolve:
        ws.ok("--as", "alice", "resolve", "INC-1", "--summary", "Failover restored checkout.", "--at", "+150m")
    return "INC-1"


def markdown_section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_open_incident_postmortem_is_marked_draft_in_markdown_and_html(workspace: Workspace) -> None:
    scenario(workspace, resolve=False)
    md = workspace.ok("postmortem", "INC-1")
    assert md.startswith("# Post-mortem: Checkout outage\n")
    assert "**DRAFT**" in md.split("## ", 1)[0]
    assert "not resolved yet (3h" in md
    assert "| **not done** (pending), 1h" in md  # escalate, due +2h, judged now (+3h)
    html = workspace.ok("postmortem", "INC-1", "--format", "html")
    assert "<title>DRAFT · Post-mortem INC-1" in html
    assert 'class="draft-banner"' in html


def test_resolved_incident_postmortem_is_not_a_draft(workspace: Workspace) -> None:
    scenario(workspace, resolve=True)
    md = workspace.ok("postmortem", "INC-1", "--format", "md")
    assert "DRAFT" not in md
    assert "Failover restored checkout." in markdown_section(md, "Summary")
    html = workspace.ok("postmortem", "INC-1", "--format", "html")
    assert "DRAFT" not in html
    assert "Failover restored checkout." in html
    assert "<title>Post-mortem INC-1: Checkout outage</title>" in html


def test_steps_are_judged_against_their_deadlines(workspace: Workspace) -> None:
    scenario(workspace, resolve=True)
    rows = {
        line.split(" | ")[0].strip("| "): line
        for line in markdown_section(workspace.ok("postmortem", "INC-1"), "Steps against their deadlines").splitlines()
        if line.startswith("| ") and "(" in line
    }
    assert "on time, done" in rows["Triage the alerts (triage)"]
    assert "**late by 20m**" in rows["Fail over to the standby (contain)"]
    assert "on time, done" in rows["Tell customers (notify)"]
    assert "skipped" in rows["Brief the press office (press)"]
    assert "no press interest" in rows["Brief the press office (press)"]
    # judged at the resolution (+150m), not when the report is written: due +2h, so 30m past
    assert "**not done** (pending), 30m past its deadline" in rows["Escalate to the vendor (escalate)"]
    assert "not applicable" in rows["Notify the regulator (regulator)"]
    review = rows["Hold the review (review)"]
    assert "**not done** (pending)" in review
    assert "past its deadline" not in review

    html = workspace.ok("postmortem", "INC-1", "--format", "html")
    assert "late by 20m" in html
    assert 'fill="url(#late-hatch)"' in html  # the late step's overrun is drawn differently
    assert 'class="late"' in html
    assert "skipped" in html


def test_kpis_have_known_answers(workspace: Workspace) -> None:
    scenario(workspace, resolve=True)
    figures = markdown_section(workspace.ok("postmortem", "INC-1"), "Key figures")
    value = {line.split(" | ")[0].strip("| "): line.split(" | ")[1] for line in figures.splitlines()[2:] if line}
    assert value["Time to acknowledge"] == "5m"
    assert value["Time to first customer notice"] == "30m"
    assert value["Time to resolve"] == "2h 30m"
    # triage on time, contain late, notify on time, escalate past due; press skipped, review not yet due
    assert value["Steps done on time"] == "50%"
    assert value["Customer satisfaction"] == "not measured"
    assert value["Time in detect"] == "5m"  # triage started at +5m, done at +10m
    assert value["Time in contain"] == "1h 8m"
    assert value["Time in respond"] == "—"  # escalate is still open
    communications = markdown_section(workspace.ok("postmortem", "INC-1"), "Communications")
    assert "Time to first customer notice: **30m**" in communications


def test_severity_roles_and_communications_are_reported(workspace: Workspace) -> None:
    scenario(workspace, resolve=True)
    md = workspace.ok("postmortem", "INC-1")
    severity = markdown_section(md, "Severity history")
    assert "sev1 (Critical) | declared" in severity
    assert "sev1 → sev2 (Major) | failover holding | alice" in severity
    roles = markdown_section(md, "Roles")
    assert "**Communications lead** (comms-lead): bob from" in roles
    assert "**Incident lead** (incident-lead): alice from" in roles
    comms = markdown_section(md, "Communications")
    assert "| Notice to customers (customer-notice) | customers, email |" in comms
    assert "(+30m) |" in comms
    header = md.split("## ", 1)[0]
    assert "report 2.1.0" in header
    assert re.search(r"\| Playbook sha256 \| [0-9a-f]{64} \|", header)


def test_lessons_and_actions_come_from_prefixed_notes(workspace: Workspace) -> None:
    scenario(workspace, resolve=False)
    md = workspace.ok("postmortem", "INC-1")
    lessons = markdown_section(md, "Lessons")
    actions = markdown_section(md, "Action items")
    listed = [line.split(" (alice, ")[0] for line in lessons.splitlines() if line.startswith("- ")]
    assert listed == ["- alerts reached the wrong pager"]
    assert [line for line in actions.splitlines() if line.startswith("| A")] == [
        "| A1 | page the payments team directly | — | — | open |",
        "| A2 | add a failover drill | — | — | open |",
    ]


def hostile_incident(ws: Workspace) -> None:
    add_playbook(ws)
    ws.ok(
        "declare",
        "report",
        "--title",
        "Outage " + HOSTILE[0],
        "--input",
        "affected_customers=10",
        "--input",
        "what_happened=" + " ".join(HOSTILE),
        "--assign",
        "incident-lead=alice",
        "--at",
        "-1h",
    )
    for text in HOSTILE:
        ws.ok("note", "INC-1", f"lesson: {text}")
    ws.ok("step", "skip", "INC-1", "press", "--note", HOSTILE[1])


def test_hostile_text_is_escaped_in_html(workspace: Workspace) -> None:
    hostile_incident(workspace)
    html = workspace.ok("postmortem", "INC-1", "--format", "html")
    assert "<img" not in html
    assert "<script" not in html.lower()
    assert "\x1b" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "\\x1b[2J" in html  # visible, not obeyed
    assert "[bold]x[/]" in html  # shown as written


def test_hostile_text_is_escaped_in_markdown(workspace: Workspace) -> None:
    hostile_incident(workspace)
    for args in (("postmortem", "INC-1"), ("export", "INC-1", "--format", "md")):
        md = workspace.ok(*args)
        assert "\x1b" not in md
        assert not re.search(r"(?<!\\)<[A-Za-z/]", md), "raw HTML from users reached the Markdown"
        assert "\\<img src=x onerror=alert(1)\\>" in md
        assert "\\<script\\>alert(2)\\</script\\>" in md
        assert "\\[bold\\]x\\[/\\]" in md
        assert "\\\\x1b\\[2J" in md


def run_on_terminal(ws: Workspace, *args: str) -> str:
    """Run the real program with a pseudo-terminal as standard output, as a person at a terminal would."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "crisisctl", *ws.args(), *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=subprocess_env(COLUMNS="200"),
        cwd=REPO,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    return b"".join(chunks).decode("utf-8")


def test_hostile_text_is_inert_on_a_terminal(workspace: Workspace) -> None:
    hostile_incident(workspace)
    for args in (("postmortem", "INC-1"), ("export", "INC-1", "--format", "csv")):
        shown = run_on_terminal(workspace, *args)
        assert "\x1b" not in shown
        assert "\\x1b[2J" in shown or "\\\\x1b\\[2J" in shown
        assert "[bold]x[/]" in shown or "\\[bold\\]x\\[/\\]" in shown  # markup shown, not interpreted


def test_csv_neutralises_formula_cells_and_round_trips(workspace: Workspace, tmp_path: Path) -> None:
    add_playbook(workspace)
    workspace.ok("declare", "report", "--input", "affected_customers=1", "--assign", "incident-lead=alice")
    texts = [
        '=HYPERLINK("http://evil","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\tcmd",
        "\rcmd",
        'plain, with comma and "quotes"\nand a second line',
    ]
    for text in texts:
        workspace.ok("note", "INC-1", "--", text)
    workspace.ok("--as", "=evil()", "note", "INC-1", "by a formula-looking actor")
    target = tmp_path / "timeline.csv"
    workspace.ok("export", "INC-1", "--format", "csv", "-o", str(target))
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["seq", "at", "recorded_at", "type", "actor", "summary", "redaction"]
    notes = [row for row in rows[1:] if row[3] == "note.added"]
    for row, text in zip(notes, texts, strict=False):
        if text[0] in "=+-@\t\r":
            assert row[5] == "'" + text
            assert row[5][1:] == text
        else:
            assert row[5] == text
    assert notes[-1][4] == "'=evil()"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    assert neutralise_cell("a=b") == "a=b"


def test_json_export_holds_every_event_with_matching_hashes(workspace: Workspace, tmp_path: Path) -> None:
    scenario(workspace, resolve=True)
    timeline = workspace.json("timeline", "INC-1")
    shown = workspace.json("show", "INC-1")
    assert isinstance(timeline, list) and isinstance(shown, dict)
    target = tmp_path / "incident.json"
    workspace.ok("export", "INC-1", "--format", "json", "-o", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    events = document["events"]
    assert {event["seq"]: event["hash"] for event in events} == {event["seq"]: event["hash"] for event in timeline}
    assert [event["seq"] for event in events] == sorted(event["seq"] for event in timeline)
    for event in events:
        assert set(event) == {"seq", "at", "recorded_at", "type", "actor", "data", "prev_hash", "hash"}
    for earlier, later in itertools.pairwise(events):
        assert later["prev_hash"] == earlier["hash"]
    by_seq = {event["seq"]: event for event in timeline}
    assert all(event["data"] == by_seq[event["seq"]]["data"] for event in events)
    assert document["playbook"]["id"] == "report"
    assert document["playbook"]["version"] == "2.1.0"
    assert document["playbook"]["sha256"] == shown["playbook_sha256"]
    assert document["playbook"]["text"] == REPORT_PLAYBOOK
    assert document["redacted"] is False
    assert document["incident"]["status"] == "resolved"


PERSONAL = {
    "email": "jane.doe+orders@example.com",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "card2": "5555-5555-5555-4444",
}


def personal_incident(ws: Workspace) -> None:
    add_playbook(ws)
    ws.ok(
        "declare",
        "report",
        "--title",
        f"Leak for {PERSONAL['email']}",
        "--input",
        "affected_customers=3",
        "--input",
        f"what_happened=called {PERSONAL['phone']}",
        "--assign",
        "incident-lead=alice",
    )
    ws.ok("note", "INC-1", f"customer {PERSONAL['email']} paid with {PERSONAL['card']}, call (555) 123-4567")
    ws.ok("note", "INC-1", f"second card {PERSONAL['card2']} on 2026-03-01 09:30, order 12345678")
    ws.ok("--as", "ops@example.com", "note", "INC-1", "lesson: keep card data out of notes")


@pytest.mark.parametrize(
    "args",
    [
        ("postmortem", "INC-1"),
        ("postmortem", "INC-1", "--format", "html"),
        ("export", "INC-1", "--format", "md"),
        ("export", "INC-1", "--format", "csv"),
        ("export", "INC-1", "--format", "json"),
    ],
)
def test_redact_masks_emails_phones_and_cards_and_says_so(workspace: Workspace, args: tuple[str, ...]) -> None:
    personal_incident(workspace)
    plain = workspace.ok(*args)
    assert PERSONAL["email"] in plain or json.dumps(PERSONAL["email"]) in plain
    redacted = workspace.ok(*args, "--redact")
    for value in [*PERSONAL.values(), "(555) 123-4567", "ops@example.com"]:
        assert value not in redacted
    for mask in (EMAIL_MASK, PHONE_MASK, CARD_MASK):
        assert mask in redacted or mask.replace("[", "\\[").replace("]", "\\]") in redacted
    assert "2026-03-01 09:30" in redacted and "12345678" in redacted  # dates and short numbers stay
    if args[-1] == "csv":  # on every row, in the last column: the header stays the first row
        rows = list(csv.reader(redacted.splitlines()))
        assert rows[0][-1] == "redaction" and all(row[-1].startswith("REDACTED") for row in rows[1:])
    else:
        top = redacted[: redacted.index("<h1>")] if args[-1] == "html" else redacted[:300]
        assert "REDACTED" in top
    if args[-1] == "json":
        document = json.loads(redacted)
        assert next(iter(document)) == "notice" and document["redacted"] is True


def test_redaction_of_text() -> None:
    assert redact_text("mail a.b-c@mail.example.org now") == f"mail {EMAIL_MASK} now"
    assert redact_text("4111-1111-1111-1111") == CARD_MASK
    assert redact_text("378282246310005") == CARD_MASK  # 15-digit Amex
    assert redact_text("4111 1111 1111 1112") != CARD_MASK  # fails the Luhn check
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    for phone in ("+1 202-555-0143", "(555) 123-4567", "020 7946 0958", "06 12 34 56 78", "+4915112345678"):
        assert redact_text(f"call {phone}.") == f"call {PHONE_MASK}.", phone
    for kept in ("2026-03-01T09:30:00Z", "01.03.2026", "10.0.0.12", "1 200 000 customers", "v1.2.3", "INC-12"):
        assert redact_text(kept) == kept, kept


# Internationalised addresses (Unicode local part, Unicode domain), and text with an @ that is no address.
IDN_NOTE = "邮箱 zhang.wei@例子.cn 或 用户@example.com，josé@correo.es; ping @alice, alice@host, 5@3.50"
IDN_MASKED = f"邮箱 {EMAIL_MASK} 或 {EMAIL_MASK}，{EMAIL_MASK}; ping @alice, alice@host, 5@3.50"


def test_internationalised_email_addresses_are_masked_and_handles_are_not() -> None:
    assert redact_text(IDN_NOTE) == IDN_MASKED
    assert redact_text("写信给 zhang@例子.中国。谢谢") == f"写信给 {EMAIL_MASK}。谢谢"
    assert redact_text("写信给zhang@例子.cn") == EMAIL_MASK  # glued words may be its local part: masked with it
    assert redact_text("mail wei@例子.cn或电话") == f"mail {EMAIL_MASK}或电话"  # an ASCII TLD ends at the Han
    assert redact_text("邮箱 zhang.wei＠例子.cn") == f"邮箱 {EMAIL_MASK}"  # the full-width at sign
    assert redact_text("见 ＠客服 或 ＠alice") == "见 ＠客服 或 ＠alice"
    # vowels written with combining marks: Hindi, Thai, Latin decomposed (é as e and U+0301)
    for address in ("मुकेश@उदाहरण.भारत", "สมชาย@ตัวอย่าง.ไทย", "jose\u0301@correo.es", "renée@exemple.fr"):
        assert redact_text(f"mail {address} now") == f"mail {EMAIL_MASK} now", address


_LABEL = st.text(st.characters(categories=("L", "Nd")), min_size=1, max_size=8)


@settings(max_examples=examples(100))
@given(local=_LABEL, domain=st.lists(_LABEL, min_size=1, max_size=3), tld=st.sampled_from(["cn", "com", "中国", "рф"]))
def test_an_address_in_any_script_is_masked_whole(local: str, domain: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join(domain)}.{tld}"
    assert redact_text(f"mail: {address} ") == f"mail: {EMAIL_MASK} "


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_redacted_export_masks_internationalised_email_addresses(workspace: Workspace, fmt: str) -> None:
    add_playbook(workspace)
    workspace.ok("declare", "report", "--input", "affected_customers=3", "--assign", "incident-lead=alice")
    workspace.ok("note", "INC-1", IDN_NOTE)

    def export(*extra: str) -> str:
        out = workspace.ok("export", "INC-1", "--format", fmt, *extra)
        return json.dumps(json.loads(out), ensure_ascii=False) if fmt == "json" else out

    assert "zhang.wei@例子.cn" in export()
    redacted = export("--redact")
    for address in ("zhang.wei@例子.cn", "用户@example.com", "josé@correo.es", "例子", "用户"):
        assert address not in redacted, address
    assert "@alice" in redacted and "alice@host" in redacted


# A resident identity card number with a valid check character (X) and birth date, and a mainland mobile.
CN_ID = "11010519491231002X"
CN_MOBILE = "13812345678"


def test_chinese_id_numbers_are_masked_only_when_their_check_character_fits() -> None:
    assert cn_id_ok(CN_ID) and cn_id_ok(CN_ID.lower())
    assert redact_text(f"身份证号{CN_ID}，请核实") == f"身份证号{ID_MASK}，请核实"
    for wrong in ("110105194912310021", "110105194913310021"):  # a wrong check digit; a right one, month 13
        assert not cn_id_ok(wrong) and redact_text(f"order {wrong}") == f"order {wrong}", wrong
    for mobile in (CN_MOBILE, "138 1234 5678", "+86 138-1234-5678"):
        assert redact_text(f"手机：{mobile}。") == f"手机：{PHONE_MASK}。", mobile
    # right after Latin letters, and written in groups (area, birth date, sequence) as on forms
    for written in (
        f"ID{CN_ID}",
        f"ID{CN_ID}abc",
        "110105 19491231 002X",
        "110105-19491231-002X",
        "110105 1949 1231 002X",
    ):
        assert CN_ID[:6] not in redact_text(f"customer {written}."), written
        assert ID_MASK in redact_text(f"customer {written}."), written
    for wrong in ("110105 19491231 0021", "110105-19491331-002X", "ID110105194912310021"):  # check digit, month 13
        assert redact_text(f"order {wrong}") == f"order {wrong}", wrong


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_redacted_export_masks_a_chinese_id_number_and_mobile(workspace: Workspace, fmt: str) -> None:
    add_playbook(workspace)
    workspace.ok("declare", "report", "--input", "affected_customers=3", "--assign", "incident-lead=alice")
    workspace.ok("note", "INC-1", f"客户张女士，身份证号 {CN_ID}，手机 {CN_MOBILE}，要求退款")
    plain = workspace.ok("export", "INC-1", "--format", fmt)
    assert CN_ID in plain and CN_MOBILE in plain
    redacted = workspace.ok("export", "INC-1", "--format", fmt, "--redact")
    assert CN_ID not in redacted and CN_MOBILE not in redacted
    assert ID_MASK in redacted or ID_MASK.replace("[", "\\[").replace("]", "\\]") in redacted


_GROUPINGS = ((18,), (6, 8, 4), (6, 4, 4, 4))


@settings(max_examples=examples(200))
@given(
    area=st.text(alphabet=string.digits, min_size=6, max_size=6),
    born=st.one_of(
        st.dates().map(lambda day: f"{day.year:04}{day.month:02}{day.day:02}"),
        st.text(alphabet=string.digits, min_size=8, max_size=8),
    ),
    sequence=st.text(alphabet=string.digits, min_size=3, max_size=3),
    check=st.sampled_from("0123456789X"),
    grouping=st.sampled_from(_GROUPINGS),
    separator=st.sampled_from(" -"),
    before=st.sampled_from(["", "ID", "customer ", "身份证号", "(", "no. "]),
)
def test_an_id_number_is_masked_however_it_is_written_only_when_it_is_one(
    area: str, born: str, sequence: str, check: str, grouping: tuple[int, ...], separator: str, before: str
) -> None:
    """Whole or grouped, after letters or not: masked as an ID exactly when its check character and birth date fit."""
    number = area + born + sequence + check
    groups, start = [], 0
    for size in grouping:
        groups.append(number[start : start + size])
        start += size
    redacted = redact_text(f"{before}{separator.join(groups)}。")
    if cn_id_ok(number):
        assert redacted == f"{before}{ID_MASK}。"
    else:
        assert ID_MASK not in redacted


# A valid ID written right after Latin letters, and the same ID in its printed groups: both masked.
SPACED_CN_ID = "110101 19900307 7715"


def test_redacted_export_masks_chinese_id_numbers_after_letters_and_in_groups(workspace: Workspace) -> None:
    add_playbook(workspace)
    workspace.ok("declare", "report", "--input", "affected_customers=3", "--assign", "incident-lead=alice")
    workspace.ok("note", "INC-1", "customer ID110101199003077715 called; her ID card reads " + SPACED_CN_ID)
    plain = workspace.ok("export", "INC-1", "--format", "json")
    assert "110101199003077715" in plain and SPACED_CN_ID in plain
    redacted = workspace.ok("export", "INC-1", "--format", "json", "--redact")
    assert "110101" not in redacted and "19900307" not in redacted
    assert f"customer ID{ID_MASK} called; her ID card reads {ID_MASK}" in redacted


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
    return config


def test_configured_patterns_are_masked_too(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, "[redact]\npatterns = ['EMP-\\d{6}', '(?i)member no\\. \\w+']\n")
    personal_incident(workspace)
    workspace.ok("note", "INC-1", "called by EMP-204518 about Member No. AB77 and EMP-12")
    redacted = workspace.ok("postmortem", "INC-1", "--redact")
    assert "EMP-204518" not in redacted and "AB77" not in redacted
    assert "EMP-12" in redacted  # six digits, as configured
    assert PATTERN_MASK.replace("[", "\\[").replace("]", "\\]") in redacted
    assert "EMP-204518" in workspace.ok("postmortem", "INC-1")  # only --redact reads them


def test_configured_patterns_cannot_break_the_built_in_rules(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pattern masking part of an ID, a card or a mobile (the last digits, a customer prefix) runs after the
    built-in rules: what remains of the number is never left readable."""
    write_config(tmp_path, monkeypatch, "[redact]\npatterns = ['002X', '1111 1111', '(?<=138)1234']\n")
    personal_incident(workspace)
    workspace.ok("note", "INC-1", f"身份证号 {CN_ID}，卡号 {PERSONAL['card']}，手机 {CN_MOBILE}")
    redacted = json.dumps(
        json.loads(workspace.ok("export", "INC-1", "--format", "json", "--redact")), ensure_ascii=False
    )
    assert CN_ID[:14] not in redacted and "4111 " not in redacted and "138[" not in redacted
    assert f"身份证号 {ID_MASK}，卡号 {CARD_MASK}，手机 {PHONE_MASK}" in redacted


# Patterns that can match empty text: a star, a lookahead alone, an empty-matching alternative, a lookbehind.
EMPTY_MATCHING = ["x*", "(?=\\d)", "EMP-\\d+|\\b", "(?<=no\\. )\\d*"]
NOTE_WITH_EVERYTHING = (
    f"staff EMP-204518, ref xxx, order no. 5512: 身份证号 {CN_ID}，卡号 {PERSONAL['card']}，手机 {CN_MOBILE}"
)
MASKED_NOTE = (
    f"staff {PATTERN_MASK}, ref {PATTERN_MASK}, order no. {PATTERN_MASK}: "
    f"身份证号 {ID_MASK}，卡号 {CARD_MASK}，手机 {PHONE_MASK}"
)


def test_a_pattern_that_can_match_empty_text_masks_only_characters() -> None:
    """An empty match of a configured pattern (between characters, at either end) inserts nothing."""
    assert redact_text(NOTE_WITH_EVERYTHING, [re.compile(pattern) for pattern in EMPTY_MATCHING]) == MASKED_NOTE
    assert redact_text("abc", [re.compile(r"\b"), re.compile("z*")]) == "abc"


def test_configured_patterns_that_can_match_empty_text_mask_what_they_match_and_nothing_between(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patterns = ", ".join(f"'{pattern}'" for pattern in EMPTY_MATCHING)
    write_config(tmp_path, monkeypatch, f"[redact]\npatterns = [{patterns}]\n")
    personal_incident(workspace)
    workspace.ok("note", "INC-1", NOTE_WITH_EVERYTHING)
    redacted = json.dumps(
        json.loads(workspace.ok("export", "INC-1", "--format", "json", "--redact")), ensure_ascii=False
    )
    assert MASKED_NOTE in redacted and f"{PATTERN_MASK}{PATTERN_MASK}" not in redacted


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[redact]\npatterns = ['EMP-(\\d{6}']\n", "patterns[0] is not a valid regular expression: missing )"),
        ("[redact]\npatterns = ['ok', 'EMP-(\\d{6}']\n", "patterns[1] is not a valid regular expression"),
        ("[redact]\npatterns = 'EMP-.*'\n", "patterns must be a list of non-empty strings"),
        ("[redact]\npattern = ['EMP-.*']\n", "knows only `patterns`"),
    ],
)
def test_a_bad_redact_pattern_is_one_clear_usage_error(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, message: str
) -> None:
    personal_incident(workspace)
    before = workspace.ok("timeline", "INC-1", "--json")
    path = write_config(tmp_path, monkeypatch, config)
    for args in (("postmortem", "INC-1"), ("export", "INC-1", "--format", "json")):
        code, out, err = workspace.run(*args, "--redact")
        assert code == 2 and out == ""
        assert f"{path}: [redact] {message}" in err.replace("\n", " ") and "Traceback" not in err
    assert workspace.ok("timeline", "INC-1", "--json") == before


def test_markdown_escaping_keeps_text_readable() -> None:
    assert escape_markdown("release 1.2.0 for affected_customers") == "release 1.2.0 for affected_customers"
    assert escape_markdown("# not a heading\n1. not a list\n- nor this") == (
        "\\# not a heading\n1\\. not a list\n\\- nor this"
    )
    assert escape_markdown("a | b & <c>") == "a \\| b \\& \\<c\\>"


def test_playbook_postmortem_template_replaces_the_builtin(workspace: Workspace) -> None:
    custom = REPORT_PLAYBOOK.replace(
        "postmortem:\n  kpis:", "postmortem:\n  template: custom/postmortem.md.j2\n  kpis:"
    ).replace("id: report", "id: custom-report")
    folder = workspace.playbooks / "custom"
    folder.mkdir()
    (folder / "postmortem.md.j2").write_text(
        "# Our review of {{ incident.title }}\n"
        "{% if draft %}(draft)\n{% endif %}"
        "{% for event in timeline %}- {{ event.summary }}\n{% endfor %}"
        "{% for lesson in lessons %}Lesson: {{ lesson.text }}\n{% endfor %}"
        "{% for kpi in kpis %}{{ kpi.id }}={{ kpi.text }}\n{% endfor %}",
        encoding="utf-8",
    )
    add_playbook(workspace, custom, "custom-report.yaml")
    workspace.ok("declare", "custom-report", "--input", "affected_customers=5", "--assign", "incident-lead=alice")
    workspace.ok("note", "INC-1", "lesson: <b>write</b> it down")
    md = workspace.ok("postmortem", "INC-1")
    assert md.startswith("# Our review of Checkout outage\n(draft)\n")
    assert "Lesson: \\<b\\>write\\</b\\> it down" in md
    assert "time_to_first_notice=—" in md
    code, out, err = workspace.run("postmortem", "INC-1", "--format", "html")
    assert code == 0
    assert "<h1>Checkout outage</h1>" in out
    assert "custom/postmortem.md.j2 is not html; the built-in html report is used" in err


def test_own_html_template_may_extend_the_builtin(workspace: Workspace) -> None:
    custom = REPORT_PLAYBOOK.replace(
        "postmortem:\n  kpis:", "postmortem:\n  template: custom/postmortem.html.j2\n  kpis:"
    ).replace("id: report", "id: custom-report")
    folder = workspace.playbooks / "custom"
    folder.mkdir()
    (folder / "postmortem.html.j2").write_text(
        '{% extends "postmortem.html.j2" %}\n'
        "{% block extra_style %}h1 { color: #7a1f5c; }{% endblock %}\n"
        "{% block extra_sections %}<section><h2>Follow-up for {{ incident.title }}</h2></section>{% endblock %}\n",
        encoding="utf-8",
    )
    add_playbook(workspace, custom, "custom-report.yaml")
    workspace.ok(
        "--as", "alice", "declare", "custom-report", "--title", "<b>Bold</b>", "--input", "affected_customers=5"
    )
    html = workspace.ok("postmortem", "INC-1", "--format", "html")
    assert "h1 { color: #7a1f5c; }" in html
    assert "<h2>Follow-up for &lt;b&gt;Bold&lt;/b&gt;</h2>" in html
    assert "<h1>&lt;b&gt;Bold&lt;/b&gt;</h1>" in html


def test_html_report_is_self_contained_and_printable(workspace: Workspace) -> None:
    scenario(workspace, resolve=True)
    html = workspace.ok("postmortem", "INC-1", "--format", "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html
    assert not re.search(r"\b(src|href)\s*=", html, re.IGNORECASE)
    assert "<style>" in html and "@media print" in html
    assert "<svg" in html and "</svg>" in html


def test_output_file_is_private_and_named_on_one_line(workspace: Workspace, tmp_path: Path) -> None:
    scenario(workspace, resolve=False)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "report.html"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    out = workspace.ok("postmortem", "INC-1", "--format", "html", "-o", str(target))
    assert out.strip().splitlines() == [f"INC-1: post-mortem (DRAFT: the incident is still open) written to {target}"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [path.name for path in folder.iterdir()] == ["report.html"]  # no temporary file left behind
    export = folder / "export.json"
    assert workspace.ok("export", "INC-1", "--format", "json", "--output", str(export)).count("\n") == 1
    assert stat.S_IMODE(export.stat().st_mode) == 0o600


def test_report_failures_are_clean(workspace: Workspace, tmp_path: Path) -> None:
    scenario(workspace, resolve=False)
    code, _, err = workspace.run("postmortem", "INC-9")
    assert code == 2 and "unknown incident" in err
    code, _, err = workspace.run("export", "INC-1")
    assert code == 2 and "--format" in err
    code, _, err = workspace.run("postmortem", "INC-1", "--format", "pdf")
    assert code == 2
    code, _, err = workspace.run("postmortem", "INC-1", "-o", str(tmp_path / "missing" / "r.md"))
    assert code == 2 and "does not exist" in err and "Traceback" not in err


@pytest.mark.slow
def test_ten_thousand_events_are_all_in_the_reports(workspace: Workspace) -> None:
    """Large incidents render completely; their speed is measured by bench/run.py, not here."""
    import datetime as dt

    from crisisctl.clock import format_time, parse_time
    from crisisctl.incident.records import NewEvent
    from crisisctl.store.log import IncidentLog

    scenario(workspace, resolve=False)
    log = IncidentLog(workspace.db)
    shown = workspace.json("show", "INC-1")
    assert isinstance(shown, dict)
    start = parse_time(shown["declared_at"])
    events = [
        NewEvent("INC-1", format_time(start + dt.timedelta(seconds=n)), "note.added", "bob", {"text": f"note {n}"})
        for n in range(10_000)
    ]
    with log.write() as writer:
        writer.append(events, format_time(start + dt.timedelta(hours=2)))
    log.close()
    for report_format in ("md", "html"):
        text = workspace.ok("postmortem", "INC-1", "--format", report_format)
        assert "note 9999" in text
    document = json.loads(workspace.ok("export", "INC-1", "--format", "json"))
    assert len(document["events"]) > 10_000
