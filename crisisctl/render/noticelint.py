"""Notice lint: a valid playbook's notices, rendered from sample facts, checked for what their readers get.

The samples are what a fresh incident would give: declared defaults, else a placeholder of the input's
type (the first of its `choices`), and optional inputs without a default not set at all. Findings are
warnings at the communication's `template:`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from crisisctl.errors import Problem
from crisisctl.incident.state import IncidentState
from crisisctl.playbook.locate import Locator, locate_playbook
from crisisctl.playbook.model import Communication, Input, Playbook
from crisisctl.render.context import notice_context
from crisisctl.render.drillmark import BANNER_LINES, DRILL_MARKERS, has_drill_marker
from crisisctl.render.environment import CrisisSandbox, make_environment, resolve_template
from crisisctl.render.notices import RenderError, localized_name, render_within_budget

MAX_SMS_SEGMENTS = 3
SAMPLE_TIME = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)

_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")  # two septets each
_NONE = re.compile(r"\bNone\b")
_INPUT_USE = re.compile(r"\binputs\s*(?:\.\s*(\w+)|\[\s*['\"]([^'\"]+)['\"]\s*\])")


def sms_segments(text: str) -> tuple[int, str, int]:
    """Segments, encoding and length of a text sent as SMS: GSM-7 (160 a message, 153 a part when split)
    when every character has a GSM-7 code, else UCS-2 (70, and 67 a part; counted in UTF-16 units)."""
    if all(char in _GSM7 or char in _GSM7_EXTENSION for char in text):
        length = sum(2 if char in _GSM7_EXTENSION else 1 for char in text)
        return (1 if length <= 160 else math.ceil(length / 153)), "GSM-7", length
    length = len(text.encode("utf-16-le")) // 2
    return (1 if length <= 70 else math.ceil(length / 67)), "UCS-2", length


# Sample renders by what decides them; a set of many similar playbooks renders each template a few times.
RenderCache = dict[tuple[Any, ...], "str | RenderError"]


def notice_findings(
    playbook: Playbook,
    roots: Sequence[Path],
    locator: Locator | None = None,
    environment: CrisisSandbox | None = None,
    renders: RenderCache | None = None,
    resolve: Callable[[str], Path | None] | None = None,
) -> list[Problem]:
    """`notice-locale-missing`, `notice-input-unset`, `sms-length` and `drill-banner` for a valid playbook
    whose templates are found in `roots` (the template folder, then the playbook's folder).

    `environment`, `renders` and `resolve` (a template name to its file, as resolve_template finds it)
    may be shared by the calls of one validation run (templatecheck.py does).
    """
    folders = list(roots)
    lint = _NoticeLint(
        playbook,
        folders,
        locator or locate_playbook(playbook),
        environment,
        renders if renders is not None else {},
        resolve or (lambda name: resolve_template(name, folders)),
    )
    for index, communication in enumerate(playbook.communications):
        lint.communication(index, communication)
    return lint.findings


class _NoticeLint(Struct):
    playbook: Playbook
    roots: list[Path]
    locator: Locator
    environment: CrisisSandbox | None
    renders: RenderCache
    resolve: Callable[[str], Path | None]
    findings: list[Problem] = field(default_factory=list)
    _sample: tuple[Playbook, str] | None = None  # the playbook as samples show it, and what decides its renders

    def communication(self, index: int, communication: Communication) -> None:
        path = f"communications[{index}].template"
        for locale in communication.locales[1:]:
            own = localized_name(communication.template, locale)
            if self.resolve(own) is None:
                self._warn(
                    path,
                    "notice-locale-missing",
                    f"`{communication.id}` lists locale `{locale}`, but there is no {own}: its {locale} readers "
                    f"would get the text of {communication.template}",
                    f"write {own}, or remove `{locale}` from `locales`",
                )
        for locale in communication.locales or ("",):
            self._rendered(path, communication, locale)

    def _rendered(self, path: str, communication: Communication, locale: str) -> None:
        localized = localized_name(communication.template, locale) if locale else ""
        name = localized if localized and self.resolve(localized) is not None else communication.template
        version = f"`{communication.id}`" + (f" ({locale})" if locale else "")
        optional = [item.id for item in self.playbook.inputs if item.default is None and not item.required]
        named = self._inputs_named(name) if optional else frozenset()
        unset = [input_id for input_id in optional if input_id in named]
        try:
            drill = self._render(name, communication, locale, drill=True, unset=False)
            live = (
                self._render(name, communication, locale, drill=False, unset=False)
                if unset or communication.channel == "sms"
                else ""
            )
        except RenderError:
            return  # the sample facts do not suit the template; nothing can be judged from them
        if not has_drill_marker(drill):
            self._warn(
                path,
                "drill-banner",
                f"{version} drafted in a drill does not say so in its first {BANNER_LINES} lines "
                f"(none of {', '.join(DRILL_MARKERS)}); crisisctl adds a plain EXERCISE banner",
                f"start {name} with `{{% if incident.drill %}}[DRILL - DO NOT SEND] {{% endif %}}` "
                "in the notice's own language",
            )
        if unset:
            self._unset_inputs(path, communication, locale, name, version, live, unset)
        if communication.channel == "sms":
            segments, encoding, length = sms_segments(live.strip())
            if segments > MAX_SMS_SEGMENTS:
                self._warn(
                    path,
                    "sms-length",
                    f"{version} is {length} {encoding} characters with sample values: {segments} SMS segments, "
                    f"more than {MAX_SMS_SEGMENTS}",
                    "shorten it and link to the full notice; a character outside GSM-7 (Chinese, emoji, curly "
                    "quotes) makes every segment 70 characters",
                )

    def _unset_inputs(
        self, path: str, communication: Communication, locale: str, name: str, version: str, live: str, unset: list[str]
    ) -> None:
        names = ", ".join(f"`inputs.{input_id}`" for input_id in unset)
        try:
            text = self._render(name, communication, locale, drill=False, unset=True)
        except RenderError as error:
            self._warn(
                path,
                "notice-input-unset",
                f"{version} cannot be drafted while {names} is not set: {error.message}",
                "give the input a `default`, or guard it in the template: {% if inputs.NAME %}",
            )
            return
        if len(_NONE.findall(text)) > len(_NONE.findall(live)):
            self._warn(
                path,
                "notice-input-unset",
                f"{version} shows `None` while {names} is not set (optional, without a default)",
                "give the input a `default`, or a fallback in the template: {{ inputs.NAME or '...' }}",
            )

    def _inputs_named(self, name: str) -> frozenset[str]:
        found = self.resolve(name)
        return _inputs_named(found) if found is not None else frozenset()

    def _render(self, name: str, communication: Communication, locale: str, *, drill: bool, unset: bool) -> str:
        """The sample text; the playbook's id is the one thing of it that a sample leaves out, so that
        copies of a playbook (or playbooks differing only in id) share their renders."""
        if self._sample is None:
            playbook = replace(self.playbook, id="sample-playbook")
            fingerprint = repr(
                (playbook.title, playbook.version, playbook.owner, playbook.category, playbook.severities[0])
            ) + repr((playbook.inputs, playbook.steps, [role.id for role in playbook.roles]))
            self._sample = (playbook, fingerprint)
        playbook, fingerprint = self._sample
        key = (self.resolve(name), locale, drill, unset, communication, fingerprint)
        found = self.renders.get(key)
        if found is None:
            if self.environment is None:
                self.environment = make_environment(self.roots)
            state = sample_state(playbook, drill=drill, unset_optional=unset)
            context = notice_context(state, playbook, communication, locale, SAMPLE_TIME)
            try:
                found = render_within_budget(self.environment, name, context)[0]
            except RenderError as error:
                found = error
            self.renders[key] = found
        if isinstance(found, RenderError):
            raise found
        return found

    def _warn(self, path: str, rule: str, message: str, hint: str) -> None:
        line, column = self.locator.position(path)
        self.findings.append(Problem(self.playbook.source, line, column, path, rule, message, hint))


def sample_state(playbook: Playbook, *, drill: bool, unset_optional: bool = True) -> IncidentState:
    """A freshly declared incident of the playbook with sample facts, every role held."""
    inputs = {
        item.id: _sample_value(item)
        for item in playbook.inputs
        if item.default is not None or item.required or not unset_optional
    }
    return IncidentState(
        id="INC-1",
        number=1,
        playbook_id=playbook.id,
        playbook_version=playbook.version,
        playbook_sha256=playbook.sha256,
        title=playbook.title,
        severity=playbook.severities[0].id,
        drill=drill,
        declared_at=SAMPLE_TIME,
        declared_by="sample",
        started_real_at=SAMPLE_TIME,
        inputs=inputs,
        declared_inputs=dict(inputs),
        roles={role.id: "sample-person" for role in playbook.roles},
    )


def _sample_value(item: Input) -> Any:
    if item.default is not None:
        return item.default
    first = item.choices[0] if item.choices else None
    samples: dict[str, Any] = {
        "string": first if first is not None else "sample",
        "integer": first if first is not None else 1000,
        "number": first if first is not None else 1.5,
        "boolean": True,
        "date": first if first is not None else SAMPLE_TIME.date().isoformat(),
        "list": [first if first is not None else "sample"],
    }
    return samples[item.type]


def _inputs_named(template: Path) -> frozenset[str]:
    """The inputs a template file names (`inputs.x`, `inputs['x']`)."""
    return _inputs_in(template.read_text(encoding="utf-8", errors="replace"))


@functools.lru_cache(maxsize=512)
def _inputs_in(source: str) -> frozenset[str]:
    """Searched once per template text, however many playbooks (copies of one another, in a large repository)
    use it."""
    return frozenset(dotted or quoted for dotted, quoted in _INPUT_USE.findall(source))
