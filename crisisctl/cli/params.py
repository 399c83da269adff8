"""Option and argument types shared by the commands."""

from __future__ import annotations

from typing import Annotated

import typer

from crisisctl.cli.completion import complete_incident, complete_playbook

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
AtTime = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="TIME",
        help="When it happened: ISO 8601 time, -15m (that long ago) or +35m (after declaration). Default: now.",
    ),
]
IncidentId = Annotated[
    str,
    typer.Argument(
        metavar="INCIDENT", help="The incident id, e.g. INC-7 (any case).", autocompletion=complete_incident
    ),
]
PlaybookId = Annotated[
    str, typer.Argument(metavar="PLAYBOOK", help="The playbook id.", autocompletion=complete_playbook)
]
ForceFlag = Annotated[bool, typer.Option("--force", help="Override the rule; the override is recorded in the log.")]
