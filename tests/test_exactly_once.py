"""Notices go out exactly once: concurrent sends, kill -9 after the server's 250, a busy log after
delivery, drafts and closes during a send, and `comms reconcile` settling what a crash left open.

The senders are real crisisctl processes; the mail server is aiosmtpd on loopback; the log is a
real SQLite file that the tests lock from outside to hold a sender at a chosen moment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace, crisisctl, subprocess_env
from test_comms import (
    INCIDENT,
    SERVER_ANSWER,
    Collector,
    SmtpServer,
    approve_all,
    declare,
    draft,
    free_port,
    ok,
    outbox_files,
    rows,
    timeline,
    write_config,
)


class SlowCollector(Collector):
    """A server that takes its time over DATA, as a loaded relay does: a wide window for races."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arrived.set()
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


class LockingCollector(Collector):
    """Accepts the first message, but first takes the log's write lock, so the sender cannot record
    the outcome until the test lets go: the moment right after the server's 250. Later messages
    are accepted at once."""

    def __init__(self, db: Path) -> None:
        super().__init__()
        self.db = db
        self.holder: sqlite3.Connection | None = None
        self.answered = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.holder is not None:
            return await super().handle_DATA(server, session, envelope)
        self.holder = sqlite3.connect(self.db, isolation_level=None, check_same_thread=False)
        self.holder.execute("BEGIN IMMEDIATE")
        answer = await super().handle_DATA(server, session, envelope)
        self.answered.set()
        return answer

    def release(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    declare(workspace)
    draft(workspace, "plain-notice")
    approve_all(workspace, "plain-notice")
    return workspace


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the test's SMTP server will listen; the config is written when the server starts."""
    path = tmp_path / "crisisctl.toml"
    monkeypatch.setenv("CRISISCTL_CONFIG", str(path))
    yield path


def send_process(ws: Workspace, *extra: str, **env: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "crisisctl", *ws.args(), "--as", "lead", "comms", "send", INCIDENT]
    return subprocess.Popen(
        [*command, *(extra or ("plain-notice",))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(**env),
    )


def kill_after_the_250(ws: Workspace, server: SmtpServer) -> None:
    """A send killed (SIGKILL) right after the server accepted its message, before it could record that."""
    handler = server.handler
    assert isinstance(handler, LockingCollector)
    sender = send_process(ws)
    try:
        assert handler.answered.wait(30), "the message never reached the server"
        time.sleep(0.2)  # the 250 is on its way; the sender now waits for the log
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=30)
    finally:
        handler.release()


def events_of(ws: Workspace, kind: str) -> list[dict[str, Any]]:
    return [event for event in timeline(ws) if event["type"] == kind]


def unsettled(ws: Workspace) -> dict[str, Any] | None:
    return rows(ws)[("plain-notice", None)]["unsettled_delivery"]  # type: ignore[no-any-return]


@pytest.fixture
def team_ws(team_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The `ws` fixture's incident, on each backend: SQLite and the team log on PostgreSQL."""
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    declare(team_workspace)
    draft(team_workspace, "plain-notice")
    approve_all(team_workspace, "plain-notice")
    return team_workspace


def test_two_concurrent_sends_of_one_draft_deliver_once(team_ws: Workspace, config: Path) -> None:
    ws = team_ws
    handler = SlowCollector(seconds=1.5)
    with SmtpServer(free_port(), handler) as server:
        write_config(config, server.port)
        senders = [send_process(ws) for _ in range(2)]
        results = [(sender.wait(timeout=60), *sender.communicate()) for sender in senders]
        assert len(server.envelopes) == 1, ("one delivery, not two", results)
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    refused = next(err for code, _, err in results if code == 1)
    assert "no recorded outcome" in refused or "already sent" in refused
    assert "Traceback" not in refused
    assert len(events_of(ws, "communication.sending")) == 1
    assert len(events_of(ws, "communication.sent")) == 1
    assert rows(ws)[("plain-notice", None)]["status"] == "sent"


def test_kill_9_right_after_the_servers_250_leaves_an_open_delivery_that_a_retry_does_not_repeat(
    ws: Workspace, config: Path
) -> None:
    with SmtpServer(free_port(), LockingCollector(ws.db)) as server:
        write_config(config, server.port)
        kill_after_the_250(ws, server)
        assert len(server.envelopes) == 1

        pending = unsettled(ws)
        assert pending is not None and pending["outcome"] == "unknown" and pending["via"] == "smtp"
        for view in (("comms", "list", INCIDENT), ("show", INCIDENT), ("comms", "show", INCIDENT, "plain-notice")):
            assert "outcome unknown" in ok(ws, "auditor", *view).lower(), view

        audit = ws.json("verify")
        assert isinstance(audit, dict) and audit["ok"] is True, "an open delivery is no tampering"
        assert [d["delivery_id"] for d in audit["unsettled_deliveries"]] == [pending["delivery_id"]]
        assert "no recorded outcome" in ok(ws, "auditor", "verify")

        retry = crisisctl(*ws.args(), "--as", "lead", "comms", "send", INCIDENT, "plain-notice")
        assert retry.returncode == 1, retry.stderr
        assert "no recorded outcome" in retry.stderr and "reconcile" in retry.stderr
        assert len(server.envelopes) == 1, "the retry delivered again"

        # An e-mail handed to a server cannot be seen from here: reconcile lists it, exit 1.
        listed = crisisctl(*ws.args(), "comms", "reconcile", INCIDENT, "--json")
        assert listed.returncode == 1, listed.stderr
        (open_one,) = json.loads(listed.stdout)
        assert open_one["status"] == "unknown" and open_one["delivery_id"] == pending["delivery_id"]

        settled = json.loads(ok(ws, "lead", "comms", "reconcile", INCIDENT, "plain-notice", "--delivered", "--json"))
        assert [s["status"] for s in settled] == ["sent"]
    assert unsettled(ws) is None
    assert rows(ws)[("plain-notice", None)]["status"] == "sent"
    (sent,) = events_of(ws, "communication.sent")
    assert sent["data"]["delivery_id"] == pending["delivery_id"] and "confirmed" in sent["data"]["detail"]
    audit = ws.json("verify")
    assert isinstance(audit, dict) and audit["ok"] is True and audit["unsettled_deliveries"] == []


def test_a_resend_repeats_the_same_message_under_the_same_message_id(ws: Workspace, config: Path) -> None:
    with SmtpServer(free_port(), LockingCollector(ws.db)) as server:
        write_config(config, server.port)
        kill_after_the_250(ws, server)
        ok(ws, "lead", "comms", "reconcile", INCIDENT, "plain-notice", "--resend")
        first, second = server.envelopes
    assert first.content == second.content, "a resend is byte for byte the same message"
    assert b"Message-ID:" in first.content
    assert rows(ws)[("plain-notice", None)]["status"] == "sent"


def test_a_busy_log_after_delivery_says_the_notice_went_out(ws: Workspace, config: Path) -> None:
    draft(ws, "customer-notice", "--locale", "zh")
    approve_all(ws, "customer-notice", "--locale", "zh")
    handler = LockingCollector(ws.db)
    with SmtpServer(free_port(), handler) as server:
        write_config(config, server.port)
        sender = send_process(ws, "customer-notice", "--locale", "zh", CRISISCTL_BUSY_TIMEOUT_MS="300")
        try:
            code = sender.wait(timeout=60)
            _, err = sender.communicate()
        finally:
            handler.release()
        assert len(server.envelopes) == 1
    assert code == 4, err
    assert "WAS delivered" in err and "nothing was written" not in err
    assert "customer-notice --locale zh --delivered" in err and "Traceback" not in err
    assert rows(ws)[("customer-notice", "zh")]["unsettled_delivery"] is not None, "the intent shows what happened"


def test_a_draft_landing_during_a_send_neither_crashes_it_nor_hides_where_it_went(ws: Workspace, config: Path) -> None:
    draft(ws, "customer-notice")
    approve_all(ws, "customer-notice")
    handler = SlowCollector(seconds=1.5)
    with SmtpServer(free_port(), handler) as server:
        write_config(config, server.port)
        sender = send_process(ws, "customer-notice")
        assert handler.arrived.wait(30)
        ok(ws, "lead", "assign", INCIDENT, "comms-lead", "cara")  # the notice names its contact: a new text
        ok(ws, "cara", "comms", "draft", INCIDENT, "customer-notice")  # drafted while the old one goes out
        code = sender.wait(timeout=60)
        out, err = sender.communicate()
    assert code == 0, err
    (path,) = outbox_files(ws)
    assert f"outbox: {path}" in out
    (sent,) = events_of(ws, "communication.sent")
    drafts = [e for e in events_of(ws, "communication.drafted") if e["data"]["communication"] == "customer-notice"]
    assert drafts[0]["data"]["sha256"] != drafts[1]["data"]["sha256"]
    assert sent["data"]["draft_sha256"] == drafts[0]["data"]["sha256"], "the sent text is the one approved"
    assert rows(ws)[("customer-notice", "en")]["status"] == "drafted", "the new version still needs approvals"


def test_an_incident_closed_during_delivery_still_records_the_delivery(ws: Workspace, config: Path) -> None:
    handler = SlowCollector(seconds=1.5)
    with SmtpServer(free_port(), handler) as server:
        write_config(config, server.port)
        sender = send_process(ws)
        assert handler.arrived.wait(30)
        ok(ws, "lead", "resolve", INCIDENT)
        ok(ws, "lead", "close", INCIDENT, "--force")
        code = sender.wait(timeout=60)
        _, err = sender.communicate()
        assert len(server.envelopes) == 1
    assert code == 0, err
    (closed,) = events_of(ws, "incident.closed")
    (sent,) = events_of(ws, "communication.sent")
    assert closed["seq"] < sent["seq"], "recorded after the close, as a fact of the incident"
    assert ws.json("verify")["ok"] is True  # type: ignore[index]


_CRASH_AFTER_WRITE = """
import os, signal, sys
from crisisctl.delivery import outbox
from crisisctl.entry import main

real_write = outbox.Outbox.write

def write_then_die(self, incident, name, payload):
    path = real_write(self, incident, name, payload)
    os.kill(os.getpid(), signal.SIGKILL)  # the crash this test is about: written, not yet recorded

outbox.Outbox.write = write_then_die
sys.exit(main(sys.argv[1:]))
"""


def test_a_crash_after_an_outbox_write_is_settled_by_the_file_not_written_again(workspace: Workspace) -> None:
    declare(workspace)
    draft(workspace, "status-page")
    approve_all(workspace, "status-page")
    args = [*workspace.args(), "--as", "lead", "comms", "send", INCIDENT, "status-page"]
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASH_AFTER_WRITE, *args], capture_output=True, text=True, env=subprocess_env()
    )
    assert crashed.returncode == -signal.SIGKILL
    (written,) = outbox_files(workspace)
    assert rows(workspace)[("status-page", None)]["unsettled_delivery"] is not None

    settled = json.loads(ok(workspace, "lead", "comms", "reconcile", INCIDENT, "--json"))
    assert [(s["communication"], s["status"]) for s in settled] == [("status-page", "sent")]
    assert outbox_files(workspace) == [written], "settling wrote nothing new"
    assert rows(workspace)[("status-page", None)]["status"] == "sent"
    code, _, err = workspace.run("--as", "lead", "comms", "send", INCIDENT, "status-page")
    assert code == 1 and "already sent" in err
    assert outbox_files(workspace) == [written]


def test_an_outbox_file_that_never_appeared_is_settled_as_not_delivered(workspace: Workspace) -> None:
    declare(workspace)
    draft(workspace, "status-page")
    approve_all(workspace, "status-page")
    crash_before = _CRASH_AFTER_WRITE.replace("path = real_write(self, incident, name, payload)\n    ", "")
    args = [*workspace.args(), "--as", "lead", "comms", "send", INCIDENT, "status-page"]
    crashed = subprocess.run([sys.executable, "-c", crash_before, *args], capture_output=True, env=subprocess_env())
    assert crashed.returncode == -signal.SIGKILL
    assert outbox_files(workspace) == []

    settled = json.loads(ok(workspace, "lead", "comms", "reconcile", INCIDENT, "--json"))
    assert [s["status"] for s in settled] == ["failed"]
    ok(workspace, "lead", "comms", "send", INCIDENT, "status-page")  # free to go out now
    assert len(outbox_files(workspace)) == 1
    assert rows(workspace)[("status-page", None)]["status"] == "sent"


def test_reconcile_with_nothing_open_says_so(ws: Workspace) -> None:
    assert "no delivery is waiting" in ok(ws, "lead", "comms", "reconcile", INCIDENT)
    code, _, err = ws.run("comms", "reconcile", INCIDENT, "plain-notice", "--delivered")
    assert code == 1 and "nothing to reconcile" in err
    code, _, err = ws.run("comms", "reconcile", INCIDENT, "--delivered")
    assert code == 2 and "communication" in err
    code, _, err = ws.run("comms", "reconcile", INCIDENT, "plain-notice", "--delivered", "--resend")
    assert code == 2


def test_two_recipients_are_blind_copies_of_one_message(ws: Workspace, config: Path) -> None:
    with SmtpServer(free_port()) as server:
        write_config(config, server.port, ["ana@example.com", "bo@example.net"])
        out = ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
        (envelope,) = server.envelopes
    assert SERVER_ANSWER in out
    assert sorted(envelope.rcpt_tos) == ["ana@example.com", "bo@example.net"]
    headers = envelope.original_content.split(b"\r\n\r\n", 1)[0]
    assert b"ana@example.com" not in headers and b"bo@example.net" not in headers
    assert b"To: ops@example.com" in headers
    assert os.path.exists(out.split("outbox: ", 1)[1].strip())


def test_verify_names_outbox_files_the_log_does_not_know(ws: Workspace) -> None:
    ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    (sent,) = outbox_files(ws)
    planted = sent.with_name("20261204T120000Z-plain-notice.eml")
    planted.write_bytes(sent.read_bytes())
    audit = ws.json("verify")
    assert isinstance(audit, dict) and audit["ok"] is True
    assert audit["unknown_outbox_files"] == [str(planted)], "the sent file is named by its events; the other is not"
    assert str(planted) in ok(ws, "auditor", "verify")


def test_a_new_draft_after_a_cut_short_send_does_not_block_settling_it(workspace: Workspace) -> None:
    declare(workspace)
    draft(workspace, "customer-notice")
    approve_all(workspace, "customer-notice")
    args = [*workspace.args(), "--as", "lead", "comms", "send", INCIDENT, "customer-notice"]
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASH_AFTER_WRITE, *args], capture_output=True, env=subprocess_env()
    )
    assert crashed.returncode == -signal.SIGKILL
    ok(workspace, "lead", "assign", INCIDENT, "comms-lead", "cara")  # the notice names its contact: a new text
    draft(workspace, "customer-notice")

    (settled,) = json.loads(ok(workspace, "lead", "comms", "reconcile", INCIDENT, "--json"))
    assert settled["status"] == "sent"
    (sent,) = events_of(workspace, "communication.sent")
    first_draft = events_of(workspace, "communication.drafted")[0]
    assert sent["data"]["draft_sha256"] == first_draft["data"]["sha256"], "settled against the text it carried"
    assert rows(workspace)[("customer-notice", "en")]["status"] == "drafted"  # the new text waits for approvals


@pytest.mark.slow
def test_a_send_still_under_way_is_neither_resent_nor_settled_without_force(ws: Workspace, config: Path) -> None:
    handler = SlowCollector(seconds=2.5)
    with SmtpServer(free_port(), handler) as server:
        write_config(config, server.port)
        sender = send_process(ws)
        assert handler.arrived.wait(30)
        for verdict in ("--resend", "--not-delivered", "--delivered"):
            code, _, err = ws.run("--as", "lee", "comms", "reconcile", INCIDENT, "plain-notice", verdict)
            assert code == 1 and "may still be under way" in err and "--force" in err, (verdict, err)
        listed = crisisctl(*ws.args(), "comms", "reconcile", INCIDENT, "--json")
        assert listed.returncode == 1 and "still under way" in listed.stdout
        assert sender.wait(timeout=60) == 0, sender.communicate()
        assert len(server.envelopes) == 1
    assert rows(ws)[("plain-notice", None)]["status"] == "sent"


@pytest.mark.slow
def test_a_delivery_settled_as_failed_while_it_went_out_is_corrected_by_its_outcome(
    ws: Workspace, config: Path
) -> None:
    handler = SlowCollector(seconds=2.5)
    with SmtpServer(free_port(), handler) as server:
        write_config(config, server.port)
        sender = send_process(ws)
        assert handler.arrived.wait(30)
        ok(ws, "lee", "comms", "reconcile", INCIDENT, "plain-notice", "--not-delivered", "--force")
        assert sender.wait(timeout=60) == 0, sender.communicate()
        assert len(server.envelopes) == 1
    failed, sent = (e for e in timeline(ws) if e["type"] in ("communication.delivery_failed", "communication.sent"))
    assert sent["data"]["corrects"] == failed["seq"]
    assert rows(ws)[("plain-notice", None)]["status"] == "sent"
    code, _, err = ws.run("--as", "lead", "comms", "send", INCIDENT, "plain-notice")
    assert code == 1 and "already sent" in err, "the text that went out is not sent a second time"


def test_a_non_ascii_recipient_is_refused_before_anything_is_recorded(ws: Workspace, config: Path) -> None:
    with SmtpServer(free_port()) as server:
        write_config(config, server.port, ["kundé@example.com"])
        code, _, err = ws.run("--as", "lead", "comms", "send", INCIDENT, "plain-notice")
        assert server.envelopes == []
    assert code == 1 and "ASCII" in err
    assert unsettled(ws) is None and not events_of(ws, "communication.sending")


def test_a_resend_needs_the_smtp_server_it_went_by(
    ws: Workspace, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer(free_port(), LockingCollector(ws.db)) as server:
        write_config(config, server.port)
        kill_after_the_250(ws, server)
    monkeypatch.delenv("CRISISCTL_CONFIG")
    before = [path.stat().st_mtime_ns for path in outbox_files(ws)]
    code, _, err = ws.run("--as", "lead", "comms", "reconcile", INCIDENT, "plain-notice", "--resend")
    assert code == 2 and "[smtp]" in err
    assert [path.stat().st_mtime_ns for path in outbox_files(ws)] == before, "nothing rewritten"
    assert unsettled(ws) is not None


_CRASH_ON_ANOTHER_HOST = _CRASH_AFTER_WRITE.replace(
    "from crisisctl.entry import main",
    "from crisisctl.entry import main\nimport socket\nsocket.gethostname = lambda: 'laptop-of-someone-else'",
).replace("path = real_write(self, incident, name, payload)\n    ", "")


def test_an_outbox_file_missing_here_settles_nothing_when_another_machine_wrote_it(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    an_hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    monkeypatch.setenv("CRISISCTL_FAKE_NOW", an_hour_ago)  # long enough ago that no send can still be under way
    declare(workspace)
    draft(workspace, "status-page")
    approve_all(workspace, "status-page")
    args = [*workspace.args(), "--as", "lead", "comms", "send", INCIDENT, "status-page"]
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASH_ON_ANOTHER_HOST, *args], capture_output=True, env=subprocess_env()
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    monkeypatch.delenv("CRISISCTL_FAKE_NOW")
    listed = crisisctl(*workspace.args(), "comms", "reconcile", INCIDENT, "--json")
    assert listed.returncode == 1, listed.stderr
    (open_one,) = json.loads(listed.stdout)
    assert open_one["status"] == "unknown" and "another machine" in open_one["detail"]
    assert rows(workspace)[("status-page", None)]["unsettled_delivery"] is not None
