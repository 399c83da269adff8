"""`crisisctl drill demo`: the whole loop (declare, act, notify, score) on a bundled scenario, in a throw-away log."""

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

from msgspec.structs import replace

from crisisctl.cli.context import AppContext
from crisisctl.delivery.config import DeliveryConfig
from crisisctl.delivery.sender import Courier
from crisisctl.errors import UsageError
from crisisctl.incident.declaring import start_drill
from crisisctl.incident.dispatch import NoticeDispatcher
from crisisctl.incident.drills import fire_injects, inject_facts, pinned_scenario, score_drill
from crisisctl.incident.service import IncidentService, incident_now
from crisisctl.incident.state import step_views
from crisisctl.output.drills import drill_report_view
from crisisctl.playbook.durations import format_duration
from crisisctl.render.drafts import make_renderer

FACILITATOR = "facilitator"


def _at(delta: dt.timedelta) -> str:
    """A drill time for --at, in whole minutes after the start."""
    return f"+{max(1, int(delta.total_seconds() // 60))}m"


def run_demo(context: AppContext, playbook_id: str) -> None:
    """Start the bundled scenario's drill, play a team that meets most expectations and misses one, report."""
    scenarios = sorted((context.settings.playbooks / "scenarios").glob(f"{playbook_id}*.yaml"))
    if not scenarios:
        raise UsageError(f"no bundled scenario for {playbook_id}", "run it where playbooks/scenarios/ holds one")
    folder = Path(tempfile.mkdtemp(prefix="crisisctl-demo-"))
    demo = AppContext(replace(context.settings, db_flag=str(folder / "demo.sqlite3"), actor_flag=FACILITATOR))
    demo.clock = context.get_clock()
    try:
        _play(context, demo, playbook_id, scenarios[0])
    finally:
        demo.close()  # the throw-away log stays for a look, as one file


def _play(context: AppContext, demo: AppContext, playbook_id: str, scenario_file: Path) -> None:
    out = context.out
    out.print(f"Throw-away log: {demo.settings.db}", style="dim")
    state = start_drill(demo.service(), demo.playbook_folder(), playbook_id, scenario_file, 1.0)
    scenario = pinned_scenario(state)
    assert scenario is not None
    out.print(f"{state.id}: drill of {playbook_id} on '{scenario.title}'", style="bold")
    for inject in scenario.injects:
        out.print(f"  inject +{format_duration(inject.at)}: {inject.message}")
        if inject.inputs:
            out.print(f"    and sets a fact: {inject_facts(inject)}", style="bold")

    def acting(person: str) -> IncidentService:
        return IncidentService(demo.log, demo.get_clock(), person)

    _, playbook = demo.service().load(state.id)
    people = {role.id: state.roles.get(role.id) or f"{role.id}-holder" for role in playbook.roles}
    for role, person in people.items():
        if state.roles.get(role) != person:
            acting(FACILITATOR).assign(state.id, role, person, at="+1m")
    expected_steps = [item.target for item in scenario.expectations if item.kind == "step"]
    late_step = expected_steps[-1] if len(expected_steps) > 1 else None  # the team misses one deadline, as teams do
    horizon = max(item.by for item in scenario.expectations)
    for fired in fire_injects(acting(FACILITATOR), state, scenario, horizon):
        out.print(f"  inject +{format_duration(fired.inject.at)} fired: the facts now say {inject_facts(fired.inject)}")
    state, playbook = demo.service().load(state.id)
    views = step_views(state, playbook, state.declared_at + horizon)
    for view in views:
        if view.applicable_since is not None and view.applicable_since > state.declared_at:
            since = format_duration(view.applicable_since - state.declared_at)
            out.print(f"    so step {view.step.id} applies from +{since}, its deadline counted from then", style="bold")
    for view in views:
        if view.step.due is None or view.applicable_since is None or view.step.follow_up:
            continue
        switched_on = view.applicable_since - state.declared_at  # zero unless an inject's fact switched it on
        if not switched_on and view.step.due > horizon:
            continue
        done_at = switched_on + view.step.due * (1.25 if view.step.id == late_step else 0.75)
        # The demo plays steps by their deadlines, not their order, so it records them past dependencies.
        acting(people[view.step.role]).step(
            state.id, view.step.id, "done", note="done in the demo", force=True, at=_at(done_at)
        )
        out.print(f"  step {view.step.id} done at {_at(done_at)} (due +{format_duration(switched_on + view.step.due)})")
    renderer = make_renderer(demo.settings.templates, [demo.settings.playbooks])
    courier = Courier(DeliveryConfig(), demo.settings.db)
    for item in (item for item in scenario.expectations if item.kind == "communication"):
        communication = playbook.communication(item.target)
        assert communication is not None
        sent_at = item.by * 0.8
        _, drafted = acting(FACILITATOR).draft(state.id, item.target, None, renderer, at=_at(sent_at * 0.8))
        digest = hashlib.sha256(drafted.text.encode("utf-8")).hexdigest()  # what each approver reads
        for role in communication.approvals:
            acting(people[role]).approve(state.id, item.target, None, role, digest=digest, at=_at(sent_at * 0.9))
        NoticeDispatcher(acting(FACILITATOR), courier).send(state.id, item.target, None, at=_at(sent_at))
        approvers = ", ".join(communication.approvals) or "nobody"
        out.print(f"  notice {item.target}: drafted, approved by {approvers}, sent at {_at(sent_at)}")
    state, playbook = demo.service().load(state.id)
    now = incident_now(state, demo.now())
    out.print(drill_report_view(state, score_drill(state, playbook, pinned_scenario(state), now)))
    out.print(f"Your turn: crisisctl drill start {playbook_id} --scenario {scenario_file}", style="dim")
