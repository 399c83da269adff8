"""Option and argument types shared by the commands."""

from __future__ import annotations

from typing import Annotated

import typer

from crisisctl.cli.completion import complete_incident, complete_playbook
from crisisctl.errors import UsageError

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

_PAIR_EXAMPLES = {
    "--assign": "--assign incident-lead=alice",
    "--input": "--input affected_customers=1200",
    "set": "crisisctl set INC-7 affected_customers=1200",
}


def pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    """NAME=VALUE arguments of `flag` as a mapping; exit 2 for one without `=` or a name."""
    named: dict[str, str] = {}
    for value in values or []:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{flag} expects NAME=VALUE, got `{value}`", f"for example {_PAIR_EXAMPLES[flag]}")
        named[name.strip()] = text
    return named
