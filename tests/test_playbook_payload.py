"""Every field of the playbook model reaches `playbook show --json`, and the model alone declares defaults."""

from __future__ import annotations

from typing import Any, get_args, get_type_hints

from conftest import Workspace
from msgspec import Struct

from crisisctl.output.payloads import LEFT_OUT, model_payload, payload_key
from crisisctl.playbook import model

# Every optional field of every model class set to something other than its default.
FULL = """\
apiVersion: crisisctl/v1
kind: Playbook
id: full
version: "2.1.0"
title: Every field set
summary: A playbook that sets every field of the format.
owner: crisis-team@example.com
category: service-outage
tags: [payments, eu]
review: {every: 90d, last_reviewed: 2026-01-15}
drill: {every: 180d, last_drilled: 2026-02-01}
severities:
  - {id: major, name: Major, description: Many customers cannot pay.}
  - {id: minor, name: Minor}
triggers:
  - id: failures
    description: Payments fail far above normal.
    when: {metric: failed_payments, op: ">", value: 100}
    severity: minor
inputs:
  - id: region
    type: string
    prompt: Which region?
    required: true
    default: eu
    choices: [eu, us]
roles:
  - id: incident-lead
    title: Incident lead
    responsibilities: [Commands the response]
    required: true
steps:
  - id: call-back
    title: Call back every complainant
    phase: review
    role: incident-lead
    due: 3d
    depends_on: [assess]
    when: {input: region, op: "==", value: eu}
    checklist: [Call, Log the call]
    communication: status-update
    description: Customers who complained hear from a person, not a form.
    after: resolved
  - id: assess
    title: Assess impact
    phase: detect
    role: incident-lead
communications:
  - id: status-update
    title: Status update
    audience: customers
    channel: email
    template: base/notice.md.j2
    approvals: [incident-lead]
    locales: [en, zh]
    due: 1h
    four_eyes: false
    every: 2h
    until: closed
postmortem:
  template: postmortem.md.j2
  kpis: [time_to_resolve]
"""

# Only what the format requires: everything else is left to the model's defaults.
MINIMAL = """\
apiVersion: crisisctl/v1
kind: Playbook
id: minimal
version: "1.0.0"
title: Only what is required
category: service-outage
severities: [{id: major, name: Major}]
triggers: [{id: failures, when: {metric: failed_payments, op: ">", value: 100}}]
inputs: [{id: region, type: string}]
roles: [{id: incident-lead, title: Incident lead}]
steps: [{id: assess, title: Assess impact, phase: detect, role: incident-lead}]
communications:
  - {id: status-update, title: Status update, audience: customers, channel: email, template: base/notice.md.j2}
"""


MODEL_CLASSES: set[type[Any]] = {
    value
    for value in vars(model).values()
    if isinstance(value, type) and issubclass(value, Struct) and value is not Struct
}


def _show(ws: Workspace, text: str, playbook_id: str) -> dict[str, Any]:
    (ws.playbooks / f"{playbook_id}.yaml").write_text(text, encoding="utf-8")
    payload = ws.json("playbook", "show", playbook_id)
    assert isinstance(payload, dict)
    return payload


def _model_class(hint: Any) -> type[Any] | None:
    """The model record a field holds, alone or in a tuple (conditions are the format's own JSON)."""
    for candidate in (hint, *get_args(hint)):
        if candidate in MODEL_CLASSES:
            return candidate
    return None


def _unreached(cls: type[Any], full: dict[str, Any], minimal: dict[str, Any], path: str) -> list[str]:
    """Fields of `cls` (and the model classes inside it) whose key is missing from the payload, or whose value
    in the full playbook's payload is the default's: a field the file sets that never reaches the JSON."""
    problems = []
    hints = get_type_hints(cls)
    with_default = cls.__struct_fields__[len(cls.__struct_fields__) - len(cls.__struct_defaults__) :]
    for name in cls.__struct_fields__:
        field_path = f"{path}.{name}" if path else name
        if field_path in LEFT_OUT:
            continue
        key = payload_key(field_path, hints[name])
        if key not in full:
            problems.append(f"{field_path}: no `{key}` in the payload")
            continue
        if name in with_default and full[key] == minimal[key]:
            problems.append(f"{field_path}: `{key}` is {full[key]!r} whether the file sets it or not")
        inner = _model_class(hints[name])
        if inner is not None:
            full_value, minimal_value = full[key], minimal[key]
            if isinstance(full_value, list):
                full_value, minimal_value = full_value[0], minimal_value[0]
            problems.extend(_unreached(inner, full_value, minimal_value, field_path))
    return problems


def test_every_model_field_reaches_playbook_show_json(workspace: Workspace) -> None:
    full = _show(workspace, FULL, "full")
    minimal = _show(workspace, MINIMAL, "minimal")
    assert _unreached(model.Playbook, full, minimal, "") == []
    assert {"text"} == LEFT_OUT  # the file's text: `sha256` names it and `file` says where it is


def test_step_description_and_follow_up_fields_are_in_the_json(workspace: Workspace) -> None:
    full = _show(workspace, FULL, "full")
    step = full["steps"][0]
    assert step["description"] == "Customers who complained hear from a person, not a form."
    assert step["after"] == "resolved" and step["due_s"] == 3 * 86400
    comm = full["communications"][0]
    assert (comm["four_eyes"], comm["every_s"], comm["until"], comm["due_s"]) == (False, 7200, "closed", 3600)
    assert full["postmortem"] == {"template": "postmortem.md.j2", "kpis": ["time_to_resolve"]}
    assert full["review"] == {"every_s": 90 * 86400, "last_reviewed": "2026-01-15"}
    assert full["drill"] == {"every_s": 180 * 86400, "last_drilled": "2026-02-01"}
    assert full["steps"][0]["when"] == {"input": "region", "op": "==", "value": "eu"}


def test_fields_a_file_leaves_out_get_the_models_defaults(workspace: Workspace) -> None:
    minimal = _show(workspace, MINIMAL, "minimal")
    step = model.Step("assess", "Assess impact", "detect", "incident-lead")
    comm = model.Communication("status-update", "Status update", "customers", "email", "base/notice.md.j2")
    assert minimal["steps"] == [model_payload(step, "steps")]
    assert minimal["communications"] == [model_payload(comm, "communications")]
    assert minimal["roles"] == [model_payload(model.Role("incident-lead", "Incident lead"), "roles")]
    assert minimal["inputs"] == [model_payload(model.Input("region", "string"), "inputs")]
    assert minimal["review"] == model_payload(model.Cadence(), "review")
    assert minimal["postmortem"] == model_payload(model.Postmortem(), "postmortem")
    assert (minimal["steps"][0]["after"], minimal["communications"][0]["four_eyes"]) == ("declared", True)


def test_a_playbook_without_severities_has_the_models_default_levels(workspace: Workspace) -> None:
    shown = _show(workspace, MINIMAL.replace("severities: [{id: major, name: Major}]\n", ""), "minimal")
    assert [level["id"] for level in shown["severities"]] == [level.id for level in model.DEFAULT_SEVERITIES]


def test_playbook_list_json_keeps_its_summary_fields(workspace: Workspace) -> None:
    _show(workspace, FULL, "full")
    rows = {row["id"]: row for row in workspace.json("playbook", "list")}
    assert rows["full"] == {
        "id": "full",
        "version": "2.1.0",
        "title": "Every field set",
        "category": "service-outage",
        "owner": "crisis-team@example.com",
        "file": str(workspace.playbooks / "full.yaml"),
        "valid": True,
        "problems": 0,
        "review_overdue": rows["full"]["review_overdue"],
    }


def test_playbook_show_prints_step_descriptions(workspace: Workspace) -> None:
    (workspace.playbooks / "full.yaml").write_text(FULL, encoding="utf-8")
    out = workspace.ok("playbook", "show", "full")
    assert "Customers who complained hear from a person, not a form." in " ".join(out.split())
