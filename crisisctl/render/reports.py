"""Post-mortem reports and exports of one incident: the report context, sandboxed rendering, JSON, CSV and Markdown."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2.bccache import Bucket, FileSystemBytecodeCache
from markupsafe import Markup
from msgspec import Struct

from crisisctl.clock import format_time, parse_time
from crisisctl.incident import events as ev
from crisisctl.incident.cadence import notice_start
from crisisctl.incident.describe import describe_event, value_text
from crisisctl.incident.facts import in_stated_order
from crisisctl.incident.links import Link
from crisisctl.incident.metrics import IncidentMetrics, Kpi, measure
from crisisctl.incident.outcomes import outcomes
from crisisctl.incident.remedies import Remedy
from crisisctl.incident.state import IncidentState, communication_status, fold
from crisisctl.playbook.durations import format_duration
from crisisctl.playbook.model import Playbook
from crisisctl.render.context import incident_names
from crisisctl.render.environment import CrisisSandbox, escapes_html, make_environment
from crisisctl.render.followup import action_items, evidence
from crisisctl.render.htmllang import language_tag, mark_languages
from crisisctl.render.notices import render_within_budget
from crisisctl.render.redact import REDACTION_NOTICE, Redaction, redact_events
from crisisctl.safetext import inert
from crisisctl.timezones import in_display_zone

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
BUILTIN_POSTMORTEM = {"md": "postmortem.md.j2", "html": "postmortem.html.j2"}
BUILTIN_RECORD = "record.md.j2"
EXPORT_SCHEMA = "crisisctl.export/1"
# A report of a long incident is far larger than a notice: budgets sized for 100,000 events.
REPORT_MAX_CHARS = 200_000_000
REPORT_MAX_SECONDS = 60.0
# The same header with and without --redact: a redacted export says so in its last column, on every row.
CSV_COLUMNS = ("seq", "at", "recorded_at", "type", "actor", "summary", "redaction")
# Excel reads a CSV file as UTF-8 only when it starts with this mark (--bom).
UTF8_BOM = "\ufeff"
LESSON_PREFIX = "lesson:"


class Report(Struct, frozen=True):
    """Rendered output, and what the caller tells the user about it."""

    text: str
    draft: bool
    warning: str = ""


# -- Markdown and terminal safety ---------------------------------------------------------------

_MD_INLINE = re.compile(r"[\\`*\[\]<>&|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# Line starts that Markdown reads as a heading, quote, list item or setext underline.
_MD_LINE_START = re.compile(
    r"^([ \t]*)(#{1,6}(?=[ \t]|$)|>|[-+](?=[ \t]|$)|\d{1,9}(?=[.)](?:[ \t]|$))|[=-]+(?=[ \t]*$))", re.MULTILINE
)


def escape_markdown(text: str) -> str:
    """User text made literal in Markdown: no raw HTML, no emphasis, links, tables or headings of its own."""
    text = _MD_INLINE.sub(lambda match: "\\" + match.group(), text)

    def line_start(match: re.Match[str]) -> str:
        lead, marker = match.group(1), match.group(2)
        return f"{lead}{marker}\\" if marker[0].isdigit() else f"{lead}\\{marker}"

    return _MD_LINE_START.sub(line_start, text)


# Anything escape_markdown would touch; most values (names, dates, durations) have none of it.
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>&|~_#+=-]|\d[.)]")


def _finalize_markdown(value: Any) -> Any:
    """Every printed value: terminal-inert, then literal in Markdown (Markup, from `| safe`, is left alone)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        if not value.isprintable():
            value = inert(value)
        return escape_markdown(value) if _MD_SPECIAL.search(value) else value
    return value


def _finalize_html(value: Any) -> Any:
    """Every printed value made terminal-inert; HTML escaping follows (autoescape)."""
    if isinstance(value, str) and not isinstance(value, Markup) and not value.isprintable():
        return inert(value)
    return value


# -- The report context ---------------------------------------------------------------------------


def prepare(state: IncidentState, redact: Redaction | None) -> IncidentState:
    """The state to report on: refolded from masked events when redacting, so every text is masked alike."""
    return fold(redact_events(state.events, redact.patterns)) if redact else state


def _offset(state: IncidentState, moment: dt.datetime | None) -> float | None:
    return None if moment is None else (moment - state.declared_at).total_seconds()


def kpi_text(kpi: Kpi) -> str:
    if kpi.value is None:
        return "not measured" if kpi.unit == "value" else "—"
    if kpi.unit == "seconds":
        return format_duration(dt.timedelta(seconds=kpi.value))
    if kpi.unit == "ratio":
        return f"{kpi.value * 100:.0f}%"
    return f"{kpi.value:g}"


def _severity_name(playbook: Playbook, severity: str | None) -> str:
    if severity is None:
        return ""
    return next((s.name for s in playbook.severities if s.id == severity), severity)


def _role_history(state: IncidentState, playbook: Playbook) -> list[dict[str, Any]]:
    """Who held each role, from when to when (declaration roles first, then each assignment)."""
    spans: dict[str, list[dict[str, Any]]] = {role.id: [] for role in playbook.roles}

    def hand_over(role: str, person: str | None, at: dt.datetime, by: str, handover: str = "") -> None:
        held = spans.setdefault(role, [])
        if held and held[-1]["until"] is None:
            held[-1]["until"] = at
        if person is not None:
            held.append({"person": person, "since": at, "until": None, "assigned_by": by, "handover": handover})

    first = state.events[0]
    for role, person in first.data.get("roles", {}).items():
        if person:
            hand_over(role, person, state.declared_at, first.actor)
    # By stated time: an assignment recorded late with --at takes its place in the history.
    changes = (e for e in state.events if e.type in (ev.ROLE_ASSIGNED, ev.ROLE_UNASSIGNED))
    for event in sorted(changes, key=lambda e: (e.at, e.seq)):
        person = event.data["person"] if event.type == ev.ROLE_ASSIGNED else None
        handover = event.data.get("handover", {}).get("note", "")
        hand_over(event.data["role"], person, parse_time(event.at), event.actor, handover)
    titles = {role.id: role.title for role in playbook.roles}
    return [
        {"role": role, "title": titles.get(role, role), "holders": holders, "holder": state.roles.get(role)}
        for role, holders in spans.items()
    ]


def _communications(state: IncidentState, playbook: Playbook) -> list[dict[str, Any]]:
    """Every communication and locale: each draft, approval and delivery attempt, in order."""
    history: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for event in state.events:
        if not event.type.startswith("communication."):
            continue
        data = event.data
        key = (data["communication"], data.get("locale") or "")
        entry = history.setdefault(key, {"drafts": [], "approvals": [], "deliveries": []})
        at = parse_time(event.at)
        if event.type == ev.COMM_DRAFTED:
            entry["drafts"].append(
                {"at": at, "actor": event.actor, "sha256": data["sha256"], "template": data["template"]}
            )
        elif event.type == ev.COMM_APPROVED:
            entry["approvals"].append(
                {"at": at, "person": event.actor, "role": data["role"], "draft_sha256": data["draft_sha256"]}
            )
        elif event.type in ev.COMM_OUTCOMES:
            entry["deliveries"].append(
                {
                    "at": at,
                    "actor": event.actor,
                    "ok": event.type == ev.COMM_SENT,
                    "detail": data.get("detail", ""),
                    "outbox": data.get("outbox", ""),
                    "draft_sha256": data["draft_sha256"],
                }
            )
    rows = []
    for comm in playbook.communications:
        for locale in comm.locales or ("",):
            record = state.communications.get((comm.id, locale))
            entry = history.get((comm.id, locale), {"drafts": [], "approvals": [], "deliveries": []})
            latest = record.draft.sha256 if record is not None and record.draft is not None else None
            on_latest = {a["role"]: a["at"] for a in entry["approvals"] if a["draft_sha256"] == latest}
            approved = bool(comm.approvals) and all(role in on_latest for role in comm.approvals)
            approved_at = max(on_latest[role] for role in comm.approvals) if approved else None
            sent = [d for d in entry["deliveries"] if d["ok"]]
            start = notice_start(state, playbook, comm)
            due_at = start + comm.due if comm.due is not None and start is not None else None
            sent_at = sent[0]["at"] if sent else None
            rows.append(
                {
                    "id": comm.id,
                    "locale": locale,
                    "title": comm.title,
                    "audience": comm.audience,
                    "channel": comm.channel,
                    "status": communication_status(record, comm.approvals),
                    "required_approvals": list(comm.approvals),
                    "due_at": due_at,
                    "drafts": entry["drafts"],
                    "approvals": entry["approvals"],
                    "deliveries": entry["deliveries"],
                    "drafted_at": entry["drafts"][0]["at"] if entry["drafts"] else None,
                    "approved_at": approved_at,
                    "sent_at": sent_at,
                    "sent_s": _offset(state, sent_at),
                    "late_by": (sent_at - due_at).total_seconds()
                    if sent_at is not None and due_at is not None and sent_at > due_at
                    else None,
                    "text": record.draft.text if record is not None and record.draft is not None else "",
                    "lang": language_tag(locale),
                }
            )
    return rows


def _notes_with(state: IncidentState, prefix: str) -> list[dict[str, Any]]:
    """Notes starting with `lesson:` (any case), the prefix removed."""
    found = []
    for event in state.events:
        if event.type != ev.NOTE_ADDED:
            continue
        text = str(event.data["text"]).lstrip()
        if text[: len(prefix)].lower() == prefix:
            found.append(
                {
                    "text": text[len(prefix) :].strip(),
                    "at": parse_time(event.at),
                    "actor": event.actor,
                    "seq": event.seq,
                }
            )
    return found


def _input_history(state: IncidentState) -> list[dict[str, Any]]:
    """Every change of a fact, by stated time: when, who, which input, old and new value (also in words), why."""
    return [
        {
            "at": change.at,
            "actor": change.actor,
            "input": change.input,
            "previous": change.previous,
            "value": change.value,
            "previous_text": value_text(change.previous),
            "value_text": value_text(change.value),
            "note": change.note,
            "inject": change.inject,
            "seq": change.seq,
        }
        for change in in_stated_order(state.input_changes)
    ]


def _outcomes(state: IncidentState, playbook: Playbook) -> list[dict[str, Any]]:
    """Each customer outcome the playbook lists or the team measured: before, after, change, every measurement."""
    return [
        {
            "metric": item.metric,
            "title": item.title,
            "baseline": item.baseline,
            "latest": item.latest,
            "change": item.change,
            "verdict": item.verdict,
            "listed": item.listed,
            "measurements": [
                {"at": m.at, "actor": m.actor, "value": m.value, "baseline": m.baseline, "note": m.note}
                for m in item.measurements
            ],
        }
        for item in outcomes(state, playbook)
    ]


def _link(link: Link) -> dict[str, Any]:
    return {
        "incident": link.incident,
        "relation": link.relation,
        "words": link.words,
        "at": link.at,
        "actor": link.actor,
        "note": link.note,
    }


def _remedy(remedy: Remedy) -> dict[str, Any]:
    return {
        "id": remedy.id,
        "kind": remedy.kind,
        "qualifies": remedy.qualifies,
        "issued": remedy.issued,
        "value": remedy.value,
        "unit": remedy.unit,
        "total": remedy.total,
        "note": remedy.note,
        "at": remedy.at,
        "actor": remedy.actor,
        "issuances": [
            {"at": i.at, "actor": i.actor, "issued": i.issued, "previous": i.previous, "note": i.note}
            for i in remedy.issuances
        ],
    }


def _timeline(state: IncidentState) -> list[dict[str, Any]]:
    declared = state.declared_at
    items = []
    for event in sorted(state.events, key=lambda e: (e.at, e.seq)):
        at = parse_time(event.at)
        items.append(
            {
                "seq": event.seq,
                "at": at,
                "offset_s": (at - declared).total_seconds(),
                "recorded_at": parse_time(event.recorded_at),
                "type": event.type,
                "actor": event.actor,
                "summary": describe_event(event),
                "data": event.data,
                "hash": event.hash,
            }
        )
    return items


def report_context(
    state: IncidentState, playbook: Playbook, now: dt.datetime, metrics: IncidentMetrics | None = None
) -> dict[str, Any]:
    """Everything a post-mortem template is given: the notice names plus the report names (docs/reports.md).

    Once the incident is resolved, open steps are judged at the resolution, so a report written
    again later says the same.
    """
    metrics = metrics or measure(state, playbook, state.resolved_at or now)
    declared = state.events[0]
    severity_history = [
        {
            "at": state.declared_at,
            "from": None,
            "from_name": "",
            "to": declared.data["severity"],
            "to_name": _severity_name(playbook, declared.data["severity"]),
            "note": "declared",
            "actor": declared.actor,
        }
    ]
    for event in state.events:
        if event.type == ev.SEVERITY_CHANGED:
            data = event.data
            severity_history.append(
                {
                    "at": parse_time(event.at),
                    "from": data["from"],
                    "from_name": _severity_name(playbook, data["from"]),
                    "to": data["to"],
                    "to_name": _severity_name(playbook, data["to"]),
                    "note": data.get("note", ""),
                    "actor": event.actor,
                }
            )
    shared = incident_names(state, playbook)
    return {
        **shared,
        "incident": shared["incident"]
        | {
            "declared_by": state.declared_by,
            "resolved_at": state.resolved_at,
            "closed_at": state.closed_at,
            "role_history": _role_history(state, playbook),
        },
        "playbook": shared["playbook"] | {"sha256": state.playbook_sha256},
        "locale": "en",
        "now": in_display_zone(now),
        "communication": {"id": "", "title": "", "audience": "", "channel": "", "update_number": 1},
        "steps": [
            {
                "id": o.step.id,
                "title": o.step.title,
                "phase": o.step.phase,
                "role": o.step.role,
                "holder": o.holder,
                "status": o.status,
                "verdict": o.verdict,
                "overdue": o.overdue,
                "due_at": o.due_at,
                "started_at": o.started_at,
                "finished_at": o.finished_at,
                "late_by": o.late_by.total_seconds() if o.late_by is not None else None,
                "due_s": _offset(state, o.due_at),
                "applicable_since": o.applicable_since,
                "applicable_s": _offset(state, o.applicable_since),
                "started_s": _offset(state, o.started_at),
                "finished_s": _offset(state, o.finished_at),
                "note": o.note,
                "forced": o.forced,
                "actor": o.actor,
            }
            for o in metrics.steps
        ],
        "timeline": _timeline(state),
        "communications": _communications(state, playbook),
        "severity_history": severity_history,
        "input_history": _input_history(state),
        "outcomes": _outcomes(state, playbook),
        "remedies": [_remedy(remedy) for remedy in state.remedies.values()],
        "links": [_link(link) for link in state.links],
        "kpis": [
            {
                "id": k.id,
                "title": k.title,
                "value": k.value,
                "unit": k.unit,
                "text": kpi_text(k),
                "note": k.note,
                "listed": k.listed,
            }
            for k in metrics.kpis
        ],
        "lessons": _notes_with(state, LESSON_PREFIX),
        "actions": action_items(state, now),
        "evidence": evidence(state),
        "draft": state.status == "open",
    }


# -- Rendering ---------------------------------------------------------------------------------------


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates kept between runs; a cache that cannot be read or written is simply not used."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - a damaged or foreign cache file means: compile again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache(environment: CrisisSandbox) -> _QuietBytecodeCache | None:
    """A cache folder per Jinja, Python, crisisctl and environment setup, so stale code is never reused.

    Compiling the built-in HTML report takes longer than rendering a thousand events; the
    cached code is what the same sandboxed environment would compile, keyed by the source's hash.
    """
    import sys

    import jinja2
    import platformdirs

    from crisisctl import __version__

    setup = repr(
        (
            jinja2.__version__,
            sys.version_info[:2],
            __version__,
            type(environment).__qualname__,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.keep_trailing_newline,
            getattr(environment.finalize, "__name__", None),
            sorted(environment.filters),
        )
    )
    folder = platformdirs.user_cache_path("crisisctl", appauthor=False) / "report-templates"
    folder /= hashlib.sha256(setup.encode("utf-8")).hexdigest()[:16]
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return _QuietBytecodeCache(str(folder))


def render_report(name: str, roots: Sequence[Path], context: dict[str, Any], markdown: bool) -> str:
    """Render in the sandbox; every `{{ value }}` is made inert, and escaped for HTML or Markdown by kind."""
    environment = make_environment(roots)
    environment.finalize = _finalize_markdown if markdown else _finalize_html
    environment.bytecode_cache = _bytecode_cache(environment)
    text, _ = render_within_budget(
        environment,
        name,
        context,
        max_chars=REPORT_MAX_CHARS,
        max_seconds=REPORT_MAX_SECONDS,
        names_doc="docs/reports.md",
    )
    return text


def _with_notice(text: str, kind: str) -> str:
    """State at the top of the output that it was redacted, whatever the template did."""
    if kind == "html":
        banner = (
            '<p class="crisisctl-redacted" role="note" style="border:2px solid #8a6d00;background:#fff8db;'
            'color:#4a3b00;padding:8px 12px;margin:0 0 16px;font:600 14px/1.4 system-ui,sans-serif">'
            f"{REDACTION_NOTICE}</p>\n"
        )
        # At the top of the main content (where the landmark leads), else of the body.
        match = re.search(r"<main\b[^>]*>\n?", text, re.IGNORECASE) or re.search(r"<body[^>]*>\n?", text, re.IGNORECASE)
        if match is None:
            return banner + text
        return text[: match.end()] + banner + text[match.end() :]
    return f"> **{REDACTION_NOTICE}**\n\n{text}"


def choose_postmortem_template(
    playbook: Playbook, fmt: str, template_dir: Path, playbook_dir: Path
) -> tuple[str, list[Path], str]:
    """The playbook's `postmortem.template` when it is of the asked kind, else the built-in one.

    Returns the name, the roots to load it from, and a warning for the user (or "").
    """
    own = playbook.postmortem.template
    if own is None:
        return BUILTIN_POSTMORTEM[fmt], [BUILTIN_DIR], ""
    if ("html" if escapes_html(own) else "md") != fmt:
        warning = f"the playbook's post-mortem template {own} is not {fmt}; the built-in {fmt} report is used"
        return BUILTIN_POSTMORTEM[fmt], [BUILTIN_DIR], warning
    # The built-in folder comes last, so an own template may {% extends %} or {% include %} the built-in ones.
    return own, [template_dir, playbook_dir, BUILTIN_DIR], ""


def postmortem(
    state: IncidentState,
    playbook: Playbook,
    now: dt.datetime,
    fmt: str,
    *,
    template_dir: Path,
    playbook_dir: Path,
    redact: Redaction | None = None,
) -> Report:
    """The post-mortem report as Markdown or one self-contained HTML file; a draft while the incident is open."""
    state = prepare(state, redact)
    name, roots, warning = choose_postmortem_template(playbook, fmt, template_dir, playbook_dir)
    text = render_report(name, roots, report_context(state, playbook, now), markdown=fmt == "md")
    if redact:
        text = _with_notice(text, fmt)
    if fmt == "html":
        text = mark_languages(text)
    return Report(text, state.status == "open", warning)


# -- Exports ------------------------------------------------------------------------------------------


def export_json(state: IncidentState, playbook: Playbook, now: dt.datetime, *, redact: Redaction | None = None) -> str:
    """The whole incident: every event as stored (with its hashes) and the pinned playbook, text included."""
    state = prepare(state, redact)
    document: dict[str, Any] = {}
    if redact:
        document["notice"] = REDACTION_NOTICE
    document |= {
        "schema": EXPORT_SCHEMA,
        "exported_at": format_time(now),
        "redacted": redact is not None,
        "incident": {
            "id": state.id,
            "title": state.title,
            "status": state.status,
            "severity": state.severity,
            "drill": state.drill,
            "declared_at": format_time(state.declared_at),
            "declared_by": state.declared_by,
            "resolved_at": format_time(state.resolved_at) if state.resolved_at else None,
            "closed_at": format_time(state.closed_at) if state.closed_at else None,
            "summary": state.summary,
            "inputs": state.inputs,
            "roles": state.roles,
        },
        "playbook": {
            "id": state.playbook_id,
            "version": state.playbook_version,
            "sha256": state.playbook_sha256,
            "text": playbook.text,
        },
        "events": [event.as_record() for event in state.events],
    }
    return json.dumps(document, ensure_ascii=True, indent=2) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading single quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_csv(
    state: IncidentState, *, redact: Redaction | None = None, for_terminal: bool = False, bom: bool = False
) -> str:
    """The timeline, one event a row, oldest first; cells that would start a formula are neutralised.

    `for_terminal`: the text may reach a terminal (standard output, even through a pipe to
    `less -R` or `tee`), so control, escape and bidi characters in cells are shown as escapes.
    `bom`: start with the UTF-8 byte order mark, for Excel.
    """
    state = prepare(state, redact)
    buffer = io.StringIO()
    if bom:
        buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    notice = REDACTION_NOTICE if redact else ""

    def cell(value: str) -> str:
        return neutralise_cell(inert(value) if for_terminal else value)

    for event in sorted(state.events, key=lambda e: (e.at, e.seq)):
        writer.writerow(
            [
                event.seq,
                _csv_time(event.at),
                _csv_time(event.recorded_at),
                cell(event.type),
                cell(event.actor),
                cell(describe_event(event)),
                notice,
            ]
        )
    return buffer.getvalue()


def _csv_time(stored: str) -> str:
    """A stored time in the display zone, still ISO 8601 with its offset so that spreadsheets read it exactly."""
    return in_display_zone(parse_time(stored)).isoformat(timespec="microseconds")


def export_markdown(
    state: IncidentState, playbook: Playbook, now: dt.datetime, *, redact: Redaction | None = None
) -> str:
    """A readable record of the incident: facts, steps, notices with their texts, and every event."""
    state = prepare(state, redact)
    text = render_report(BUILTIN_RECORD, [BUILTIN_DIR], report_context(state, playbook, now), markdown=True)
    return _with_notice(text, "md") if redact else text
