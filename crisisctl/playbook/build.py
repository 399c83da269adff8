"""From validated plain data to the frozen model, and the JSON form the log keeps of it.

The log pins each playbook's text; beside it, it keeps the validated data as JSON so that
every later command rebuilds the model without parsing YAML again (`crisisctl verify`
re-derives that JSON from the pinned text, so it cannot drift from it).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from crisisctl.playbook.conditions import condition_from_data
from crisisctl.playbook.durations import parse_duration
from crisisctl.playbook.model import (
    DEFAULT_SEVERITIES,
    Cadence,
    Communication,
    Input,
    Playbook,
    Postmortem,
    Role,
    Severity,
    Step,
    Trigger,
)

_DATE_KEY = "$date"


def data_to_json(data: dict[str, Any]) -> str:
    """Validated plain data as canonical-ish JSON; YAML dates are tagged so they come back as dates."""

    def default(value: Any) -> Any:
        if isinstance(value, dt.date):
            return {_DATE_KEY: value.isoformat()}
        raise TypeError(f"{type(value).__name__} is not playbook data")

    return json.dumps(data, default=default, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def data_from_json(text: str) -> dict[str, Any]:
    def dates(item: dict[str, Any]) -> Any:
        return dt.date.fromisoformat(item[_DATE_KEY]) if set(item) == {_DATE_KEY} else item

    data = json.loads(text, object_hook=dates)
    assert isinstance(data, dict)
    return data


def _date_or_none(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _duration_or_none(value: str | None) -> dt.timedelta | None:
    return parse_duration(value) if value else None


def build_playbook(data: dict[str, Any], source: str, sha256: str, text: str) -> Playbook:
    """Turn validated plain data into the frozen model."""
    review = data.get("review") or {}
    drill = data.get("drill") or {}
    severities = tuple(
        Severity(item["id"], item["name"], item.get("description", "")) for item in data.get("severities", [])
    )
    postmortem = data.get("postmortem") or {}
    return Playbook(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        category=data["category"],
        summary=data.get("summary", ""),
        owner=data.get("owner", ""),
        tags=tuple(data.get("tags", [])),
        review=Cadence(_duration_or_none(review.get("every")), _date_or_none(review.get("last_reviewed"))),
        drill=Cadence(_duration_or_none(drill.get("every")), _date_or_none(drill.get("last_drilled"))),
        severities=severities or DEFAULT_SEVERITIES,
        triggers=tuple(
            Trigger(item["id"], condition_from_data(item["when"]), item.get("description", ""), item.get("severity"))
            for item in data.get("triggers", [])
        ),
        inputs=tuple(
            Input(
                item["id"],
                item["type"],
                item.get("prompt", ""),
                bool(item.get("required", False)),
                item.get("default"),
                tuple(item.get("choices", [])),
            )
            for item in data.get("inputs", [])
        ),
        roles=tuple(
            Role(item["id"], item["title"], tuple(item.get("responsibilities", [])), bool(item.get("required", False)))
            for item in data["roles"]
        ),
        steps=tuple(
            Step(
                id=item["id"],
                title=item["title"],
                phase=item["phase"],
                role=item["role"],
                due=_duration_or_none(item.get("due")),
                depends_on=tuple(item.get("depends_on", [])),
                when=condition_from_data(item["when"]) if "when" in item else None,
                checklist=tuple(item.get("checklist", [])),
                communication=item.get("communication"),
                description=item.get("description", ""),
                after=item.get("after", "declared"),
            )
            for item in data["steps"]
        ),
        communications=tuple(
            Communication(
                id=item["id"],
                title=item["title"],
                audience=item["audience"],
                channel=item["channel"],
                template=item["template"],
                approvals=tuple(item.get("approvals", [])),
                locales=tuple(item.get("locales", [])),
                due=_duration_or_none(item.get("due")),
                four_eyes=bool(item.get("four_eyes", True)),
                every=_duration_or_none(item.get("every")),
                until=str(item.get("until", "resolved")),
            )
            for item in data.get("communications", [])
        ),
        postmortem=Postmortem(postmortem.get("template"), tuple(postmortem.get("kpis", []))),
        source=source,
        sha256=sha256,
        text=text,
    )
