"""`crisisctl measure`: customer outcomes (satisfaction, complaint resolution, handling time, churn) as facts."""

from typing import Annotated

import typer

from crisisctl.cli.context import app_context
from crisisctl.cli.params import AtTime, IncidentId, JsonFlag
from crisisctl.playbook.vocabulary import OUTCOME_METRICS


def _complete_metric(incomplete: str) -> list[str]:
    return [metric for metric in OUTCOME_METRICS if metric.startswith(incomplete)]


def measure_command(
    ctx: typer.Context,
    incident: IncidentId,
    metric: Annotated[
        str,
        typer.Argument(
            metavar="METRIC", help="One of: " + ", ".join(OUTCOME_METRICS) + ".", autocompletion=_complete_metric
        ),
    ],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The figure, a number (e.g. 4.1, 92, 0.03).")],
    baseline: Annotated[
        bool, typer.Option("--baseline", help="The figure before the crisis (recorded as METRIC_baseline).")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Where the figure comes from.")] = None,
    at: AtTime = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a customer outcome: the follow-up figure, or with --baseline the figure before the crisis.

    The figure is a fact of the incident, the input named like the metric (the
    baseline: METRIC_baseline), kept with its history as `set` keeps it; the
    post-mortem shows before / after / change, and `stats` aggregates them. It
    may be recorded after the incident is closed; the same figure measured again
    is recorded again; a baseline may be stated before the declaration. A metric
    the pinned playbook does not declare is still accepted, as a number.

    Example: crisisctl measure INC-7 churn_rate 0.021 --note 'cancellations among the affected, 30 days on'
    """
    from crisisctl.incident.outcomes import outcome

    context = app_context(ctx)
    service = context.service()
    recorded = service.measure(incident, metric, value, baseline=baseline, note=note, at=at)
    result = outcome(recorded.state, service.playbook_for(recorded.state), metric)
    if as_json:
        from crisisctl.output.incidents import facts_payload
        from crisisctl.output.outcomes import outcome_payload
        from crisisctl.output.plain import print_json

        print_json(facts_payload(recorded) | {"outcome": outcome_payload(result)})
        return
    from crisisctl.output.outcomes import change_text, figure

    change = recorded.changes[-1]
    context.say(f"{recorded.state.id}: {change.input} recorded as {change.value} (event {change.seq})")
    context.say(f"  {metric}: before {figure(result.baseline)}, after {figure(result.latest)}, {change_text(result)}")
