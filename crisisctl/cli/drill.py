"""`crisisctl drill start|run|report|status`: rehearse a playbook on a scenario and score it."""

from pathlib import Path
from typing import Annotated

import typer

from crisisctl.cli.completion import complete_playbook
from crisisctl.cli.context import app_context
from crisisctl.cli.params import IncidentId, JsonFlag
from crisisctl.errors import UsageError

drill_app = typer.Typer(
    help="Rehearse playbooks on scenarios, score the drills, track the drill cadence.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

PlaybookArg = Annotated[
    str, typer.Argument(metavar="PLAYBOOK", help="The playbook id to rehearse.", autocompletion=complete_playbook)
]
ScenarioOption = Annotated[Path, typer.Option("--scenario", metavar="FILE", help="The scenario file (kind: Scenario).")]
SpeedOption = Annotated[
    float,
    typer.Option("--speed", metavar="N", help="Drill time runs N times faster: 60 makes a real minute a drill hour."),
]


@drill_app.command("start")
def start_command(
    ctx: typer.Context,
    playbook_id: PlaybookArg,
    scenario: ScenarioOption,
    speed: SpeedOption = 1.0,
    as_json: JsonFlag = False,
) -> None:
    """Open a drill incident from a scenario and return at once.

    The team then responds with the ordinary commands; `--at +35m` records
    actions at a stated drill time, which makes a drill scriptable.

    \b
    Example: crisisctl drill start data-leak \\
      --scenario playbooks/scenarios/data-leak-exposed-order-exports.yaml
    """
    from crisisctl.incident.declaring import start_drill
    from crisisctl.output.incidents import incident_summary_payload
    from crisisctl.output.plain import print_json

    context = app_context(ctx)
    state = start_drill(context.service(), context.playbook_folder(), playbook_id, scenario, speed)
    if as_json:
        print_json(incident_summary_payload(state) | {"speed": state.speed})
    else:
        context.out.print(f"{state.id}: drill of {state.playbook_id} started at speed {state.speed:g}")
        context.out.print(f"score it with: crisisctl drill report {state.id}")


@drill_app.command("run")
def run_command(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(metavar="PLAYBOOK|INCIDENT", help="A playbook to drill, or a drill to continue.")
    ],
    scenario: Annotated[
        Path | None, typer.Option("--scenario", metavar="FILE", help="The scenario (new drills).")
    ] = None,
    speed: SpeedOption = 1.0,
) -> None:
    """Start (or continue) a drill and stay on the facilitator's screen: clock, injects, steps, overdue.

    Ctrl-C leaves the screen; nothing is lost and `drill run INC-N` continues.

    \b
    Example: crisisctl drill run product-recall --speed 60 \\
      --scenario playbooks/scenarios/product-recall-listeria-pies.yaml
    """
    from crisisctl.cli.facilitator import run_facilitator_screen
    from crisisctl.incident.declaring import start_drill
    from crisisctl.incident.ids import names_incident, normalise_incident_id

    context = app_context(ctx)
    if names_incident(target):
        incident = normalise_incident_id(target)
        state, _ = context.service().load(incident)
        if not state.drill:
            raise UsageError(f"{incident} is a live incident, not a drill", f"use crisisctl watch {incident}")
    else:
        if scenario is None:
            raise UsageError("a new drill needs --scenario FILE", "or name a drill incident to continue it")
        incident = start_drill(context.service(), context.playbook_folder(), target, scenario, speed).id
    run_facilitator_screen(context, incident)


@drill_app.command("report")
def report_command(
    ctx: typer.Context,
    incident: IncidentId,
    as_json: JsonFlag = False,
    report_format: Annotated[
        str, typer.Option("--format", metavar="md|html", help="A document instead of the terminal view.")
    ] = "",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", metavar="FILE", help="Write the document here.")
    ] = None,
) -> None:
    """Score a drill: expectations met or missed, steps against their due, first customer notice, roles.

    Example: crisisctl drill report INC-12 --json
    """
    from crisisctl.incident.drills import pinned_scenario, score_drill
    from crisisctl.incident.service import incident_now
    from crisisctl.output.drills import drill_report_payload, drill_report_view
    from crisisctl.output.plain import print_json

    if output is not None and not report_format:
        raise UsageError(
            "-o writes a document: say which", f"crisisctl drill report {incident} --format md -o {output}"
        )
    context = app_context(ctx)
    state, playbook = context.service().load(incident)
    if not state.drill:
        raise UsageError(f"{state.id} is a live incident, not a drill", f"crisisctl postmortem {state.id}")
    now = state.resolved_at or incident_now(state, context.now())
    score = score_drill(state, playbook, pinned_scenario(state), now)
    if report_format:
        from crisisctl.render.drillreport import render_drill_report

        if report_format not in ("md", "html"):
            raise UsageError(f"--format {report_format} is not known", "use md or html")
        document = render_drill_report(state, playbook, score, report_format)
        if output is None:
            context.out.out(document, highlight=False)
        else:
            from crisisctl.cli.outfile import write_private

            write_private(output, document)
            context.err.print(f"{state.id}: drill report written to {output}")
    elif as_json:
        print_json(drill_report_payload(state, score))
    else:
        context.out.print(drill_report_view(state, score))


@drill_app.command("demo")
def demo_command(
    ctx: typer.Context,
    playbook_id: Annotated[
        str, typer.Argument(metavar="[PLAYBOOK]", help="A bundled playbook with a scenario.")
    ] = "product-recall",
) -> None:
    """See the whole loop in one go: a scripted drill in a throw-away log, then its report.

    A team declares, acts, drafts and approves notices and sends them, misses
    one deadline, and the drill is scored. Your own log is never touched.

    Example: crisisctl drill demo service-outage
    """
    from crisisctl.cli.demo import run_demo

    run_demo(app_context(ctx), playbook_id)


@drill_app.command("test")
def test_command(
    ctx: typer.Context,
    scenarios: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[SCENARIO]...",
            help="Scenario files, or folders holding them (`kind: Scenario`, or a scenarios/ folder); "
            "default: the playbook folder.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Prove the playbooks can meet their drills: a perfect team plays every scenario; exit 1 if one falls short.

    Each scenario runs headlessly in a throw-away log (yours is never touched):
    every step is done as soon as the rules allow, every notice drafted,
    approved and sent in each locale, every inject fired at its drill time; the
    incident resolved once the last inject has fired and every response step
    that applies is done, then the follow-up work done. An
    expectation even such a team misses (a step whose `when` is false for the
    scenario's inputs, a notice whose template does not render, a deadline
    before an inject that switches the step on) fails the scenario. For CI.

    \b
    Example: crisisctl drill test --json \\
      playbooks/scenarios/data-leak-exposed-order-exports.yaml
    """
    from crisisctl.cli.drilltest import scenario_files, test_scenarios
    from crisisctl.errors import ExitCode
    from crisisctl.output.drills import drill_test_lines, drill_test_payload
    from crisisctl.output.plain import print_json

    context = app_context(ctx)
    outcomes = test_scenarios(context, scenario_files(scenarios or [], context.settings.playbooks))
    if as_json:
        print_json(drill_test_payload(outcomes))
    else:
        for line in drill_test_lines(outcomes):
            context.out.print(line)
        failed = sum(not outcome.passed for outcome in outcomes)
        context.out.print(f"{len(outcomes) - failed} passed, {failed} failed")
    if any(not outcome.passed for outcome in outcomes):
        raise typer.Exit(int(ExitCode.NO))


@drill_app.command("status")
def status_command(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every playbook with its last drill, its drill cadence, and whether a drill is overdue.

    Example: crisisctl drill status --json
    """
    from crisisctl.output.drills import drill_status_rows, drill_status_table
    from crisisctl.output.plain import print_json
    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover

    context = app_context(ctx)
    report = validate_files(discover([context.settings.playbooks]), context.today())
    last_drills: dict[str, str] = {}
    for row in context.log.incidents(include_closed=True, drill=True):
        last_drills[row.playbook] = max(last_drills.get(row.playbook, ""), row.declared_at)
    rows = drill_status_rows(report.playbooks, last_drills, context.now(), context.today())
    if as_json:
        print_json(rows)
    else:
        context.out.print(drill_status_table(rows))
