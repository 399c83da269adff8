"""`crisisctl run`: a guided, keyboard-only walk through an incident; every answer is saved at once."""

from pathlib import Path
from typing import Any

import questionary

from crisisctl.cli.context import AppContext
from crisisctl.errors import CrisisError, UsageError
from crisisctl.incident.ids import names_incident
from crisisctl.incident.service import IncidentService, incident_now
from crisisctl.incident.state import IncidentState, next_steps, step_views
from crisisctl.output.incidents import steps_table
from crisisctl.playbook.model import Playbook
from crisisctl.safetext import inert

QUIT = "Leave (everything is saved; `crisisctl run INC-N` resumes)"


def ask(question: Any) -> Any:
    """An answer, or KeyboardInterrupt when the user pressed Ctrl-C (questionary returns None)."""
    answer = question.ask()
    if answer is None:
        raise KeyboardInterrupt
    return answer


def choose(message: str, choices: list[str]) -> str:
    return str(ask(questionary.select(message, choices=choices, use_shortcuts=len(choices) <= 36)))


def text(message: str, default: str = "") -> str:
    return str(ask(questionary.text(message, default=default)))


def guided_run(context: AppContext, target: str | None, signals: Path | None) -> None:
    """Pick or declare an incident, then loop over actions until the user leaves."""
    if not context.stdin_is_tty:
        raise UsageError(
            "crisisctl run asks questions and needs a terminal",
            "in scripts use declare, step, comms and resolve, which take flags",
        )
    service = context.service()
    incident = target if target and names_incident(target) else _declare(context, target, signals)
    state, playbook = service.load(incident)
    context.out.print(f"{state.id}: {inert(state.title, keep_newlines=False)} — every answer is saved at once")
    while True:
        state, playbook = service.load(state.id)
        now = incident_now(state, context.now())
        ready = next_steps(state, playbook, now)
        if ready:
            context.out.print(steps_table(ready, now, title=f"{state.id}: can be worked on now"))
        else:
            context.out.print(f"{state.id}: nothing is waiting on its dependencies right now")
        action = choose("What now?", [*ACTIONS, QUIT])
        if action == QUIT:
            context.out.print(f"left {state.id}; resume with: crisisctl run {state.id}")
            return
        try:
            message = ACTIONS[action](context, service, state, playbook)
        except CrisisError as error:
            context.err.print(f"not done: {inert(error.message, keep_newlines=False)}", style="bold red")
            if error.hint:
                context.err.print(f"  {inert(error.hint, keep_newlines=False)}", style="cyan")
            continue
        if message:
            context.out.print(message, style="green")


def _declare(context: AppContext, playbook_id: str | None, signals: Path | None) -> str:
    from crisisctl.cli.prompts import ask_inputs
    from crisisctl.incident.inputs import resolve_inputs
    from crisisctl.incident.service import Declaration
    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover

    if playbook_id is None:
        report = validate_files(discover([context.settings.playbooks]), context.today())
        options = {f"{p.id} — {p.title}": p.id for p in report.playbooks}
        if signals is not None:
            from crisisctl.cli.signals import read_signals
            from crisisctl.incident.triggers import check_signals

            result = check_signals(report.playbooks, read_signals(str(signals)))
            options = {
                f"{m.playbook.id} — {m.trigger.id} ({m.severity})": m.playbook.id for m in result.matches
            } or options
        open_incidents = {
            f"{row.id} — {row.title} (resume)": row.id
            for row in context.log.incidents(include_closed=False, drill=None)
        }
        picked = choose("Which playbook (or open incident)?", list(options) + list(open_incidents))
        if picked in open_incidents:
            return open_incidents[picked]
        playbook_id = options[picked]
    playbook = context.playbook_folder().find(playbook_id)
    values, missing = resolve_inputs(playbook, {})
    values.update(ask_inputs(missing, interactive=True))
    title = text("A short title for the incident:", playbook.title)
    severity = choose("Severity:", [s.id + " — " + s.name for s in playbook.severities]).split(" — ")[0]
    roles: dict[str, str] = {}
    for role in playbook.roles:
        person = text(
            f"Who holds {role.title} ({role.id})?{' (required)' if role.required else ' (Enter to skip)'}"
        ).strip()
        if person:
            roles[role.id] = person
    declaration = Declaration(playbook, title, severity, False, values, roles)
    return context.service().declare(declaration).id


def _pick_step(state: IncidentState, playbook: Playbook, context: AppContext, statuses: tuple[str, ...]) -> str:
    now = incident_now(state, context.now())
    views = [view for view in step_views(state, playbook, now) if view.status in statuses]
    if not views:
        raise UsageError("no step is in a state for that", "see the list above")
    labels = {f"{view.step.id} — {view.step.title} [{view.status}]": view.step.id for view in views}
    return labels[choose("Which step?", list(labels))]


def _start(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    step = _pick_step(state, playbook, context, ("pending", "blocked"))
    service.step(state.id, step, "start", note=None, force=False, at=None)
    return f"{step} started"


def _done(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    step = _pick_step(state, playbook, context, ("pending", "in-progress", "blocked"))
    note = text("A note for the record (Enter for none):").strip() or None
    service.step(state.id, step, "done", note=note, force=False, at=None)
    return f"{step} done"


def _skip_or_block(action: str) -> Any:
    def act(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
        step = _pick_step(state, playbook, context, ("pending", "in-progress", "blocked"))
        note = text(f"Why is {step} {action}ped? (required)").strip()
        service.step(state.id, step, action, note=note, force=False, at=None)
        return f"{step} {action}ped"

    return act


def _note(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    body = text("Note (start with `lesson:` or `action:` for the post-mortem):").strip()
    if not body:
        return ""
    service.note(state.id, body, at=None)
    return "note added"


def _assign(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    labels = {f"{role.id} — {state.roles.get(role.id) or 'unfilled'}": role.id for role in playbook.roles}
    role = labels[choose("Which role?", list(labels))]
    person = text(f"Who takes {role}?").strip()
    service.assign(state.id, role, person, at=None)
    return f"{person} holds {role}"


def _severity(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    level = choose("New severity:", [s.id for s in playbook.severities])
    note = text("Why? (required)").strip()
    service.change_severity(state.id, level, note=note, at=None)
    return f"severity now {level}"


def _notice(state: IncidentState, playbook: Playbook) -> tuple[str, str | None]:
    labels: dict[str, tuple[str, str | None]] = {}
    for comm in playbook.communications:
        for locale in comm.locales or (None,):
            labels[f"{comm.id}{' (' + locale + ')' if locale else ''} — {comm.title}"] = (comm.id, locale)
    if not labels:
        raise UsageError("this playbook has no communications", "")
    return labels[choose("Which notice?", list(labels))]


def _draft(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    from crisisctl.render.drafts import make_renderer

    comm, locale = _notice(state, playbook)
    renderer = make_renderer(context.settings.templates, [context.settings.playbooks])
    _, rendered = service.draft(state.id, comm, locale, renderer, at=None)
    context.out.print(inert(rendered.text))
    return f"draft of {comm} saved; the roles that must approve it can now do so"


def _approve(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    comm, locale = _notice(state, playbook)
    communication = playbook.communication(comm)
    assert communication is not None
    if not communication.approvals:
        return f"{comm} needs no approval"
    role = choose(f"Approve as which role? (you are {service.actor})", list(communication.approvals))
    draft = service.latest_draft(state.id, comm, locale)
    context.out.print(inert(draft.text))
    question = f"Approve this text as {role}? (sha256 {draft.sha256[:12]}, drafted by {draft.actor})"
    if not ask(questionary.confirm(inert(question, keep_newlines=False), default=False)):
        return f"{comm} not approved; nothing recorded"
    service.approve(state.id, comm, locale, role, digest=draft.sha256, at=None)
    return f"{comm} approved as {role}"


def _send(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    from crisisctl.cli.wiring import dispatcher

    comm, locale = _notice(state, playbook)
    settlement = dispatcher(context).send(state.id, comm, locale, at=None)
    return f"{comm} sent; {settlement.detail} (outbox: {settlement.outbox})"


def _resolve(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    summary = text("Summary of what was done:").strip()
    service.resolve(state.id, summary=summary or None, at=None)
    return f"{state.id} resolved"


def _show(context: AppContext, service: IncidentService, state: IncidentState, playbook: Playbook) -> str:
    from crisisctl.output.incidents import incident_panel

    context.out.print(incident_panel(state, playbook, incident_now(state, context.now()), False))
    return ""


ACTIONS = {
    "Start a step": _start,
    "Mark a step done": _done,
    "Skip a step (with reason)": _skip_or_block("skip"),
    "Block a step (with reason)": _skip_or_block("block"),
    "Add a note": _note,
    "Assign a role": _assign,
    "Change severity": _severity,
    "Draft a notice": _draft,
    "Approve a notice": _approve,
    "Send a notice": _send,
    "Resolve the incident": _resolve,
    "Show everything": _show,
}
