"""From validated plain data to the frozen model, and the JSON form the log keeps of it.

The log pins each playbook's text; beside it, it keeps the validated data as JSON so that
every later command rebuilds the model without parsing YAML again (`crisisctl verify`
re-derives that JSON from the pinned text, so it cannot drift from it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from msgspec import Struct

from crisisctl.playbook.conditions import condition_from_data
from crisisctl.playbook.durations import parse_duration
from crisisctl.playbook.model import (
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


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _given(cls: type[Struct], item: dict[str, Any], **convert: Callable[[Any], Any]) -> dict[str, Any]:
    """The model's fields that `item` gives, converted; a field it leaves out keeps the model's default.

    Only the model declares defaults: a key the file leaves out is not passed at all.
    """
    names = _field_names(cls)
    return {name: convert[name](value) if name in convert else value for name, value in item.items() if name in names}


def _field_names(cls: type[Struct]) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(cls.__struct_fields__)
    return names


_FIELD_NAMES: dict[type[Struct], frozenset[str]] = {}


def _many(build: Callable[[dict[str, Any]], Any]) -> Callable[[list[dict[str, Any]]], tuple[Any, ...]]:
    return lambda items: tuple(build(item) for item in items)


def _cadence(item: dict[str, Any], last_key: str) -> Cadence:
    given = _given(Cadence, item, every=parse_duration)
    if last_key in item:
        given["last"] = _date(item[last_key])
    return Cadence(**given)


def _severity(item: dict[str, Any]) -> Severity:
    return Severity(**_given(Severity, item))


def _trigger(item: dict[str, Any]) -> Trigger:
    return Trigger(**_given(Trigger, item, when=condition_from_data))


def _input(item: dict[str, Any]) -> Input:
    return Input(**_given(Input, item, choices=tuple))


def _role(item: dict[str, Any]) -> Role:
    return Role(**_given(Role, item, responsibilities=tuple))


def _step(item: dict[str, Any]) -> Step:
    return Step(**_given(Step, item, due=parse_duration, depends_on=tuple, when=condition_from_data, checklist=tuple))


def _communication(item: dict[str, Any]) -> Communication:
    return Communication(
        **_given(Communication, item, approvals=tuple, locales=tuple, due=parse_duration, every=parse_duration)
    )


def _postmortem(item: dict[str, Any]) -> Postmortem:
    return Postmortem(**_given(Postmortem, item, kpis=tuple))


def build_playbook(data: dict[str, Any], source: str, sha256: str, text: str) -> Playbook:
    """Turn validated plain data into the frozen model."""
    given = _given(
        Playbook,
        data,
        tags=tuple,
        review=lambda item: _cadence(item, "last_reviewed"),
        drill=lambda item: _cadence(item, "last_drilled"),
        severities=_many(_severity),
        triggers=_many(_trigger),
        inputs=_many(_input),
        roles=_many(_role),
        steps=_many(_step),
        communications=_many(_communication),
        postmortem=_postmortem,
    )
    return Playbook(**given, source=source, sha256=sha256, text=text)
