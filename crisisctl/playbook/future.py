"""`date-in-future`: when a review or drill last took place cannot be a day still to come.

A future `review.last_reviewed` or `drill.last_drilled` is most likely a typo (2031 for 2021), and it would keep
the playbook looking reviewed or drilled for years; `crisisctl readiness` does not trust it either.
"""

from __future__ import annotations

import datetime as dt

from crisisctl.errors import Problem
from crisisctl.playbook.yamlsource import YMap, YScalar

RECORDED_DATES = (("review", "last_reviewed"), ("drill", "last_drilled"))  # the section, and its key


def future_date_warnings(document: YMap, file: str, today: dt.date) -> list[Problem]:
    """A warning at each `last_reviewed` or `last_drilled` that lies after `today`."""
    warnings = []
    for section, key in RECORDED_DATES:
        cadence = document.items.get(section)
        node = cadence.items.get(key) if isinstance(cadence, YMap) else None
        stated = _date(node)
        if stated is None or stated <= today:
            continue
        assert isinstance(node, YScalar)
        warnings.append(
            Problem(
                file,
                node.line,
                node.column,
                f"{section}.{key}",
                "date-in-future",
                f"{stated.isoformat()} is after today ({today.isoformat()}): the last {section} cannot lie ahead",
                f"write the day the last {section} took place (a typo in the year?); until then readiness does not "
                "trust it",
            )
        )
    return warnings


def _date(node: object) -> dt.date | None:
    """The node's date; None for no date or a malformed one (the `date` error's business)."""
    if not isinstance(node, YScalar):
        return None
    if type(node.value) is dt.date:
        return node.value
    try:
        return dt.date.fromisoformat(str(node.value)) if isinstance(node.value, str) else None
    except ValueError:
        return None
