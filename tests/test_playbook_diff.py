"""`crisisctl playbook diff OLD NEW`: semantic changes by id, files or git revisions, and the version lint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from budget import examples
from conftest import REPO, Workspace
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

BASE = (REPO / "tests" / "corpus" / "base-playbook.yaml").read_text(encoding="utf-8")


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo_ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The workspace as a git repository with the base playbook committed; the working folder is its top."""
    git(workspace.root, "init", "-q")
    git(workspace.root, "add", "-A")
    git(workspace.root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(workspace.root)
    return workspace


def diff(ws: Workspace, old: str, new: str) -> tuple[int, dict[str, Any]]:
    code, out, err = ws.run("playbook", "diff", old, new, "--json")
    assert "Traceback" not in err, err
    return code, json.loads(out)


def texts(payload: dict[str, Any]) -> list[str]:
    changes = payload["changes"]
    assert isinstance(changes, list)
    return [change["text"] for change in changes]


def edit(ws: Workspace, *pairs: tuple[str, str]) -> Path:
    path = ws.playbooks / "base.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_changed_playbook_that_kept_its_version_fails(repo_ws: Workspace) -> None:
    edit(repo_ws, ("due: 30m", "due: 15m"))
    code, payload = diff(repo_ws, "git:HEAD", "playbooks/base.yaml")
    assert code == 1
    assert texts(payload) == ["~ step assess: due 30m -> 15m"]
    assert payload["findings"] == [
        {
            "rule": "version-not-bumped",
            "message": "1 change(s) but the version is still 1.0.0",
            "hint": "raise version: 1.0.1 (incidents pin the version they ran)",
        }
    ]
    assert payload["old"] == {"source": "HEAD:./playbooks/base.yaml", "id": "base", "version": "1.0.0"}
    code, out, _ = repo_ws.run("playbook", "diff", "git:HEAD", "playbooks/base.yaml")
    assert code == 1 and "~ step assess: due 30m -> 15m" in out and "[version-not-bumped]" in out


def test_every_kind_of_change_is_listed_and_a_bumped_version_passes(repo_ws: Workspace) -> None:
    edit(
        repo_ws,
        ('version: "1.0.0"', 'version: "1.1.0"'),
        ("    required: true\n  - id: comms-lead", "    required: true\n  - id: comms-lead\n    required: true"),
        ("    role: comms-lead\n    depends_on: [assess]", "    role: incident-lead\n    depends_on: []"),
        ("approvals: [incident-lead]", "approvals: [incident-lead, comms-lead]"),
        ("    required: true\nroles:", "    required: true\n  - id: region\n    type: string\nroles:"),
        (
            "communications:",
            "  - id: follow-up\n    title: Call back\n    phase: recover\n    role: comms-lead\n    due: 3d\n"
            "communications:",
        ),
    )
    code, payload = diff(repo_ws, "HEAD:playbooks/base.yaml", "playbooks/base.yaml")
    assert code == 0 and payload["findings"] == []
    assert texts(payload) == [
        "+ input region (type string)",
        "~ role comms-lead: required false -> true",
        "~ step notify: role comms-lead -> incident-lead",
        "~ step notify: depends_on [assess] -> []",
        "+ step follow-up (phase recover, role comms-lead, due 3d)",
        "~ communication customer-notice: approvals [incident-lead] -> [incident-lead, comms-lead]",
    ]
    assert payload["new"] == {"source": "playbooks/base.yaml", "id": "base", "version": "1.1.0"}


def test_reordering_comments_and_x_keys_are_no_change(workspace: Workspace) -> None:
    old = workspace.playbooks / "base.yaml"
    new = workspace.root / "new.yaml"
    roles = "  - id: incident-lead\n    title: Incident lead\n    required: true\n"
    text = old.read_text(encoding="utf-8").replace(roles, "")
    text = text.replace("roles:\n", "roles:\n# the team\n").replace(
        "    title: Communications lead\n", f"    title: Communications lead\n    x-note: ours\n{roles}"
    )
    new.write_text(text, encoding="utf-8")
    code, payload = diff(workspace, str(old), str(new))
    assert code == 0 and payload["changes"] == [] and payload["findings"] == []
    code, out, _ = workspace.run("playbook", "diff", str(old), str(new))
    assert code == 0 and "no semantic changes" in out


def test_a_new_review_date_needs_no_new_version_but_a_lowered_version_fails(repo_ws: Workspace) -> None:
    edit(repo_ws, ("inputs:", "review: {every: 90d, last_reviewed: 2026-12-01}\ninputs:"))
    git(repo_ws.root, "commit", "-qam", "review cadence", "--allow-empty")
    edit(repo_ws, ("last_reviewed: 2026-12-01", "last_reviewed: 2026-12-05"))
    code, payload = diff(repo_ws, "git:HEAD", "playbooks/base.yaml")
    assert code == 0 and len(texts(payload)) == 1 and payload["findings"] == []
    edit(repo_ws, ('version: "1.0.0"', 'version: "0.9.0"'))
    code, payload = diff(repo_ws, "git:HEAD", "playbooks/base.yaml")
    assert code == 1 and [f["rule"] for f in payload["findings"]] == ["version-lowered"]


def test_removed_entries_are_listed(workspace: Workspace) -> None:
    old = workspace.playbooks / "base.yaml"
    new = workspace.root / "new.yaml"
    new.write_text(
        BASE.replace('version: "1.0.0"', 'version: "2.0.0"')
        .replace("    depends_on: [assess]\n", "")
        .replace(
            "  - id: assess\n    title: Assess impact\n    phase: detect\n    role: incident-lead\n    due: 30m\n", ""
        ),
        encoding="utf-8",
    )
    code, payload = diff(workspace, str(old), str(new))
    assert code == 0 and "- step assess" in texts(payload)


def test_an_invalid_side_is_refused_with_positions(workspace: Workspace) -> None:
    new = workspace.root / "new.yaml"
    new.write_text(BASE.replace("role: comms-lead", "role: nobody"), encoding="utf-8")
    code, out, err = workspace.run("playbook", "diff", str(workspace.playbooks / "base.yaml"), str(new))
    assert code == 1 and out == ""
    assert "is not a valid playbook" in err and "26:11" in err and "Traceback" not in err


def test_unreadable_revisions_and_paths_are_usage_errors(repo_ws: Workspace) -> None:
    for old, new, message in (
        ("nope:playbooks/base.yaml", "playbooks/base.yaml", "cannot be read from git"),
        ("HEAD:playbooks/missing.yaml", "playbooks/base.yaml", "cannot be read from git"),
        ("git:HEAD", "missing.yaml", "does not exist"),
        ("git:HEAD", "git:HEAD", "names a revision, but not which file"),
        ("--help:x", "playbooks/base.yaml", "is not a revision"),
    ):
        code, out, err = repo_ws.run("playbook", "diff", "--", old, new)
        assert code == 2, (old, new, out, err)
        assert message in err and "Traceback" not in err, (old, err)


TRIGGERS = (
    "triggers:\n"
    '  - id: surge\n    when: {metric: complaints_per_hour, op: ">", value: 100}\n    severity: sev2\n'
    '  - id: outage\n    when: {metric: error_rate, op: ">", value: 0.5}\n    severity: sev2\n'
    "inputs:"
)


IN_LEAF = "{input: affected_customers, op: in, value: [1, 2]}"
EQ_LEAF = '{input: regions, op: "==", value: [a, b]}'
WHEN = f"when: {{any: [{IN_LEAF}, {EQ_LEAF}]}}\n    "


def test_the_same_meaning_written_differently_is_no_change(workspace: Workspace) -> None:
    """Durations in other units, defaults written out, and lists whose order crisisctl never reads."""
    old = workspace.playbooks / "base.yaml"
    since = "  - {id: since, type: date, default: 2026-01-31}\n  - {id: regions, type: list}\nroles:"
    text = BASE.replace("inputs:", TRIGGERS, 1).replace("roles:", since, 1).replace("due: 2h", WHEN + "due: 2h")
    old.write_text(text.replace("approvals: [incident-lead]", "approvals: [incident-lead, comms-lead]"), "utf-8")
    new = workspace.root / "new.yaml"
    text = old.read_text(encoding="utf-8")
    for before, after in (
        ("due: 30m", "due: 1800s"),
        ("due: 2h", "due: 120m"),
        ("    title: Communications lead\n", "    title: Communications lead\n    required: false\n"),
        ("    role: incident-lead\n    due", "    role: incident-lead\n    after: declared\n    due"),
        ("approvals: [incident-lead, comms-lead]", "approvals: [comms-lead, incident-lead]\n    four_eyes: true"),
        (
            "inputs:",
            "severities:\n"
            + "".join(
                f"  - id: sev{n}\n    name: {name}\n" for n, name in enumerate(("Critical", "Major", "Minor", "Low"), 1)
            )
            + "inputs:",
        ),
        ("value: 100}", "value: 100.0}"),
        ("default: 2026-01-31}", 'default: "2026-01-31"}'),
        (WHEN, f"when: {{any: [{EQ_LEAF}, {IN_LEAF.replace('[1, 2]', '[2, 1]')}]}}\n    "),
    ):
        assert before in text, before
        text = text.replace(before, after, 1)
    # steps listed the other way round: their order is only the order they are shown in
    steps = text[text.index("  - id: assess") : text.index("  - id: notify")]
    text = text.replace(steps, "").replace("communications:", steps + "communications:")
    new.write_text(text, encoding="utf-8")
    code, payload = diff(workspace, str(old), str(new))
    assert (payload["changes"], payload["findings"], code) == ([], [], 0)
    new.write_text(text.replace("value: [a, b]", "value: [b, a]"), encoding="utf-8")  # `==` a list: order counts
    code, payload = diff(workspace, str(old), str(new))
    assert [(change["id"], change["field"]) for change in payload["changes"]] == [("notify", "when")] and code == 1


def test_order_is_a_change_where_it_means_something(workspace: Workspace) -> None:
    old = workspace.playbooks / "base.yaml"
    severities = "severities:\n  - id: sev1\n    name: Critical\n  - id: sev2\n    name: Major\n"
    old.write_text(BASE.replace("inputs:", severities + TRIGGERS, 1), encoding="utf-8")
    new = workspace.root / "new.yaml"
    text = old.read_text(encoding="utf-8")
    sev1 = "  - id: sev1\n    name: Critical\n"
    surge = text[text.index("  - id: surge") : text.index("  - id: outage")]
    text = text.replace(sev1, "").replace("    name: Major\n", "    name: Major\n" + sev1)
    text = text.replace(surge, "").replace("inputs:", surge + "inputs:")
    new.write_text(text, encoding="utf-8")
    code, payload = diff(workspace, str(old), str(new))
    assert code == 1 and [f["rule"] for f in payload["findings"]] == ["version-not-bumped"]
    assert texts(payload) == [
        "~ severities: order (most severe first) sev1, sev2 -> sev2, sev1",
        "~ triggers: order (the first listed wins a tie) surge, outage -> outage, surge",
    ]
    assert payload["changes"][0] | {"text": ""} == {
        "change": "changed",
        "section": "playbook",
        "id": "severities",
        "field": "order",
        "old": ["sev1", "sev2"],
        "new": ["sev2", "sev1"],
        "text": "",
    }


def test_changes_show_durations_and_defaults_as_they_mean(workspace: Workspace) -> None:
    old = workspace.playbooks / "base.yaml"
    old.write_text(BASE.replace("due: 2h", "due: 120m"), encoding="utf-8")
    new = workspace.root / "new.yaml"
    new.write_text(
        BASE.replace("due: 2h", "due: 3h")
        .replace("approvals: [incident-lead]", "approvals: [incident-lead]\n    four_eyes: false")
        .replace("due: 30m", "due: 1d"),
        encoding="utf-8",
    )
    code, payload = diff(workspace, str(old), str(new))
    assert code == 1
    assert texts(payload) == [
        "~ step assess: due 30m -> 1d",
        "~ step notify: due 2h -> 3h",
        "~ communication customer-notice: four_eyes true -> false",
    ]
    assert [(change["field"], change["old"], change["new"]) for change in payload["changes"]] == [
        ("due", "30m", "1d"),
        ("due", "2h", "3h"),
        ("four_eyes", True, False),  # the default, though the old file leaves it out
    ]


def test_the_first_locale_counts_the_others_order_does_not(workspace: Workspace) -> None:
    """The first locale is the plain template's language and the one meant when none is named."""
    old, new = workspace.playbooks / "base.yaml", workspace.root / "new.yaml"
    old.write_text(BASE.replace("approvals:", "locales: [en, zh, ja]\n    approvals:"), encoding="utf-8")
    new.write_text(BASE.replace("approvals:", "locales: [en, ja, zh]\n    approvals:"), encoding="utf-8")
    code, payload = diff(workspace, str(old), str(new))
    assert (payload["changes"], code) == ([], 0)
    new.write_text(BASE.replace("approvals:", "locales: [zh, en, ja]\n    approvals:"), encoding="utf-8")
    code, payload = diff(workspace, str(old), str(new))
    assert texts(payload) == ["~ communication customer-notice: locales [en, zh, ja] -> [zh, en, ja]"] and code == 1


def test_a_pre_release_version_compares_by_semantic_versioning(workspace: Workspace) -> None:
    old, new = workspace.root / "old.yaml", workspace.root / "new.yaml"
    old.write_text(BASE.replace('"1.0.0"', '"1.0.0-rc.10"'), encoding="utf-8")
    new.write_text(BASE.replace('"1.0.0"', '"1.0.0-rc.9"'), encoding="utf-8")
    code, payload = diff(workspace, str(old), str(new))
    assert code == 1 and payload["findings"][0]["message"] == "version went down from 1.0.0-rc.10 to 1.0.0-rc.9"


# Semantic Versioning 2.0.0, section 11, lowest first, with numeric identifiers past 9 and a numeric pre-release.
SPEC_ORDER = (
    "1.0.0-0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0-rc.9",
    "1.0.0-rc.10",
    "1.0.0",
    "1.0.1-alpha",
    "1.0.1",
    "1.10.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
    "10.0.0",
)
BUILDS = st.sampled_from(("", "+build.5", "+001", "+exp.sha.5114f85", "+20261205"))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    old=st.sampled_from(SPEC_ORDER),
    new=st.sampled_from(SPEC_ORDER),
    old_build=BUILDS,
    new_build=BUILDS,
    changed=st.booleans(),
)
@example(old="1.0.0-rc.10", new="1.0.0-rc.9", old_build="", new_build="", changed=False)
@example(old="1.0.0-beta.11", new="1.0.0-beta.2", old_build="", new_build="", changed=True)
@example(old="1.0.0-alpha", new="1.0.0-0", old_build="", new_build="", changed=False)
@example(old="1.0.0", new="1.0.0", old_build="+001", new_build="+build.5", changed=True)
def test_the_version_lint_follows_semantic_version_precedence(
    workspace: Workspace, old: str, new: str, old_build: str, new_build: str, changed: bool
) -> None:
    """Lower precedence is `version-lowered`; equal precedence (build metadata aside) with a change is not bumped."""
    old_path, new_path = workspace.root / "old.yaml", workspace.root / "new.yaml"
    old_path.write_text(BASE.replace('"1.0.0"', f'"{old}{old_build}"'), encoding="utf-8")
    text = BASE.replace('"1.0.0"', f'"{new}{new_build}"')
    new_path.write_text(text.replace("due: 30m", "due: 15m") if changed else text, encoding="utf-8")
    code, payload = diff(workspace, str(old_path), str(new_path))
    rank = SPEC_ORDER.index(new) - SPEC_ORDER.index(old)
    expected = ["version-lowered"] if rank < 0 else ["version-not-bumped"] if rank == 0 and changed else []
    assert [finding["rule"] for finding in payload["findings"]] == expected
    assert code == (1 if expected else 0)
