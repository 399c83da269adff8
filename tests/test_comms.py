"""Communications end to end: comms list|draft|approve|send, the outbox, SMTP on loopback, refusals and failures.

Everything runs through the real entry point (the `workspace` fixture). Templates live in
tests/corpus/templates/comms/; the playbook that uses them is written into the workspace here.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import Workspace, outbox_of

INCIDENT = "INC-1"
SERVER_ANSWER = "250 2.0.0 Ok: queued as CRISISQ42"

PLAYBOOK = """\
apiVersion: crisisctl/v1
kind: Playbook
id: comms-test
version: "1.0.0"
title: Communications test playbook
category: service-outage
inputs:
  - id: affected_customers
    type: integer
    required: true
  - id: region
    type: string
    default: EU
  - id: headline
    type: string
    default: no news
roles:
  - id: incident-lead
    title: Incident lead
    required: true
  - id: legal
    title: Legal counsel
  - id: comms-lead
    title: Communications lead
steps:
  - id: notify
    title: Notify customers
    phase: respond
    role: comms-lead
    communication: customer-notice
communications:
  - id: customer-notice
    title: Notice to customers
    audience: customers
    channel: email
    template: comms/notice.md.j2
    locales: [en, zh]
    approvals: [incident-lead, legal]
  - id: plain-notice
    title: Plain notice
    audience: customers
    channel: email
    template: comms/plain.md.j2
    approvals: [incident-lead]
  - id: headline-notice
    title: Headline notice
    audience: customers
    channel: email
    template: comms/headline.md.j2
    approvals: [incident-lead]
  - id: status-page
    title: Status page update
    audience: customers
    channel: web
    template: comms/status.md.j2
    approvals: [incident-lead]
"""

HOSTILE = "\x1b[2J\x1b]0;PWNED\x07 \x9b31m \u202eevil [bold red]RESOLVED[/]"


# --------------------------------------------------------------------------- helpers


def crisis(ws: Workspace, actor: str, *args: str) -> tuple[int, str, str]:
    """Run as `actor`; every run, whatever its outcome, is clean: no traceback, no crash, no raw escapes.

    An approval without --digest is given the latest draft's digest, as an approver who read it
    with `comms show` would (a made-up one where there is nothing to read).
    """
    if args[:2] == ("comms", "approve") and "--digest" not in args:
        args = (*args, "--digest", latest_digest(ws, args))
    code, out, err = ws.run("--as", actor, *args)
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code != 3, f"{args} crashed: {err}"
    assert "\x1b" not in out and "\x1b" not in err, (out, err)
    assert "\x9b" not in out and "\x9b" not in err, (out, err)
    return code, out, err


def latest_digest(ws: Workspace, approve_args: tuple[str, ...]) -> str:
    incident, comm = approve_args[2], approve_args[3]
    locale = (
        approve_args[approve_args.index("--locale") : approve_args.index("--locale") + 2]
        if "--locale" in approve_args
        else ()
    )
    code, out, _ = ws.run("comms", "show", incident, comm, *locale, "--json")
    return str(json.loads(out)["draft_sha256"] or "00000000") if code == 0 else "00000000"


def ok(ws: Workspace, actor: str, *args: str) -> str:
    code, out, err = crisis(ws, actor, *args)
    assert code == 0, f"{args} exited {code}: {err}"
    return out


def declare(ws: Workspace, *extra: str) -> str:
    (ws.playbooks / "comms.yaml").write_text(PLAYBOOK, encoding="utf-8")
    out = ok(
        ws,
        "lead",
        "declare",
        "comms-test",
        "--title",
        "Checkout down",
        "--input",
        "affected_customers=1200",
        "--assign",
        "incident-lead=lead",
        "--assign",
        "legal=lee",
        *extra,
        "--json",
    )
    incident = json.loads(out)["id"]
    assert incident == INCIDENT
    return str(incident)


def timeline(ws: Workspace, incident: str = INCIDENT) -> list[dict[str, Any]]:
    events = json.loads(ok(ws, "auditor", "timeline", incident, "--json"))
    assert isinstance(events, list)
    return events


def rows(ws: Workspace, incident: str = INCIDENT) -> dict[tuple[str, str | None], dict[str, Any]]:
    payload = json.loads(ok(ws, "auditor", "comms", "list", incident, "--json"))
    assert isinstance(payload, list)
    return {(row["id"], row["locale"]): row for row in payload}


def status(ws: Workspace, comm: str, locale: str | None) -> str:
    return str(rows(ws)[(comm, locale)]["status"])


def approvals(ws: Workspace, comm: str, locale: str | None) -> dict[str, str | None]:
    """role -> approver (None when not approved)."""
    result = {}
    for approval in rows(ws)[(comm, locale)]["approvals"]:
        assert set(approval) >= {"role", "approved", "by"}
        assert approval["approved"] is (approval["by"] is not None)
        result[approval["role"]] = approval["by"]
    return result


def draft(ws: Workspace, comm: str, *extra: str, actor: str = "cara") -> str:
    """Drafted by cara, whom no approval needs: the approvers are four other eyes."""
    return ok(ws, actor, "comms", "draft", INCIDENT, comm, *extra)


def approve_all(ws: Workspace, comm: str, *locale: str) -> None:
    ok(ws, "lead", "comms", "approve", INCIDENT, comm, "--role", "incident-lead", *locale)
    if comm == "customer-notice":
        ok(ws, "lee", "comms", "approve", INCIDENT, comm, "--role", "legal", *locale)


def drafted_text(ws: Workspace, comm: str, locale: str) -> str:
    drafts = [e for e in timeline(ws) if e["type"] == "communication.drafted" and e["data"]["communication"] == comm]
    drafts = [e for e in drafts if e["data"]["locale"] == locale]
    return str(drafts[-1]["data"]["text"])


def outbox(ws: Workspace, incident: str = INCIDENT) -> Path:
    return outbox_of(ws, incident)


def outbox_files(ws: Workspace) -> list[Path]:
    folder = outbox(ws)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(path: Path, port: int, recipients: list[str] | None = None, sender: str = "ops@example.com") -> Path:
    addresses = recipients if recipients is not None else ["a@example.com"]
    listed = ", ".join(json.dumps(address) for address in addresses)  # JSON strings are valid TOML basic strings
    path.write_text(
        "[smtp]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        'security = "none"\n'
        f"from = {json.dumps(sender)}\n"
        "timeout = 5\n"
        "\n[recipients]\n"
        f"customers = [{listed}]\n",
        encoding="utf-8",
    )
    return path


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def subject_and_body(text: str) -> tuple[str, str]:
    """What the design says goes out: the first `Subject:` line, and the text after it (blank line dropped)."""
    first, _, rest = text.partition("\n")
    assert first.startswith("Subject:")
    return first.removeprefix("Subject:").strip(), rest.removeprefix("\n")


class Collector:
    """An aiosmtpd handler that keeps every envelope it is given."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.envelopes.append(envelope)
        return SERVER_ANSWER


class Rejecter(Collector):
    """A server that takes the connection but refuses every message, as a spam filter might."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "550 5.7.1 Message rejected by policy"


class SmtpServer:
    def __init__(self, port: int, handler: Collector | None = None) -> None:
        self.port = port
        self.handler = handler or Collector()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def envelopes(self) -> list[Any]:
        with self.handler.lock:
            return list(self.handler.envelopes)


class SteppedClock:
    """The system clock replaced by one the test moves (the outbox file names carry the second)."""

    def __init__(self) -> None:
        # a whole second just ahead of the real clock, so it is never before the declaration
        self.instant = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)

    def now(self) -> dt.datetime:
        return self.instant

    def tick(self, seconds: float = 5) -> None:
        self.instant += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppedClock:
    stepped = SteppedClock()
    monkeypatch.setattr("crisisctl.clock.SystemClock.now", lambda self: stepped.now())
    return stepped


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A loopback SMTP server, and a config that points crisisctl at it."""
    with SmtpServer(free_port()) as server:
        monkeypatch.setenv("CRISISCTL_CONFIG", str(write_config(tmp_path / "crisisctl.toml", server.port)))
        yield server


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Workspace:
    """The workspace with the comms playbook declared as INC-1; no delivery config unless a test sets one."""
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)  # the default file, which does not exist
    declare(workspace)
    return workspace


# --------------------------------------------------------------------------- comms list through the lifecycle


def test_list_json_shape_before_anything_is_drafted(ws: Workspace) -> None:
    listed = rows(ws)
    assert list(listed) == [
        ("customer-notice", "en"),
        ("customer-notice", "zh"),
        ("plain-notice", None),
        ("headline-notice", None),
        ("status-page", None),
    ]
    for row in listed.values():
        assert {"id", "locale", "status", "approvals"} <= set(row)
        assert row["status"] == "pending"
    assert listed[("customer-notice", "en")]["approvals"] == [
        {"role": "incident-lead", "approved": False, "by": None},
        {"role": "legal", "approved": False, "by": None},
    ]
    table = ok(ws, "auditor", "comms", "list", INCIDENT)
    assert "customer-notice" in table and "pending" in table


def test_lifecycle_pending_drafted_approved_sent_per_locale(ws: Workspace) -> None:
    draft(ws, "customer-notice")  # no --locale: the first listed, en
    assert status(ws, "customer-notice", "en") == "drafted"
    assert status(ws, "customer-notice", "zh") == "pending"

    ok(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    assert status(ws, "customer-notice", "en") == "drafted"
    assert approvals(ws, "customer-notice", "en") == {"incident-lead": "lead", "legal": None}

    ok(ws, "lee", "comms", "approve", INCIDENT, "customer-notice", "--role", "legal", "--locale", "en")
    assert status(ws, "customer-notice", "en") == "approved"
    assert approvals(ws, "customer-notice", "en") == {"incident-lead": "lead", "legal": "lee"}
    assert approvals(ws, "customer-notice", "zh") == {"incident-lead": None, "legal": None}

    draft(ws, "customer-notice", "--locale", "zh")
    assert status(ws, "customer-notice", "zh") == "drafted"
    assert status(ws, "customer-notice", "en") == "approved"

    out = ok(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert "sent" in out
    listed = rows(ws)
    assert listed[("customer-notice", "en")]["status"] == "sent"
    assert listed[("customer-notice", "en")]["sent_at"] is not None
    assert listed[("customer-notice", "zh")]["status"] == "drafted"
    assert listed[("plain-notice", None)]["status"] == "pending"

    approve_all(ws, "customer-notice", "--locale", "zh")
    assert status(ws, "customer-notice", "zh") == "approved"
    ok(ws, "lee", "comms", "send", INCIDENT, "customer-notice", "--locale", "zh")
    assert status(ws, "customer-notice", "zh") == "sent"
    assert status(ws, "customer-notice", "en") == "sent"

    types = [e["type"] for e in timeline(ws)]
    assert types.count("communication.drafted") == 2
    assert types.count("communication.approved") == 4
    assert types.count("communication.sent") == 2


# --------------------------------------------------------------------------- drafting


def test_draft_prints_the_text_and_stores_it_with_its_sha256(ws: Workspace) -> None:
    out = draft(ws, "customer-notice")
    assert out == (
        "Subject: [INC-1] Checkout down\n"
        "\n"
        "Hello (en): 1200 accounts are affected in EU.\n"
        "Contact: the support desk.\n"
        "Legal: lee.\n"
    )
    drafted = [e for e in timeline(ws) if e["type"] == "communication.drafted"]
    assert len(drafted) == 1
    data = drafted[0]["data"]
    assert drafted[0]["actor"] == "cara"
    assert data["communication"] == "customer-notice"
    assert data["locale"] == "en"
    assert data["text"] == out
    assert data["sha256"].removeprefix("sha256:") == hashlib.sha256(out.encode("utf-8")).hexdigest()
    assert data["template"] == "comms/notice.md.j2"
    assert rows(ws)[("customer-notice", "en")]["draft_sha256"].removeprefix("sha256:") == data["sha256"].removeprefix(
        "sha256:"
    )


def test_draft_output_file_gets_the_exact_text(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "draft-zh.md"
    code, out, err = crisis(
        ws, "lead", "comms", "draft", INCIDENT, "customer-notice", "--locale", "zh", "-o", str(target)
    )
    assert code == 0, err
    assert "服务中断" not in out  # the text went to the file, not the terminal
    text = target.read_text(encoding="utf-8")
    assert text == drafted_text(ws, "customer-notice", "zh")
    assert text.startswith("Subject: 服务中断通知：Checkout down\n")


def test_draft_output_file_in_a_missing_folder_fails_cleanly_and_records_nothing(ws: Workspace, tmp_path: Path) -> None:
    before = len(timeline(ws))
    target = tmp_path / "no" / "such" / "draft.md"
    code, _, err = ws.run("--as", "lead", "comms", "draft", INCIDENT, "customer-notice", "-o", str(target))
    recorded = len(timeline(ws)) - before
    assert "Traceback" not in err
    assert code in (2, 4) and recorded == 0, (
        f"exit {code} with {recorded} event(s) recorded; expected a clean exit 2/4 that changes nothing: {err}"
    )
    assert "draft.md" in err or "no/such" in err


def test_template_context_renders_the_incidents_facts(ws: Workspace) -> None:
    # roles['comms-lead'] is unassigned: the template's fallback is used; legal is held by lee.
    en = draft(ws, "customer-notice", "--locale", "en")
    assert "Hello (en): 1200 accounts are affected in EU." in en
    assert "Contact: the support desk." in en
    assert "Legal: lee." in en

    ok(ws, "lead", "assign", INCIDENT, "comms-lead", "cara")
    en = draft(ws, "customer-notice", "--locale", "en")
    assert "Contact: cara." in en

    zh = draft(ws, "customer-notice", "--locale", "zh")
    assert zh == (
        "Subject: 服务中断通知：Checkout down\n\n您好（zh）：1200 个账户受到影响，地区 EU。\n联系人：cara。\n"
    )
    zh_events = [e for e in timeline(ws) if e["type"] == "communication.drafted" and e["data"]["locale"] == "zh"]
    assert zh_events[-1]["data"]["template"] == "comms/notice.zh.md.j2"

    plain = draft(ws, "plain-notice")
    assert plain == "Subject: Plain notice for INC-1\n\nStatus: open. Details: EU.\n. (a line starting with a dot)\n"


def test_string_inputs_render_as_given(workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    declare(workspace, "--input", "region=APAC & Oceania <south>")
    out = draft(workspace, "customer-notice")
    assert "1200 accounts are affected in APAC & Oceania <south>." in out  # Markdown notice: no HTML escaping


@pytest.mark.parametrize(
    ("comm", "flags"),
    [
        ("customer-notice", ["--locale", "fr"]),  # a locale the communication does not list
        ("plain-notice", ["--locale", "en"]),  # a communication without locales
        ("no-such-notice", []),  # an unknown communication
    ],
)
def test_draft_usage_errors_exit_2_and_record_nothing(ws: Workspace, comm: str, flags: list[str]) -> None:
    before = len(timeline(ws))
    code, out, err = crisis(ws, "lead", "comms", "draft", INCIDENT, comm, *flags)
    assert code == 2, err
    assert out == ""
    assert err.strip()
    assert len(timeline(ws)) == before


def test_unknown_incident_exits_2(ws: Workspace) -> None:
    code, _, err = crisis(ws, "lead", "comms", "draft", "INC-99", "customer-notice")
    assert code == 2
    assert "INC-99" in err


# --------------------------------------------------------------------------- approvals


def test_approval_refusals_change_nothing(ws: Workspace) -> None:
    ok(ws, "lead", "assign", INCIDENT, "comms-lead", "cara")
    before = len(timeline(ws))

    # before any draft
    code, _, err = crisis(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    assert code == 1
    assert "draft" in err
    assert len(timeline(ws)) == before

    draft(ws, "customer-notice")
    before = len(timeline(ws))

    # a person who does not hold the role
    code, _, err = crisis(ws, "mallory", "comms", "approve", INCIDENT, "customer-notice", "--role", "legal")
    assert code == 1
    assert "mallory" in err and "legal" in err
    # a role holder approving as a role they do not hold
    code, _, err = crisis(ws, "lee", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    assert code == 1
    # a declared role the communication does not list, by its holder
    code, _, err = crisis(ws, "cara", "comms", "approve", INCIDENT, "customer-notice", "--role", "comms-lead")
    assert code == 1
    assert "comms-lead" in err
    # a role the playbook does not declare at all is an unknown id
    code, _, err = crisis(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "executive")
    assert code == 2
    # a locale the communication does not list
    code, _, err = crisis(
        ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead", "--locale", "fr"
    )
    assert code == 2
    # the zh locale has no draft of its own
    code, _, err = crisis(
        ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead", "--locale", "zh"
    )
    assert code == 1
    assert len(timeline(ws)) == before
    assert approvals(ws, "customer-notice", "en") == {"incident-lead": None, "legal": None}

    ok(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    after_first = len(timeline(ws))
    code, _, err = crisis(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    assert code == 1, "approving the same draft twice is refused"
    assert "already" in err
    assert len(timeline(ws)) == after_first


def test_new_draft_voids_that_locales_approvals_only(ws: Workspace) -> None:
    draft(ws, "customer-notice", "--locale", "en")
    draft(ws, "customer-notice", "--locale", "zh")
    approve_all(ws, "customer-notice", "--locale", "en")
    approve_all(ws, "customer-notice", "--locale", "zh")
    assert status(ws, "customer-notice", "en") == "approved"
    assert status(ws, "customer-notice", "zh") == "approved"

    ok(ws, "lead", "assign", INCIDENT, "comms-lead", "cara")
    new_text = draft(ws, "customer-notice", "--locale", "en")
    assert "Contact: cara." in new_text
    assert status(ws, "customer-notice", "en") == "drafted"
    assert approvals(ws, "customer-notice", "en") == {"incident-lead": None, "legal": None}
    assert status(ws, "customer-notice", "zh") == "approved"
    assert approvals(ws, "customer-notice", "zh") == {"incident-lead": "lead", "legal": "lee"}

    # the voided approvals can be given again, on the new draft
    ok(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    approved = [e for e in timeline(ws) if e["type"] == "communication.approved"]
    assert (
        approved[-1]["data"]["draft_sha256"].removeprefix("sha256:")
        == hashlib.sha256(new_text.encode("utf-8")).hexdigest()
    )


# --------------------------------------------------------------------------- sending to the outbox


def test_send_refuses_until_every_approval_is_on_the_latest_draft(ws: Workspace) -> None:
    code, _, err = crisis(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert code == 1
    assert "draft" in err

    draft(ws, "customer-notice")
    before = len(timeline(ws))
    code, _, err = crisis(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert code == 1
    assert "incident-lead" in err and "legal" in err

    ok(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    before = len(timeline(ws))
    code, _, err = crisis(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert code == 1
    assert "legal" in err and "incident-lead" not in err.split("\n")[0]
    assert len(timeline(ws)) == before

    ok(ws, "lee", "comms", "approve", INCIDENT, "customer-notice", "--role", "legal")
    draft(ws, "customer-notice")  # a new draft after both approvals: they were on the old text
    before = len(timeline(ws))
    code, _, err = crisis(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert code == 1
    assert "incident-lead" in err and "legal" in err
    assert len(timeline(ws)) == before
    assert outbox_files(ws) == []


def test_send_writes_a_private_rfc5322_file_beside_the_log(ws: Workspace) -> None:
    text = draft(ws, "customer-notice")
    approve_all(ws, "customer-notice")
    out = ok(ws, "lee", "comms", "send", INCIDENT, "customer-notice")

    files = outbox_files(ws)
    assert len(files) == 1
    path = files[0]
    assert path.parent == outbox_of(ws, INCIDENT)
    assert path.suffix == ".eml"
    assert "customer-notice" in path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in out

    subject, body = subject_and_body(text)
    message = parse(path.read_bytes())
    assert message["Subject"] == subject == "[INC-1] Checkout down"
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == body

    sent = [e for e in timeline(ws) if e["type"] == "communication.sent"]
    assert len(sent) == 1
    assert sent[0]["actor"] == "lee"
    assert sent[0]["data"]["outbox"] == str(path)
    assert sent[0]["data"]["draft_sha256"].removeprefix("sha256:") == hashlib.sha256(text.encode()).hexdigest()

    # the same draft again
    before = len(timeline(ws))
    code, _, err = crisis(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert code == 1
    assert "already" in err
    assert len(timeline(ws)) == before
    assert outbox_files(ws) == files


def test_chinese_subject_and_body_are_utf8_encoded_correctly(ws: Workspace) -> None:
    text = draft(ws, "customer-notice", "--locale", "zh")
    approve_all(ws, "customer-notice", "--locale", "zh")
    ok(ws, "lee", "comms", "send", INCIDENT, "customer-notice", "--locale", "zh")
    (path,) = outbox_files(ws)
    assert ".zh" in path.name
    raw = path.read_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    headers.decode("ascii")  # RFC 2047: no raw UTF-8 in the header block
    assert b"=?utf-8?" in headers.lower()

    subject, body = subject_and_body(text)
    message = parse(raw)
    assert str(message["Subject"]) == subject == "服务中断通知：Checkout down"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == body


def test_redrafting_a_sent_notice_makes_a_new_version_to_approve_and_send(ws: Workspace, clock: SteppedClock) -> None:
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    assert status(ws, "plain-notice", None) == "sent"

    clock.tick()
    draft(ws, "plain-notice")  # nothing changed in the facts, so the text is the same
    assert approvals(ws, "plain-notice", None) == {"incident-lead": None}
    assert status(ws, "plain-notice", None) == "drafted", "a new draft voids approvals and has not been sent"
    code, _, err = crisis(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    assert code == 1
    assert "incident-lead" in err
    clock.tick()
    approve_all(ws, "plain-notice")
    assert status(ws, "plain-notice", None) == "approved"
    clock.tick()
    ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    assert len(outbox_files(ws)) == 2


# --------------------------------------------------------------------------- SMTP on loopback


def test_smtp_delivery_on_loopback(ws: Workspace, smtp: SmtpServer) -> None:
    text = draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    out = ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    assert SERVER_ANSWER in out

    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == ["a@example.com"]
    assert envelope.mail_from == "ops@example.com"
    subject, body = subject_and_body(text)
    message = parse(envelope.content)
    assert message["Subject"] == subject
    assert message["To"] == "ops@example.com", "recipients are blind copies: the sender stands in To"
    assert message["From"] == "ops@example.com"
    assert "Bcc" not in message and b"a@example.com" not in envelope.original_content

    (path,) = outbox_files(ws)
    assert parse(path.read_bytes()).get_content() == body

    sent = [e for e in timeline(ws) if e["type"] == "communication.sent"]
    assert len(sent) == 1
    assert SERVER_ANSWER in sent[0]["data"]["detail"]
    (started,) = [e for e in timeline(ws) if e["type"] == "communication.sending"]
    assert started["data"]["route"]["recipients"] == ["a@example.com"]
    assert started["data"]["delivery_id"] == sent[0]["data"]["delivery_id"]
    assert message["Message-ID"] == f"<{started['data']['delivery_id']}@crisisctl.invalid>"
    assert status(ws, "plain-notice", None) == "sent"

    # SMTP DATA is CRLF-delimited (RFC 5321 2.3.8, 4.1.1.4): no bare LF on the wire, and the
    # decoded text is byte for byte the draft's body once CRLF is read as a line end (the line
    # that starts with a dot is dot-stuffed on the way and must arrive un-stuffed).
    raw_body = envelope.original_content.split(b"\r\n\r\n", 1)[-1]
    assert b"\n" not in envelope.original_content.replace(b"\r\n", b""), "bare LF sent over SMTP"
    assert raw_body
    assert message.get_content().replace("\r\n", "\n") == body


def test_smtp_delivery_of_the_chinese_version(ws: Workspace, smtp: SmtpServer) -> None:
    text = draft(ws, "customer-notice", "--locale", "zh")
    approve_all(ws, "customer-notice", "--locale", "zh")
    ok(ws, "lee", "comms", "send", INCIDENT, "customer-notice", "--locale", "zh")
    (envelope,) = smtp.envelopes
    subject, body = subject_and_body(text)
    message = parse(envelope.content)
    assert str(message["Subject"]) == subject
    assert status(ws, "customer-notice", "zh") == "sent"
    assert status(ws, "customer-notice", "en") == "pending"
    assert message.get_content().replace("\r\n", "\n") == body


def test_delivery_failure_is_recorded_and_a_later_retry_succeeds(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: SteppedClock
) -> None:
    port = free_port()  # nothing listens here yet
    monkeypatch.setenv("CRISISCTL_CONFIG", str(write_config(tmp_path / "crisisctl.toml", port)))
    text = draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")

    clock.tick()
    code, out, err = crisis(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    assert code == 1
    assert "not delivered" in err
    assert "plain-notice" in err
    failed = [e for e in timeline(ws) if e["type"] == "communication.delivery_failed"]
    assert len(failed) == 1
    assert failed[0]["data"]["detail"]
    assert not [e for e in timeline(ws) if e["type"] == "communication.sent"]
    assert status(ws, "plain-notice", None) == "approved"
    assert approvals(ws, "plain-notice", None) == {"incident-lead": "lead"}
    assert drafted_text(ws, "plain-notice", "") == text

    clock.tick(60)  # the operator fixes the server a minute later
    with SmtpServer(port) as server:
        out = ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
        assert len(server.envelopes) == 1
    assert SERVER_ANSWER in out
    assert status(ws, "plain-notice", None) == "sent"
    types = [e["type"] for e in timeline(ws)]
    assert types.count("communication.delivery_failed") == 1
    assert types.count("communication.sent") == 1


def test_retry_within_the_same_second_as_a_failed_attempt(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: SteppedClock
) -> None:
    """A script that retries at once: the failed attempt's outbox file must not block the retry."""
    port = free_port()
    monkeypatch.setenv("CRISISCTL_CONFIG", str(write_config(tmp_path / "crisisctl.toml", port)))
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    code, _, _ = crisis(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    assert code == 1
    with SmtpServer(port) as server:
        code, _, err = crisis(ws, "lead", "comms", "send", INCIDENT, "plain-notice")  # same clock second
        assert code == 0, err
        assert len(server.envelopes) == 1
    assert status(ws, "plain-notice", None) == "sent"


# --------------------------------------------------------------------------- header injection


@pytest.mark.parametrize(
    ("comm", "declare_flags"),
    [
        ("headline-notice", ["--input", "headline=Delayed\r\nBcc: x@evil.example"]),
        ("plain-notice", []),  # control: the injection cases below differ only in the hostile value
    ],
)
def test_header_injection_through_the_subject_is_refused(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, comm: str, declare_flags: list[str]
) -> None:
    with SmtpServer(free_port()) as server:
        monkeypatch.setenv("CRISISCTL_CONFIG", str(write_config(tmp_path / "crisisctl.toml", server.port)))
        declare(workspace, *declare_flags)
        hostile = bool(declare_flags)
        code, _, err = crisis(workspace, "cara", "comms", "draft", INCIDENT, comm)
        if code == 0:  # refusing at draft time is as good as refusing at send time
            ok(workspace, "lead", "comms", "approve", INCIDENT, comm, "--role", "incident-lead")
            code, _, err = crisis(workspace, "lead", "comms", "send", INCIDENT, comm)
        if not hostile:
            assert code == 0, err
            assert len(server.envelopes) == 1
            return
        assert code == 1, "a subject carrying CR/LF must be refused, not split into headers or body"
        assert "line break" in err or "header" in err
        assert server.envelopes == []
        assert not [e for e in timeline(workspace) if e["type"] == "communication.sent"]
        assert outbox_files(workspace) == []


def test_header_injection_through_the_title_is_refused(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer(free_port()) as server:
        monkeypatch.setenv("CRISISCTL_CONFIG", str(write_config(tmp_path / "crisisctl.toml", server.port)))
        (workspace.playbooks / "comms.yaml").write_text(PLAYBOOK, encoding="utf-8")
        ok(
            workspace,
            "lead",
            "declare",
            "comms-test",
            "--title",
            "Outage\r\nBcc: x@evil.example",
            "--input",
            "affected_customers=5",
            "--assign",
            "legal=lee",
            "--assign",
            "incident-lead=lead",
        )
        code, _, err = crisis(workspace, "lead", "comms", "draft", INCIDENT, "customer-notice")
        if code == 0:
            approve_all(workspace, "customer-notice")
            code, _, err = crisis(workspace, "lee", "comms", "send", INCIDENT, "customer-notice")
        assert code == 1, f"a subject carrying CR/LF must be refused: {err}"
        assert server.envelopes == []
        assert not [e for e in timeline(workspace) if e["type"] == "communication.sent"]


@pytest.mark.parametrize(
    ("recipients", "sender"),
    [
        (["a@example.com\r\nBcc: x@evil.example"], "ops@example.com"),
        (["a@example.com", "b@example.com\nX-Injected: 1"], "ops@example.com"),
        (["a@example.com"], "ops@example.com\r\nBcc: x@evil.example"),
    ],
)
def test_addresses_with_line_breaks_are_refused(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recipients: list[str], sender: str
) -> None:
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    with SmtpServer(free_port()) as server:
        config = write_config(tmp_path / "crisisctl.toml", server.port, recipients, sender)
        monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
        before = len(timeline(ws))
        code, _, err = crisis(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
        assert code == 1, err
        assert "line break" in err
        assert server.envelopes == []
    assert len(timeline(ws)) == before
    assert status(ws, "plain-notice", None) == "approved"
    assert outbox_files(ws) == []


# --------------------------------------------------------------------------- an outbox that cannot be written


@pytest.mark.parametrize("blocker", ["incidents.sqlite3.outbox", f"incidents.sqlite3.outbox/{INCIDENT}"])
def test_unwritable_outbox_exits_4_and_records_nothing(ws: Workspace, blocker: str) -> None:
    # Root ignores permission bits, so the outbox is made unusable by a regular file where a folder must go.
    draft(ws, "customer-notice")
    approve_all(ws, "customer-notice")
    blocked = ws.db.parent / blocker
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("not a folder")
    before = len(timeline(ws))

    code, _, err = crisis(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert code == 4, err
    assert "outbox" in err
    assert "nothing was sent" in err
    assert len(timeline(ws)) == before
    assert status(ws, "customer-notice", "en") == "approved"

    blocked.unlink()
    ok(ws, "lee", "comms", "send", INCIDENT, "customer-notice")
    assert status(ws, "customer-notice", "en") == "sent"


# --------------------------------------------------------------------------- other channels


def test_web_channel_writes_a_text_file_and_uses_no_smtp(ws: Workspace, smtp: SmtpServer) -> None:
    text = draft(ws, "status-page")
    assert text.startswith("# Checkout down\n")
    approve_all(ws, "status-page")
    out = ok(ws, "lead", "comms", "send", INCIDENT, "status-page")
    (path,) = outbox_files(ws)
    assert path.suffix in (".md", ".txt")
    assert "web" in path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == text
    assert str(path) in out
    assert smtp.envelopes == []
    assert status(ws, "status-page", None) == "sent"
    sent = [e for e in timeline(ws) if e["type"] == "communication.sent"]
    assert sent[0]["data"]["channel"] == "web"


# --------------------------------------------------------------------------- a closed incident


def test_closed_incident_refuses_draft_approve_and_send(ws: Workspace) -> None:
    draft(ws, "customer-notice")
    ok(ws, "lead", "comms", "approve", INCIDENT, "customer-notice", "--role", "incident-lead")
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    ok(ws, "lead", "resolve", INCIDENT, "--summary", "fixed")
    ok(ws, "lead", "close", INCIDENT, "--force")
    before = len(timeline(ws))

    for actor, args in [
        ("lead", ["comms", "draft", INCIDENT, "customer-notice", "--locale", "zh"]),
        ("lee", ["comms", "approve", INCIDENT, "customer-notice", "--role", "legal"]),
        ("lead", ["comms", "send", INCIDENT, "plain-notice"]),
    ]:
        code, _, err = crisis(ws, actor, *args)
        assert code == 1, (args, err)
        assert "closed" in err
    assert len(timeline(ws)) == before
    assert outbox_files(ws) == []
    assert status(ws, "plain-notice", None) == "approved"


# --------------------------------------------------------------------------- hostile text stays inert


def test_hostile_input_and_notes_never_reach_the_terminal_raw(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    declare(workspace, "--input", f"region=Nord{HOSTILE}")
    ok(workspace, "lead", "note", INCIDENT, f"customer said {HOSTILE}")

    # crisis() asserts that no \x1b or \x9b reaches stdout or stderr of any command
    out = draft(workspace, "customer-notice")
    assert "[bold red]RESOLVED[/]" in out  # markup shown as text, not obeyed
    assert "\\x1b" in out  # the escape is shown visibly
    assert "\u202e" not in out
    stored = drafted_text(workspace, "customer-notice", "en")
    assert "\x1b[2J" in stored and "\u202e" in stored  # the stored text is unchanged

    target = tmp_path / "raw.md"
    ok(workspace, "cara", "comms", "draft", INCIDENT, "customer-notice", "-o", str(target))
    assert target.read_text(encoding="utf-8") == drafted_text(workspace, "customer-notice", "en")

    approve_all(workspace, "customer-notice")
    ok(workspace, "lee", "comms", "send", INCIDENT, "customer-notice")
    for args in (("timeline", INCIDENT), ("show", INCIDENT), ("comms", "list", INCIDENT)):
        ok(workspace, "auditor", *args)
        ok(workspace, "auditor", *args, "--json")


def test_a_server_that_rejects_the_message_is_a_recorded_failure(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("CRISISCTL_CONFIG", str(write_config(tmp_path / "crisisctl.toml", port)))
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    with SmtpServer(port, Rejecter()):
        code, _, err = crisis(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    assert code == 1 and "550" in err and "Traceback" not in err
    failed = [e for e in timeline(ws) if e["type"] == "communication.delivery_failed"]
    assert len(failed) == 1 and "550" in failed[0]["data"]["detail"]
    assert status(ws, "plain-notice", None) == "approved"


def test_starttls_delivery_verifies_the_server_certificate(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real TLS upgrade on loopback: trusted through ca_file, refused without it (no silent plain text)."""
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    port = free_port()
    config = tmp_path / "crisisctl.toml"

    def configure(trusted: bool) -> None:
        write_config(config, port)
        text = config.read_text().replace('security = "none"', 'security = "starttls"')
        if trusted:
            text = text.replace("timeout = 5\n", f"timeout = 5\nca_file = {json.dumps(str(cert))}\n")
        config.write_text(text)

    monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True)
    controller.start()
    try:
        configure(trusted=False)
        code, _, err = crisis(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
        assert code == 1 and "CERTIFICATE_VERIFY_FAILED" in err and handler.envelopes == []
        configure(trusted=True)
        ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    finally:
        controller.stop()
    assert len(handler.envelopes) == 1
    assert status(ws, "plain-notice", None) == "sent"
