"""Team notifications through Apprise, received by a real HTTP server on loopback: `remind` tells each thing
once per target (also under two concurrent runs), a failed post is told again once the target recovers, a post
that may have arrived is never repeated, and sms notices go through a target exactly once."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import Workspace, declare, in_terminal, read_digest, subprocess_env, wait_for_exit
from test_follow_up import FOLLOWED


class Hook:
    """A webhook on loopback: it keeps every JSON post, answering with `status` after `delay` seconds."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(hook.delay)
                hook.posts.append(json.loads(body))
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, extra: str = "") -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook{extra}"

    def titles(self) -> list[str]:
        return [post["title"] for post in self.posts]


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.server.shutdown()


def configure(ws: Workspace, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    config = ws.root / "config.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CRISISCTL_CONFIG", str(config))
    return config


@pytest.fixture
def ops(workspace: Workspace, hook: Hook, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace whose config names one team target, `ops`, posting to the hook."""
    configure(workspace, monkeypatch, '[notify.ops]\nurl_env = "CRISISCTL_NOTIFY_OPS"\n')
    monkeypatch.setenv("CRISISCTL_NOTIFY_OPS", hook.url())
    return workspace


def remind(ws: Workspace, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = ws.run("remind", "--once", "--json", *args)
    return code, (json.loads(out) if out.strip() else []), err


def events_of(ws: Workspace, incident: str, kind: str) -> list[dict[str, Any]]:
    events = ws.json("timeline", incident)
    assert isinstance(events, list)
    return [event for event in events if event["type"] == kind]


def test_remind_tells_each_thing_once(ops: Workspace, hook: Hook) -> None:
    incident = declare(ops, "--assign", "incident-lead=ana")
    code, told, err = remind(ops)
    assert code == 0, err
    assert {item["kind"] for item in told} == {"declared", "assigned"}
    assert f"{incident} declared" in hook.titles() and f"{incident} incident-lead: ana" in hook.titles()
    assert all(item["status"] == "sent" and item["target"] == "ops" for item in told)
    assert len(events_of(ops, incident, "notification.sent")) == 2
    assert remind(ops)[1] == [] and len(hook.posts) == 2  # nothing new: nothing sent again
    ops.ok("severity", incident, "sev2", "--note", "fewer customers than feared")
    code, told, _ = remind(ops)
    assert [item["kind"] for item in told] == ["severity"] and hook.posts[-1]["title"] == f"{incident} is now sev2"


def test_two_concurrent_remind_runs_send_each_notification_once(ops: Workspace, hook: Hook) -> None:
    declare(ops, "--assign", "incident-lead=ana", "--assign", "comms-lead=ben")
    hook.delay = 0.3  # each post takes a while, so the two runs overlap
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "crisisctl", *ops.args(), "remind", "--once", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    told = [item for out, _ in outputs for item in json.loads(out)]
    assert len(told) == 3 and sorted(hook.titles()) == sorted(item["title"] for item in told)
    assert len(set(hook.titles())) == len(hook.posts) == 3  # declared, and two roles: once each


def test_a_target_that_fails_is_told_again_once_it_recovers(ops: Workspace, hook: Hook) -> None:
    incident = declare(ops)
    hook.status = 500
    code, told, _err = remind(ops)
    assert code == 1 and [item["status"] for item in told] == ["failed"]
    assert "answered HTTP 500" in told[0]["detail"]
    assert len(events_of(ops, incident, "notification.failed")) == 1
    hook.status = 200
    code, told, _ = remind(ops)
    assert code == 0 and [item["status"] for item in told] == ["sent"]
    assert hook.titles() == [f"{incident} declared", f"{incident} declared"]  # the failed post, then the retry
    assert remind(ops)[1] == []


def test_a_post_that_may_have_arrived_is_not_repeated(
    ops: Workspace, hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRISISCTL_NOTIFY_OPS", hook.url("?rto=0.5"))
    incident = declare(ops)
    hook.delay = 2.0  # longer than Apprise waits for an answer
    code, told, _ = remind(ops)
    assert code == 1 and [item["status"] for item in told] == ["unknown"]
    assert len(events_of(ops, incident, "notification.sending")) == 1
    assert len(events_of(ops, incident, "notification.unknown")) == 1
    assert events_of(ops, incident, "notification.sent") == events_of(ops, incident, "notification.failed") == []
    hook.delay = 0.0
    assert remind(ops)[1] == []  # its intent stands: never sent twice


def test_a_target_that_keeps_failing_is_tried_three_times_and_one_that_refuses_for_good_once(
    ops: Workspace, hook: Hook
) -> None:
    incident = declare(ops)
    hook.status = 500
    for _ in range(4):
        remind(ops)
    assert len(hook.posts) == 3 and len(events_of(ops, incident, "notification.failed")) == 3
    hook.status = 404
    ops.ok("severity", incident, "sev2", "--note", "contained")
    remind(ops)
    remind(ops)
    assert [post["title"] for post in hook.posts[3:]] == [f"{incident} is now sev2"]  # a 404 is not tried again
    assert events_of(ops, incident, "notification.failed")[-1]["data"]["permanent"] is True


def test_a_remind_killed_while_posting_is_taken_over_by_the_next_run(ops: Workspace, hook: Hook) -> None:
    incident = declare(ops)
    hook.delay = 30.0  # the post hangs: the run is killed while it waits
    child = subprocess.Popen(
        [sys.executable, "-m", "crisisctl", *ops.args(), "remind", "--once"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not events_of(ops, incident, "notification.sending") and time.monotonic() < deadline:
        time.sleep(0.1)
    child.kill()
    child.communicate(timeout=30)
    hook.delay = 0.0
    code, told, _ = remind(ops)
    assert code == 0 and [item["status"] for item in told] == ["sent"]
    assert len(events_of(ops, incident, "notification.sending")) == 2
    assert remind(ops)[1] == []


def test_a_customer_channels_target_tells_the_team_nothing_unless_it_says_so(
    workspace: Workspace, hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = '[notify.gateway]\nurl_env = "SMS_URL"\n[channels]\nsms = "gateway"\n'
    configure(workspace, monkeypatch, config)
    monkeypatch.setenv("SMS_URL", hook.url())
    declare(workspace, "--assign", "incident-lead=ana")
    code, _, err = workspace.run("remind", "--once")
    assert code == 2 and "no notification targets for the team" in err and hook.posts == []
    configure(
        workspace, monkeypatch, config.replace('url_env = "SMS_URL"', 'url_env = "SMS_URL"\nevents = ["declared"]')
    )
    code, told, _ = remind(workspace)
    assert code == 0 and [item["kind"] for item in told] == ["declared"]


def test_a_url_apprise_cannot_use_is_refused_before_anything_is_recorded(
    ops: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRISISCTL_NOTIFY_OPS", "nosuchservice://token-4711@example.com")
    incident = declare(ops)
    code, out, err = ops.run("remind", "--once")
    assert code == 2 and "not an Apprise URL" in err and "token-4711" not in out + err
    assert events_of(ops, incident, "notification.sending") == []


def test_steps_due_soon_and_overdue_go_to_their_owner(
    workspace: Workspace, hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        workspace, monkeypatch,
        '[notify.team]\nurl_env = "TEAM_URL"\nevents = ["due", "overdue"]\n'
        '[notify.ana-phone]\nurl_env = "ANA_URL"\nperson = "ana"\n'
        '[notify.ben-phone]\nurl_env = "BEN_URL"\nperson = "ben"\n',
    )  # fmt: skip
    for variable in ("TEAM_URL", "ANA_URL", "BEN_URL"):
        monkeypatch.setenv(variable, hook.url(f"?variable={variable}"))
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    incident = declare(workspace, "--assign", "incident-lead=ana", "--at", at)  # assess was due 10 min ago
    code, told, err = remind(workspace)
    assert code == 0, err
    overdue = [item for item in told if item["kind"] == "overdue"]
    assert {item["target"] for item in overdue} == {"team", "ana-phone"}  # not ben: not his step
    assert overdue[0]["title"] == f"{incident} step assess is OVERDUE"
    assert {item["target"] for item in told if item["kind"] == "assigned"} == {"ana-phone"}  # team: due/overdue only


def test_follow_up_work_falls_due_after_the_close_and_is_told_once(ops: Workspace, hook: Hook) -> None:
    revisit_in_an_hour = FOLLOWED.replace("    due: 7d\n", "    due: 1h\n")  # after the resolution
    (ops.playbooks / "followed.yaml").write_text(revisit_in_an_hour, encoding="utf-8")
    payload = ops.json("declare", "followed", "--assign", "incident-lead=ana", "--at", "-1d")
    assert isinstance(payload, dict)
    incident = str(payload["id"])
    ops.ok("step", "done", incident, "answer", "--at", "-23h")
    ops.ok("resolve", incident, "--at", "-50m", "--summary", "backlog cleared")
    ops.ok("close", incident, "--at", "-40m")
    code, told, err = remind(ops)
    assert code == 0, err
    assert [item["kind"] for item in told] == ["due"]  # revisit, due 1h after the resolution: in 10 minutes
    assert told[0]["title"].startswith(f"{incident} step revisit due at ")
    assert remind(ops)[1] == []  # told once
    assert len(events_of(ops, incident, "notification.sent")) == 1


def test_a_notice_waiting_for_approval_is_told_to_the_approvers_role_holder(ops: Workspace, hook: Hook) -> None:
    incident = declare(ops, "--assign", "incident-lead=ana")
    remind(ops)
    ops.ok("comms", "draft", incident, "customer-notice")
    code, told, _ = remind(ops)
    assert code == 0 and [(item["kind"], item["title"]) for item in told] == [
        ("approval", f"{incident} customer-notice waits for incident-lead")
    ]
    assert hook.posts[-1]["message"].startswith("customer-notice was drafted and waits for the approval")
    digest = read_digest(ops, incident, "customer-notice")
    ops.ok(
        "--as", "ana", "comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest
    )
    assert remind(ops)[1] == []


def test_an_unset_target_variable_is_refused_before_anything_is_recorded(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace, monkeypatch, '[notify.ops]\nurl_env = "CRISISCTL_NOTIFY_NOWHERE"\n')
    incident = declare(workspace)
    code, _out, err = workspace.run("remind", "--once")
    assert code == 2 and "CRISISCTL_NOTIFY_NOWHERE" in err and "Traceback" not in err
    assert events_of(workspace, incident, "notification.sending") == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[notify.ops]\nurl = "json://x"\n', "knows only url_env, events and person"),
        ('[notify.ops]\nurl_env = "X"\nevents = ["everything"]\n', "events must be a list of"),
        ('[notify.ops]\nurl_env = "X"\n[channels]\nsms = "gateway"\n', "names the target 'gateway'"),
    ],
)
def test_a_wrong_notify_section_is_one_clear_usage_error(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, text: str, words: str
) -> None:
    configure(workspace, monkeypatch, text)
    code, _, err = workspace.run("remind", "--once")
    assert code == 2 and words in err and "Traceback" not in err


def test_apprise_is_imported_only_by_commands_that_send(ops: Workspace) -> None:
    incident = declare(ops)
    probe = (
        "import sys\nfrom crisisctl.entry import main\ncode = main(sys.argv[1:])\n"
        "print('apprise' in sys.modules, file=sys.stderr)\nsys.exit(code)"
    )
    for command, imported in ((["show", incident], "False"), (["remind", "--once"], "True")):
        child = subprocess.run(
            [sys.executable, "-c", probe, *ops.args(), *command],
            capture_output=True, text=True, env=subprocess_env(), timeout=60,
        )  # fmt: skip
        assert child.returncode == 0 and child.stderr.strip().endswith(imported), child.stderr


def test_an_sms_notice_goes_through_its_target_exactly_once(
    workspace: Workspace, hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    playbook = workspace.playbooks / "base.yaml"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace("channel: email", "channel: sms"))
    configure(workspace, monkeypatch, '[notify.gateway]\nurl_env = "SMS_URL"\n[channels]\nsms = "gateway"\n')
    monkeypatch.setenv("SMS_URL", hook.url())
    incident = declare(workspace, "--assign", "incident-lead=ana")
    workspace.ok("comms", "draft", incident, "customer-notice")
    digest = read_digest(workspace, incident, "customer-notice")
    workspace.ok(
        "--as", "ana", "comms", "approve", incident, "customer-notice", "--role", "incident-lead", "--digest", digest
    )
    workspace.ok("comms", "send", incident, "customer-notice")
    assert hook.titles() == ["Notice to customers"]
    sent = events_of(workspace, incident, "communication.sent")
    assert len(sent) == 1 and sent[0]["data"]["detail"] == "posted to gateway"
    sending = events_of(workspace, incident, "communication.sending")
    assert sending[0]["data"]["route"]["via"] == "target" and sending[0]["data"]["route"]["target"] == "gateway"
    code, _, err = workspace.run("comms", "send", incident, "customer-notice")
    assert code == 1 and len(hook.posts) == 1, err  # a second send of the same draft is refused


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_watch_notify_tells_the_team_and_shares_its_record_with_remind(ops: Workspace, hook: Hook) -> None:
    incident = declare(ops, "--assign", "incident-lead=ana")
    session = f"crisisctl-notify-{time.monotonic_ns()}"
    tmux = ["tmux", "-L", session]
    command = [sys.executable, "-m", "crisisctl", *ops.args(), "watch", incident, "--notify"]
    status_file = ops.root / "watch.status"
    window = ["-x", "110", "-y", "40", *in_terminal(command, status_file)]
    subprocess.run([*tmux, "new-session", "-d", "-s", session, *window], check=True, env=subprocess_env())
    try:
        deadline = time.monotonic() + 30
        while len(hook.posts) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sorted(hook.titles()) == sorted([f"{incident} declared", f"{incident} incident-lead: ana"])
        assert remind(ops)[1] == []  # what the screen told, remind does not tell again
        subprocess.run([*tmux, "send-keys", "-t", session, "C-c"], check=True)
        assert wait_for_exit(status_file) == "130"
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    assert len(hook.posts) == 2
