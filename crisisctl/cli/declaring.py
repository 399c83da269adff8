"""The terminal's part of declaring, for `declare` and `check --declare`: questions, warnings, confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crisisctl.cli.context import AppContext

if TYPE_CHECKING:
    from crisisctl.incident.declaring import DeclareRequest
    from crisisctl.incident.state import IncidentState


def declare_at_terminal(context: AppContext, request: DeclareRequest) -> IncidentState:
    """Declare through the service's use case, asking for missing inputs only at a terminal; warn about people
    who are not in the roster."""
    from crisisctl.cli.people import print_warnings
    from crisisctl.cli.prompts import ask_inputs
    from crisisctl.incident.declaring import declare_incident

    declared = declare_incident(
        context.service(),
        context.playbook_folder(),
        request,
        lambda missing: ask_inputs(missing, context.stdin_is_tty),
    )
    print_warnings(declared.warnings)
    return declared.state


def say_declared(context: AppContext, state: IncidentState) -> None:
    """The confirmation of a declaration, and what to run next."""
    kind = "drill" if state.drill else "incident"
    context.say(
        f"{state.id}: {kind} declared from {state.playbook_id} {state.playbook_version}, {state.severity}"
        f" (event {state.last_seq})"
    )
    context.say(f"next: crisisctl next {state.id}")
