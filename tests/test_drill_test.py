"""`crisisctl drill test`: a perfect team plays each scenario in a throw-away log; exit 1 when it cannot succeed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import REPO, Workspace, crisisctl
from test_drills import SCENARIO

# `notify` (and so the notice) applies only to an incident with more than 100 affected customers.
WHEN = "    due: 2h\n    when: {input: affected_customers, op: '>', value: 100}\n"


def write(ws: Workspace, text: str, name: str = "base-drill.yaml") -> Path:
    folder = ws.playbooks / "scenarios"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def with_when(ws: Workspace) -> None:
    path = ws.playbooks / "base.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    due: 2h\n", WHEN, 1), encoding="utf-8")


def results(ws: Workspace, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, err = ws.run("drill", "test", "--json", *args)
    assert "Traceback" not in err
    payload = json.loads(out)
    assert payload["failed"] == sum(not entry["passed"] for entry in payload["scenarios"])
    return code, {str(entry["scenario"]): entry for entry in payload["scenarios"]}


def test_a_playbook_that_can_meet_its_scenario_passes(workspace: Workspace) -> None:
    write(workspace, SCENARIO)
    code, found = results(workspace)
    assert code == 0
    entry = found["base-drill"]
    assert entry["passed"] is True and entry["score"] == 100 and entry["error"] is None
    expectations = entry["expectations"]
    assert isinstance(expectations, list)
    assert [(item.get("step") or item.get("communication"), item["met"]) for item in expectations] == [
        ("assess", True),
        ("notify", True),
        ("customer-notice", True),
    ]
    code, out, _ = workspace.run("drill", "test")
    assert (
        code == 0 and "PASS  base-drill (base): 3/3 expectations met, score 100" in out and "1 passed, 0 failed" in out
    )


def test_the_users_log_is_never_touched(workspace: Workspace) -> None:
    write(workspace, SCENARIO)
    workspace.ok("drill", "test")
    assert not workspace.db.exists()


def test_an_expectation_on_a_step_that_does_not_apply_fails_with_the_reason(workspace: Workspace) -> None:
    with_when(workspace)
    write(workspace, SCENARIO.replace("affected_customers: 4000", "affected_customers: 12"))
    code, found = results(workspace)
    assert code == 1
    entry = found["base-drill"]
    assert entry["passed"] is False
    missed = [item for item in entry["expectations"] if not item["met"]]
    assert [item.get("step") or item.get("communication") for item in missed] == ["notify", "customer-notice"]
    for item in missed:
        assert "step notify does not apply with the scenario's inputs" in item["reason"]
    code, out, _ = workspace.run("drill", "test")
    assert code == 1 and "FAIL  base-drill (base): 1/3 expectations met" in out
    assert "missed: communication customer-notice by +2h" in out


def test_an_expectation_before_the_inject_that_switches_its_step_on_fails(workspace: Workspace) -> None:
    with_when(workspace)
    write(
        workspace,
        SCENARIO.replace("affected_customers: 4000", "affected_customers: 12").replace(
            "    signals: {tickets: 40}\n",
            "    signals: {tickets: 40}\n  - at: 3h\n    message: It is everyone.\n"
            "    inputs: {affected_customers: 4000}\n",
        ),
    )
    code, found = results(workspace)
    assert code == 1
    missed = [item for item in found["base-drill"]["expectations"] if not item["met"]]
    # The perfect team did the step and sent the notice the moment the inject made them apply.
    assert [(item["at"], item["reason"]) for item in missed] == [
        ("+3h", "done only at +3h, after +1h"),
        ("+3h", "done only at +3h, after +2h"),
    ]
    # Given until 4h, the same playbook makes it.
    scenario = (workspace.playbooks / "scenarios" / "base-drill.yaml").read_text()
    write(workspace, scenario.replace("by: 1h", "by: 4h").replace("sent_by: 2h", "sent_by: 4h"))
    assert results(workspace)[0] == 0


def test_a_notice_the_rules_refuse_is_reported_with_the_refusal(workspace: Workspace) -> None:
    # The drafter would be its only approver: the notice needs the approval of a role the facilitator holds.
    write(workspace, SCENARIO.replace("incident-lead: alice", "incident-lead: facilitator"))
    code, found = results(workspace)
    assert code == 1
    entry = found["base-drill"]
    missed = {item.get("step") or item.get("communication"): item for item in entry["expectations"] if not item["met"]}
    assert list(missed) == ["notify", "customer-notice"]
    assert missed["customer-notice"]["reason"].startswith("refused at +0s: facilitator drafted this text")
    assert missed["notify"]["reason"].startswith("its notice was refused at +0s: ")
    # Tried again at the next inject's time (a new fact might let it through), and refused again.
    assert [(refusal["action"], refusal["at"]) for refusal in entry["refusals"]] == [
        ("communication customer-notice", "+0s"),
        ("communication customer-notice", "+20m"),
    ]


def test_an_invalid_scenario_fails_with_its_problems_and_the_others_still_run(workspace: Workspace) -> None:
    write(workspace, SCENARIO)
    write(
        workspace,
        SCENARIO.replace("id: base-drill", "id: bad-drill").replace("step: assess", "step: asess"),
        "bad.yaml",
    )
    code, found = results(workspace)
    assert code == 1 and found["base-drill"]["passed"] is True
    bad = found["bad-drill"]
    assert bad["passed"] is False and bad["score"] is None and "not valid" in str(bad["error"])
    [problem] = bad["problems"]
    assert problem["line"] == 17 and problem["column"] == 11 and "asess" in problem["message"]


def test_named_scenarios_only_and_bad_paths(workspace: Workspace) -> None:
    good = write(workspace, SCENARIO)
    write(workspace, "not: a scenario\n", "junk.yaml")
    code, found = results(workspace, str(good))
    assert code == 0 and list(found) == ["base-drill"]
    code, _, err = workspace.run("drill", "test", str(workspace.root / "missing.yaml"))
    assert code == 2 and "does not exist" in err
    empty = workspace.root / "empty"
    empty.mkdir()
    code, _, err = workspace.run("drill", "test", str(empty))
    assert code == 2 and "no scenario files" in err


def test_every_bundled_scenario_passes(tmp_path: Path) -> None:
    log = tmp_path / "log.sqlite3"
    done = crisisctl("--db", str(log), "drill", "test", "--json", cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(done.stdout)
    bundled = sorted((REPO / "playbooks" / "scenarios").glob("*.yaml"))
    assert payload["passed"] == len(bundled) and payload["failed"] == 0
    assert not log.exists()


def test_a_folder_is_searched_for_scenario_files_as_validate_finds_them(workspace: Workspace) -> None:
    write(workspace, SCENARIO)
    beside = SCENARIO.replace("id: base-drill", "id: beside-drill")
    (workspace.playbooks / "beside-drill.yaml").write_text(beside, encoding="utf-8")  # kind: Scenario, anywhere
    (workspace.playbooks / "people.yaml").write_text("kind: Roster\npeople: []\n", encoding="utf-8")
    for args in ((str(workspace.playbooks),), ()):  # the playbook folder: named, or by default
        code, found = results(workspace, *args)
        assert (code, sorted(found)) == (0, ["base-drill", "beside-drill"]), args
    # The top of a repository made by `init`: its pre-commit config is no scenario, and there is none here.
    (workspace.root / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    code, out, err = workspace.run("drill", "test", str(workspace.root))
    assert (code, out, "Traceback" in err) == (2, "", False)
    assert f"no scenario files in {workspace.root}" in err and ".pre-commit-config" not in err
    assert "kind: Scenario" in err and "scenarios/ folder" in err


# Follow-up work (after the resolution) and a response step that waits for two others.
LATER_STEPS = """\
  - id: wrap-up
    title: Wrap up the response
    phase: recover
    role: incident-lead
    depends_on: [assess, notify]
  - id: call-back
    title: Call back customers
    phase: recover
    role: incident-lead
    after: resolved
    due: 7d
    depends_on: [assess]
communications:
"""


def with_later_steps(ws: Workspace, *expectations: str) -> None:
    path = ws.playbooks / "base.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("communications:\n", LATER_STEPS, 1), encoding="utf-8")
    write(ws, SCENARIO + "".join(expectations))


def test_the_perfect_team_resolves_after_the_last_inject_and_then_does_follow_up_work(workspace: Workspace) -> None:
    with_later_steps(workspace, "  - step: call-back\n    by: 1d\n", "  - step: wrap-up\n    by: 1h\n")
    code, found = results(workspace)
    assert code == 0, found
    met = {item.get("step") or item.get("communication"): item["at"] for item in found["base-drill"]["expectations"]}
    assert (met["wrap-up"], met["call-back"]) == ("+0s", "+20m")  # resolved once the last inject (+20m) fired
    # Expected before the resolution: missed, and the reason says so.
    write(workspace, SCENARIO + "  - step: call-back\n    by: 10m\n")
    code, found = results(workspace)
    [missed] = [item for item in found["base-drill"]["expectations"] if not item["met"]]
    assert code == 1 and missed["at"] == "+20m"
    assert missed["reason"] == (
        "done only at +20m, after +10m: follow-up work waits for the resolution, "
        "which a perfect team reaches at +20m (every response step that applies done, every inject fired)"
    )


def test_follow_up_work_a_perfect_team_cannot_reach_names_what_holds_it(workspace: Workspace) -> None:
    # The notice is refused (the drafter would be its only approver): `notify` is never done, so neither is
    # the response, and a perfect team does not resolve.
    with_later_steps(workspace, "  - step: call-back\n    by: 1d\n", "  - step: wrap-up\n    by: 1h\n")
    scenario = workspace.playbooks / "scenarios" / "base-drill.yaml"
    scenario.write_text(scenario.read_text().replace("incident-lead: alice", "incident-lead: facilitator"))
    code, found = results(workspace)
    missed = {item.get("step"): item["reason"] for item in found["base-drill"]["expectations"] if not item["met"]}
    assert code == 1
    assert missed["wrap-up"] == "step wrap-up is pending: it waits for notify"  # assess was done
    assert missed["call-back"] == (
        "step call-back is follow-up work: it waits for the resolution, which a perfect team reaches once "
        "every response step that applies is done, and notify, wrap-up are not"
    )
