"""Approvals bind to the text the approver read, four eyes see every notice, and the delivery
settings, header values and the outbox refuse what would send the wrong thing or to the wrong place."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from conftest import Workspace, outbox_of, wait_for_exit
from test_comms import INCIDENT, PLAYBOOK, approve_all, declare, draft, free_port, ok, rows, timeline


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    declare(workspace)
    return workspace


def digest_of(ws: Workspace, comm: str = "customer-notice") -> str:
    return str(ws.json("comms", "show", INCIDENT, comm)["draft_sha256"])  # type: ignore[index]


def approvals_recorded(ws: Workspace) -> int:
    return len([event for event in timeline(ws) if event["type"] == "communication.approved"])


# --------------------------------------------------------------------------- binding to the digest


def test_an_approval_names_the_text_read_and_a_newer_draft_refuses_it(ws: Workspace) -> None:
    draft(ws, "customer-notice")
    read = digest_of(ws)
    ok(ws, "lead", "assign", INCIDENT, "comms-lead", "cara")  # the notice names its contact
    draft(ws, "customer-notice")  # drafted again after lee read the first text
    assert digest_of(ws) != read

    code, _, err = ws.run(
        "--as", "lee", "comms", "approve", INCIDENT, "customer-notice", "--role", "legal", "--digest", read
    )
    assert code == 1, err
    assert read[:12] in err and "drafted again" in err
    assert approvals_recorded(ws) == 0

    current = digest_of(ws)
    ok(
        ws,
        "lee",
        "comms",
        "approve",
        INCIDENT,
        "customer-notice",
        "--role",
        "legal",
        "--digest",
        f"sha256:{current[:8]}",
    )
    (approval,) = [event for event in timeline(ws) if event["type"] == "communication.approved"]
    assert approval["data"]["draft_sha256"] == current


@pytest.mark.parametrize("digest", ["1234567", "xyz12345", "", "12345678 9"])
def test_a_digest_that_names_nothing_is_a_usage_error(ws: Workspace, digest: str) -> None:
    draft(ws, "customer-notice")
    code, _, err = ws.run(
        "--as", "lee", "comms", "approve", INCIDENT, "customer-notice", "--role", "legal", "--digest", digest
    )
    assert code == 2 and "digest" in err
    assert approvals_recorded(ws) == 0


def test_without_a_terminal_an_approval_needs_the_digest(ws: Workspace) -> None:
    draft(ws, "customer-notice")
    code, _, err = ws.run("--as", "lee", "comms", "approve", INCIDENT, "customer-notice", "--role", "legal")
    assert code == 2
    assert "--digest" in err and "comms show" in err
    assert approvals_recorded(ws) == 0


def test_comms_show_prints_the_text_exactly_with_its_digest(ws: Workspace) -> None:
    text = draft(ws, "customer-notice")
    shown = ok(ws, "lee", "comms", "show", INCIDENT, "customer-notice")
    assert f"digest: {digest_of(ws)}" in shown
    assert shown.endswith(text)
    detail = ws.json("comms", "show", INCIDENT, "customer-notice", "--locale", "zh")
    assert isinstance(detail, dict) and detail["text"] is None and detail["status"] == "pending"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_at_a_terminal_the_approver_is_shown_the_text_and_asked(ws: Workspace) -> None:
    from test_guided import Terminal

    draft(ws, "customer-notice")
    command = [sys.executable, "-m", "crisisctl", *ws.args(), "--as", "lee", "comms", "approve", INCIDENT]
    terminal = Terminal([*command, "customer-notice", "--role", "legal"], ws.root / "approve.status")
    try:
        terminal.wait_for("Contact: the support desk.")  # the draft's own words
        terminal.wait_for(f"sha256 {digest_of(ws)[:12]}")
        terminal.key("y")
        assert wait_for_exit(terminal.status_file) == "0"
    finally:
        terminal.close()
    assert rows(ws)[("customer-notice", "en")]["approvals"][1] == {"role": "legal", "approved": True, "by": "lee"}

    terminal = Terminal([*command, "customer-notice", "--role", "incident-lead"], ws.root / "no.status")
    try:
        terminal.wait_for("Approve this text")
        terminal.key("n")
        assert wait_for_exit(terminal.status_file) == "1"
    finally:
        terminal.close()
    assert approvals_recorded(ws) == 1


# --------------------------------------------------------------------------- four eyes


def test_the_drafter_cannot_be_the_only_approver(ws: Workspace) -> None:
    draft(ws, "plain-notice", actor="lead")  # lead holds incident-lead, the one approval plain-notice needs
    code, _, err = ws.run(
        "--as",
        "lead",
        "comms",
        "approve",
        INCIDENT,
        "plain-notice",
        "--role",
        "incident-lead",
        "--digest",
        digest_of(ws, "plain-notice"),
    )
    assert code == 1
    assert "only approver" in err and "four_eyes" in err
    assert approvals_recorded(ws) == 0

    # With two approvals needed, the drafter may give one of them; someone else gives the other.
    draft(ws, "customer-notice", actor="lead")
    approve_all(ws, "customer-notice")
    assert rows(ws)[("customer-notice", "en")]["status"] == "approved"


def test_a_playbook_may_allow_self_approval(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    relaxed = PLAYBOOK.replace(
        "    template: comms/plain.md.j2\n    approvals: [incident-lead]\n",
        "    template: comms/plain.md.j2\n    approvals: [incident-lead]\n    four_eyes: false\n",
    )
    assert relaxed != PLAYBOOK
    (workspace.playbooks / "comms.yaml").write_text(relaxed, encoding="utf-8")
    ok(workspace, "lead", "declare", "comms-test", "--input", "affected_customers=1", "--assign", "incident-lead=lead")
    draft(workspace, "plain-notice", actor="lead")
    ok(
        workspace,
        "lead",
        "comms",
        "approve",
        INCIDENT,
        "plain-notice",
        "--role",
        "incident-lead",
        "--digest",
        digest_of(workspace, "plain-notice"),
    )
    ok(workspace, "lead", "comms", "send", INCIDENT, "plain-notice")


# --------------------------------------------------------------------------- the stated time of a send


def test_a_send_stated_before_its_draft_or_approval_is_refused(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    declare(workspace, "--at", "-2h")
    ok(workspace, "cara", "comms", "draft", INCIDENT, "plain-notice", "--at", "-60m")
    ok(workspace, "lead", "comms", "approve", INCIDENT, "plain-notice", "--role", "incident-lead", "--at", "-30m")
    for at in ("-90m", "-45m"):  # before the draft; after the draft but before the approval
        code, _, err = workspace.run("--as", "lead", "comms", "send", INCIDENT, "plain-notice", "--at", at)
        assert code == 1 and "before the draft or its last approval" in err, (at, err)
    assert not [event for event in timeline(workspace) if event["type"].startswith("communication.s")]
    ok(workspace, "lead", "comms", "send", INCIDENT, "plain-notice", "--at", "-20m")


# --------------------------------------------------------------------------- configuration


def test_a_named_configuration_that_does_not_exist_is_exit_2(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    monkeypatch.setenv("CRISISCTL_CONFIG", str(tmp_path / "typo.toml"))
    code, _, err = ws.run("--as", "lead", "comms", "send", INCIDENT, "plain-notice")
    assert code == 2 and "typo.toml" in err and "does not exist" in err
    assert rows(ws)[("plain-notice", None)]["status"] == "approved"


@pytest.mark.parametrize(
    ("host", "refused"), [("smtp.example.com", True), ("192.0.2.7", True), ("127.0.0.1", False), ("localhost", False)]
)
def test_plain_smtp_with_a_password_only_to_this_machine(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host: str, refused: bool
) -> None:
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    config = tmp_path / "crisisctl.toml"
    config.write_text(
        f'[smtp]\nhost = "{host}"\nport = {free_port()}\nsecurity = "none"\ntimeout = 1\n', encoding="utf-8"
    )
    monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
    monkeypatch.setenv("CRISISCTL_SMTP_USER", "ops")
    monkeypatch.setenv("CRISISCTL_SMTP_PASSWORD", "s3cret-pw")
    code, out, err = ws.run("--as", "lead", "comms", "send", INCIDENT, "plain-notice")
    assert "s3cret-pw" not in out + err
    if refused:
        assert code == 2 and "clear text" in err
        assert not [event for event in timeline(ws) if event["type"] == "communication.sending"]
    else:
        assert code == 0, err  # no recipients for the audience: kept in the outbox


# --------------------------------------------------------------------------- header values


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x00", "\x1b", "\x85", "\x0b"])
def test_a_title_that_would_break_a_header_is_refused_at_draft_time(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, separator: str
) -> None:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    declare(workspace, "--title", f"Checkout{separator}Bcc: all@example.com")
    code, _, err = workspace.run("--as", "cara", "comms", "draft", INCIDENT, "customer-notice")
    assert code == 1, err
    assert f"U+{ord(separator):04X}" in err and "header" in err
    assert not [event for event in timeline(workspace) if event["type"] == "communication.drafted"]
    # a web notice has no headers: the same title is fine there
    ok(workspace, "cara", "comms", "draft", INCIDENT, "status-page")


# --------------------------------------------------------------------------- the outbox


def test_each_log_has_its_own_private_outbox(ws: Workspace) -> None:
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    (sent,) = outbox_of(ws, INCIDENT).iterdir()
    assert stat.S_IMODE(sent.stat().st_mode) == 0o600
    for folder in (sent.parent, sent.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    other = ws.db.with_name("other.sqlite3")
    code, _, err = ws.run(
        "--db",
        str(other),
        "--as",
        "lead",
        "declare",
        "comms-test",
        "--input",
        "affected_customers=1",
        "--assign",
        "incident-lead=lead",
    )
    assert code == 0, err
    assert ws.run("--db", str(other), "--as", "cara", "comms", "draft", INCIDENT, "plain-notice")[0] == 0
    digest = json.loads(ws.run("--db", str(other), "comms", "show", INCIDENT, "plain-notice", "--json")[1])[
        "draft_sha256"
    ]
    assert (
        ws.run(
            "--db",
            str(other),
            "--as",
            "lead",
            "comms",
            "approve",
            INCIDENT,
            "plain-notice",
            "--role",
            "incident-lead",
            "--digest",
            digest,
        )[0]
        == 0
    )
    assert ws.run("--db", str(other), "--as", "lead", "comms", "send", INCIDENT, "plain-notice")[0] == 0
    assert [path.name for path in outbox_of(ws, INCIDENT).iterdir()] == [sent.name], "the other log's INC-1 is apart"
    assert len(list((other.parent / "other.sqlite3.outbox" / INCIDENT).iterdir())) == 1


@pytest.mark.parametrize("trap", ["symlink", "world-writable"])
def test_an_outbox_others_could_plant_files_in_is_refused(ws: Workspace, tmp_path: Path, trap: str) -> None:
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    root = outbox_of(ws, INCIDENT).parent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    if trap == "symlink":
        root.symlink_to(elsewhere, target_is_directory=True)
    else:
        root.mkdir()
        os.chmod(root, 0o777)
    code, _, err = ws.run("--as", "lead", "comms", "send", INCIDENT, "plain-notice")
    assert code == 4, err
    assert "outbox" in err and "nothing was sent" in err
    assert list(elsewhere.iterdir()) == []
    assert not [event for event in timeline(ws) if event["type"] == "communication.sending"]


def test_a_group_shared_outbox_is_readable_by_the_group(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "crisisctl.toml"
    config.write_text("[outbox]\ngroup_shared = true\n", encoding="utf-8")
    monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    ok(ws, "lead", "comms", "send", INCIDENT, "plain-notice")
    (sent,) = outbox_of(ws, INCIDENT).iterdir()
    assert stat.S_IMODE(sent.stat().st_mode) == 0o640
    assert stat.S_IMODE(sent.parent.stat().st_mode) == 0o2770


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_an_approver_whose_output_goes_elsewhere_is_not_asked(ws: Workspace) -> None:
    from test_guided import Terminal

    draft(ws, "customer-notice")
    redirected = ws.root / "approve-out.txt"
    command = " ".join(
        [sys.executable, "-m", "crisisctl", *ws.args(), "--as", "lee", "comms", "approve", INCIDENT, "customer-notice"]
    )
    terminal = Terminal(["sh", "-c", f"{command} --role legal > {redirected}"], ws.root / "redirect.status")
    try:
        assert wait_for_exit(terminal.status_file) == "2", terminal.screen()
        assert "--digest" in terminal.screen()
    finally:
        terminal.close()
    assert approvals_recorded(ws) == 0


SUBJECT_ACROSS_LINES = """\
Subject: Update for {% if inputs.region %}{{ inputs.region }}
{%- endif %} customers

Body.
"""


@pytest.mark.parametrize(("region", "refused"), [("EU", False), ("EU\x1b]0;x\x07", True), ("EU\u2028Bcc: x@y", True)])
def test_the_subject_is_checked_as_rendered_even_when_its_tags_span_lines(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, region: str, refused: bool
) -> None:
    monkeypatch.delenv("CRISISCTL_CONFIG", raising=False)
    (workspace.playbooks / "across.md.j2").write_text(SUBJECT_ACROSS_LINES, encoding="utf-8")
    playbook = PLAYBOOK.replace("template: comms/plain.md.j2", "template: across.md.j2")
    (workspace.playbooks / "comms.yaml").write_text(playbook, encoding="utf-8")
    ok(workspace, "lead", "declare", "comms-test", "--input", "affected_customers=1", "--input", f"region={region}")
    code, out, err = workspace.run("--as", "cara", "comms", "draft", INCIDENT, "plain-notice")
    if refused:
        assert code == 1 and "subject" in err and "header" in err, err
    else:
        assert code == 0, err
        assert out.startswith("Subject: Update for EU customers")


@pytest.mark.slow
def test_a_refused_login_never_shows_the_password(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from test_comms import Collector

    draft(ws, "plain-notice")
    approve_all(ws, "plain-notice")
    port = free_port()
    controller = Controller(
        Collector(),
        hostname="127.0.0.1",
        port=port,
        auth_require_tls=False,
        authenticator=lambda *args: AuthResult(success=False),
    )
    controller.start()
    try:
        config = tmp_path / "crisisctl.toml"
        config.write_text(
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
            '[recipients]\ncustomers = ["a@example.com"]\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
        monkeypatch.setenv("CRISISCTL_SMTP_USER", "ops")
        monkeypatch.setenv("CRISISCTL_SMTP_PASSWORD", "s3cret-pw")
        code, out, err = ws.run("--as", "lead", "comms", "send", INCIDENT, "plain-notice")
    finally:
        controller.stop()
    assert code == 1 and "not delivered" in err, err
    assert "s3cret-pw" not in out + err
    assert "s3cret-pw" not in json.dumps(timeline(ws))
