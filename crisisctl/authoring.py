"""Scaffolding for playbook authors: a ready playbook repository, and a commented playbook per category."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import posixpath
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from crisisctl import __version__
from crisisctl.authoring_locales import LOCALISED_AUDIENCES, localised_templates, notice_locales
from crisisctl.errors import RefusedError, UsageError
from crisisctl.playbook.format import playbook_json_schema
from crisisctl.playbook.scenario import scenario_json_schema
from crisisctl.playbook.vocabulary import CATEGORIES, PHASES, SLUG_PATTERN
from crisisctl.samples import SAMPLE_FOLDERS, samples_root

PLAYBOOK_SCHEMA = PurePosixPath("schema/playbook-v1.json")
SCENARIO_SCHEMA = PurePosixPath("schema/scenario-v1.json")
SCHEMA_COMMENT = "# yaml-language-server: $schema="
HOOK_ID = "crisisctl-validate"
MAX_TEXT = 200
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cn", "Co", "Zl", "Zp"})
_REFUSED_FORMATS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_SHOWN_NAMES = 10


# --- writing files: all or nothing ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewFile:
    """A file to create: where it goes and its text."""

    path: Path
    text: str


def write_new_files(files: Sequence[NewFile], *, force: bool = False) -> list[Path]:
    """Write every file, or refuse before writing any: existing files need `force`."""
    blocked = [str(path) for path in (_blocker(new.path) for new in files) if path is not None]
    if blocked:
        raise RefusedError(
            f"in the way of the new files: {_names(sorted(set(blocked)))}",
            "move these out of the way, or choose another folder; nothing was written",
        )
    existing = [new.path for new in files if new.path.exists() or new.path.is_symlink()]
    if existing and not force:
        raise RefusedError(
            f"refusing to overwrite {len(existing)} existing file(s): {_names([str(path) for path in existing])}",
            "pass --force to overwrite them, or choose another folder; nothing was written",
        )
    made: list[Path] = []  # the files and folders this run creates, undone if a later one fails
    for new in files:
        try:
            missing = [folder for folder in (new.path.parent, *new.path.parent.parents) if not folder.exists()]
            new.path.parent.mkdir(parents=True, exist_ok=True)
            made.extend(reversed(missing))
            if new.path.is_symlink():
                new.path.unlink()  # replace the link itself, never the file it points to
            elif not new.path.exists():
                made.append(new.path)
            new.path.write_text(new.text, encoding="utf-8")
        except OSError as error:
            _undo(made)
            raise UsageError(
                f"cannot write {new.path}: {error.strerror or error}",
                "check the folder's permissions and free space; the new files written before it were removed",
            ) from None
    return [new.path for new in files]


def _undo(made: Sequence[Path]) -> None:
    """Remove what a failed run created, newest first (files, then the folders that held them)."""
    for path in reversed(made):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()


def _blocker(path: Path) -> Path | None:
    """A folder where the file should go, or a file where one of its folders should be."""
    if path.is_dir() and not path.is_symlink():
        return path
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN_NAMES])
    more = len(names) - _SHOWN_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


# --- crisisctl init: a playbook repository ----------------------------------------------------


def init_repository(target: Path, *, force: bool = False, samples: Path | None = None) -> list[Path]:
    """Write a ready playbook repository into `target`: samples, schemas, hooks, CI and editor settings."""
    files = repository_files(samples if samples is not None else samples_root())
    return write_new_files([NewFile(target / str(relative), text) for relative, text in files], force=force)


def repository_files(samples: Path) -> list[tuple[PurePosixPath, str]]:
    """Every file of a new playbook repository, by path relative to its top."""
    sample_files = _sample_files(samples)
    return [
        *sample_files,
        (PLAYBOOK_SCHEMA, _json(playbook_json_schema())),
        (SCENARIO_SCHEMA, _json(scenario_json_schema())),
        (PurePosixPath("README.md"), _repository_readme(_drill_example(sample_files))),
        (PurePosixPath(".pre-commit-config.yaml"), PRE_COMMIT_CONFIG),
        (PurePosixPath(".github/workflows/playbooks.yml"), WORKFLOW.replace("{version}", __version__)),
        (PurePosixPath(".vscode/settings.json"), _json(_editor_settings())),
        (PurePosixPath(".vscode/extensions.json"), _json({"recommendations": ["redhat.vscode-yaml"]})),
    ]


def _sample_files(samples: Path) -> list[tuple[PurePosixPath, str]]:
    """The sample playbooks, scenarios and templates, with their schema comments aimed at schema/."""
    found: list[tuple[PurePosixPath, str]] = []
    for folder in SAMPLE_FOLDERS:
        for path in sorted((samples / folder).rglob("*")):
            relative = PurePosixPath(path.relative_to(samples).as_posix())
            if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                continue
            text = path.read_text(encoding="utf-8")
            if folder == "playbooks" and path.suffix in (".yaml", ".yml"):
                schema = SCENARIO_SCHEMA if relative.parent.name == "scenarios" else PLAYBOOK_SCHEMA
                text = with_schema_comment(text, posixpath.relpath(schema, relative.parent))
            found.append((relative, text))
    return found


def with_schema_comment(text: str, schema: str) -> str:
    """The YAML text with its first-line schema comment (for the YAML language server) aimed at `schema`."""
    comment = f"{SCHEMA_COMMENT}{schema}"
    first, newline, rest = text.partition("\n")
    if first.startswith(SCHEMA_COMMENT):
        return f"{comment}{newline}{rest}"
    return f"{comment}\n{text}"


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _editor_settings() -> dict[str, object]:
    return {
        "yaml.schemas": {
            f"./{PLAYBOOK_SCHEMA}": ["playbooks/*.yaml", "playbooks/*.yml"],
            f"./{SCENARIO_SCHEMA}": ["playbooks/scenarios/*.yaml", "playbooks/scenarios/*.yml"],
        },
    }


def _drill_example(sample_files: Sequence[tuple[PurePosixPath, str]]) -> tuple[str, str] | None:
    """A (playbook id, scenario path) pair from the samples for the README, preferring data-leak."""
    from crisisctl.playbook.yamlsource import YScalar, load_text

    pairs: list[tuple[str, str]] = []
    for relative, text in sample_files:
        if relative.parent != PurePosixPath("playbooks/scenarios"):
            continue
        document = load_text(text, str(relative)).document
        named = document.items.get("playbook") if document is not None else None
        if isinstance(named, YScalar) and isinstance(named.value, str):
            pairs.append((named.value, str(relative)))
    preferred = [pair for pair in pairs if pair[0] == "data-leak"] or pairs
    return preferred[0] if preferred else None


PRE_COMMIT_CONFIG = f"""\
# Checks the playbooks, their templates and the drill scenarios before every commit.
# Once per clone: pip install pre-commit && pre-commit install
# The hooks run the crisisctl installed on your PATH (pip install crisisctl).
repos:
  - repo: local
    hooks:
      - id: {HOOK_ID}
        name: crisisctl playbook validate
        entry: crisisctl playbook validate
        language: system
        files: ^(playbooks|templates)/
        pass_filenames: false  # the set is checked as a whole: ids across files, templates, scenarios
      - id: crisisctl-drill-test
        name: crisisctl drill test
        entry: crisisctl drill test
        language: system
        files: ^(playbooks|templates)/
        pass_filenames: false  # a perfect team plays every scenario: can the playbooks still meet them?
      # Readiness judges the calendar and the team (drills and reviews due, a roster with deputies),
      # not the change being committed: it runs before a push, once you opt in with
      # `pre-commit install --hook-type pre-push`, and on demand: pre-commit run --hook-stage manual
      - id: crisisctl-readiness
        name: crisisctl readiness
        entry: crisisctl readiness
        language: system
        pass_filenames: false
        always_run: true
        stages: [pre-push, manual]
"""

_JOB_SETUP = """\
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # The crisisctl these playbooks are written for. If it is not on your package index,
      # install it from its source: pip install "crisisctl @ git+https://YOUR-GIT-HOST/crisisctl@v{version}"
      - run: pip install "crisisctl=={version}"
"""

WORKFLOW = f"""\
# Checks every playbook, template and drill scenario on each push and pull request, and whether
# the plans are ready (drills and reviews on time, two trained people per required role) every week.
# Problems appear as annotations on the lines at fault, and fail the check.
name: playbooks
on:
  pull_request:
  push:
    branches: [main]
  schedule:
    - cron: "0 6 * * 1"  # Mondays: a drill or review falls due with no commit at all
permissions:
  contents: read
jobs:
  validate:
{_JOB_SETUP}      - run: crisisctl playbook validate --format github
      - run: crisisctl drill test  # a perfect team plays every scenario
  # A separate check: an overdue drill says nothing about a pull request's change. CI has no incident log,
  # so record drills in each playbook's drill.last_drilled.
  readiness:
{_JOB_SETUP}      - run: crisisctl readiness
"""


def _repository_readme(drill: tuple[str, str] | None) -> str:
    playbook, scenario = drill or ("PLAYBOOK", "playbooks/scenarios/SCENARIO.yaml")
    return f"""\
# Crisis playbooks

Our plans for customer-facing crises, one YAML playbook per kind of crisis: what
starts the plan, who does what and by when, and what we tell customers.
crisisctl checks them, rehearses them in drills and runs real incidents from
them.

| path | what it holds |
| --- | --- |
| `playbooks/` | the playbooks, one per file |
| `playbooks/scenarios/` | drill scenarios, each rehearsing one playbook |
| `templates/` | the notices the playbooks send, as Jinja templates |
| `schema/` | the JSON Schemas editors use (`crisisctl playbook schema`) |
| `.pre-commit-config.yaml` | checks the playbooks before every commit |
| `.github/workflows/playbooks.yml` | checks them on every pull request |
| `.vscode/` | completion and checks while editing (YAML extension) |

## Set up

```sh
pip install "crisisctl=={__version__}"     # the version the CI workflow pins
pip install pre-commit && pre-commit install  # optional: check before every commit
```

## Check the playbooks

Run this after every change; it lists every problem in every file, with file,
line, column and a hint. CI runs the same check.

```sh
crisisctl playbook validate
crisisctl playbook list
crisisctl playbook show {playbook}
```

## Write a new playbook

```sh
crisisctl playbook new      # asks for the category, id, title and owner
crisisctl playbook new --category service-outage --id checkout-outage --title "Customers cannot pay"
```

This writes a commented playbook with default phases, roles and steps into
`playbooks/`, and its notice templates into `templates/`. Adapt it, then
validate.

## Rehearse: a drill

A drill runs a playbook against a scenario of timed events, on a clock that can
run faster than real time, and scores the response.

```sh
crisisctl drill run {playbook} --scenario {scenario} --speed 60
crisisctl drill start {playbook} --scenario {scenario}   # or script it: returns at once
crisisctl next INC-1
crisisctl drill report INC-1
crisisctl drill status                                    # which playbooks are due a drill
crisisctl drill test                                      # can a perfect team meet every scenario?
```

## Ready?

```sh
crisisctl readiness
```

Exit 1 names what is not ready: a drill or review overdue, a required role with
fewer than two trained people in `playbooks/people.yaml`, a notice missing a
locale's template. The samples have never been drilled here and come without a
roster, so readiness fails until you add `people.yaml` and hold (or record in
`drill.last_drilled`) a drill of each. CI runs it as its own check.

## Respond: a real incident

```sh
crisisctl declare {playbook} --assign incident-lead=alice   # asks for the required facts
crisisctl next INC-2                                           # what to do now, soonest due first
crisisctl step done INC-2 STEP --note "what was done"
crisisctl comms draft INC-2 COMMUNICATION                      # then comms approve, comms send
crisisctl resolve INC-2 --summary "what fixed it"
crisisctl postmortem INC-2 -o INC-2-postmortem.md
```

The incident log is not kept in this repository: it holds customer data. It
lives in your user data folder (`crisisctl db path`), or wherever `--db` or
`CRISISCTL_DB` points, for example a folder shared by the response team.
"""


# --- crisisctl playbook new: a commented playbook for a category ------------------------------


@dataclass(frozen=True, slots=True)
class PlaybookRequest:
    """What the author chose: the category, the playbook's id and title, and who owns it."""

    category: str
    playbook_id: str
    title: str | None = None  # None: the category's usual title
    owner: str | None = None
    locales: tuple[str, ...] = ()  # language versions of notices to customers, key accounts and regulators


def category_problem(value: str) -> str | None:
    """Why `value` is not a category, or None."""
    if value in CATEGORIES:
        return None
    return f"`{value}` is not a category; use one of {', '.join(CATEGORIES)}"


def id_problem(value: str, used: Mapping[str, str]) -> str | None:
    """Why `value` cannot be the new playbook's id, given the ids in use (`playbook_ids`), or None."""
    return _slug_problem(value) or _taken_problem(value, used)


def _slug_problem(value: str) -> str | None:
    if re.fullmatch(SLUG_PATTERN, value):
        return None
    return f"`{value}` is not a slug: use lower-case letters, digits and hyphens, starting with a letter or digit"


def _taken_problem(value: str, used: Mapping[str, str]) -> str | None:
    used_by = used.get(value)
    return None if used_by is None else f"the playbook id `{value}` is already used by {used_by}"


def text_problem(value: str, what: str) -> str | None:
    """Why `value` cannot be the playbook's title or owner, or None."""
    if not value.strip():
        return f"the {what} is empty"
    if len(value) > MAX_TEXT:
        return f"the {what} is longer than {MAX_TEXT} characters"
    # Line breaks and controls would end the YAML value; bidirectional overrides hide what it says.
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES or char in _REFUSED_FORMATS for char in value):
        return f"the {what} holds a line break or control character"
    return None


def playbook_ids(playbooks: Path) -> dict[str, str]:
    """The ids already used in the playbook folder, with the file that uses each."""
    from crisisctl.playbook.files import discover
    from crisisctl.playbook.yamlsource import YScalar, load_file

    if not playbooks.is_dir():
        return {}
    ids: dict[str, str] = {}
    for path in discover([playbooks]):
        document = load_file(path).document
        node = document.items.get("id") if document is not None else None
        if isinstance(node, YScalar) and isinstance(node.value, str):
            ids.setdefault(node.value, str(path))
    return ids


def default_title(category: str) -> str:
    return PLAN_BY_CATEGORY[category].title


def category_summary(category: str) -> str:
    return PLAN_BY_CATEGORY[category].summary


def suggested_id(category: str, used: Mapping[str, str]) -> str:
    """The category's own name, or the first free `CATEGORY-N`."""
    candidates = [category, *(f"{category}-{number}" for number in range(2, 100))]
    return next((candidate for candidate in candidates if candidate not in used), category)


def new_playbook(request: PlaybookRequest, playbooks: Path, templates: Path, today: dt.date) -> list[Path]:
    """Write the playbook and its templates; refuse if any file exists or the answers do not fit."""
    for problem, flag in (
        (category_problem(request.category), "--category"),
        (_slug_problem(request.playbook_id), "--id"),
        (text_problem(request.title, "title") if request.title is not None else None, "--title"),
        (text_problem(request.owner, "owner") if request.owner is not None else None, "--owner"),
    ):
        if problem:
            raise UsageError(problem, f"pass another {flag}")
    notice_locales(request.locales)  # refuses a malformed --locale before anything is written
    taken = _taken_problem(request.playbook_id, playbook_ids(playbooks))
    if taken:
        raise RefusedError(taken, "pass another --id; nothing was written")
    schema = playbooks.parent / str(PLAYBOOK_SCHEMA)
    schema_ref = posixpath.relpath(schema.resolve().as_posix(), playbooks.resolve().as_posix())
    text = playbook_text(request, today, schema_ref if schema.is_file() else None)
    files = [NewFile(playbooks / f"{request.playbook_id}.yaml", text)]
    files += [NewFile(templates / name, body) for name, body in playbook_templates(request).items()]
    return write_new_files(files)


# --- the skeleton per category ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleSpec:
    id: str
    title: str
    responsibilities: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True, slots=True)
class InputSpec:
    id: str
    type: str
    prompt: str
    required: bool = False
    default: str | None = None  # YAML text


# The figure after the crisis and the one before it, for each customer outcome a skeleton lists as a KPI.
OUTCOME_PROMPTS = {
    "customer_satisfaction": (
        "Customer satisfaction after the crisis (follow-up survey score)? Recorded with crisisctl measure",
        "Customer satisfaction before the crisis (same survey and scale)?",
    ),
    "complaint_resolution_rate": (
        "Share of complaints resolved at follow-up, in percent? Recorded with crisisctl measure",
        "Share of complaints resolved before the crisis, in percent?",
    ),
    "complaint_handling_time": (
        "Average complaint handling time at follow-up, in hours? Recorded with crisisctl measure",
        "Average complaint handling time before the crisis, in hours?",
    ),
    "churn_rate": (
        "Monthly churn after the crisis, in percent of customers? Recorded with crisisctl measure",
        "Monthly churn before the crisis, in percent of customers?",
    ),
}


def outcome_inputs(kpis: Sequence[str]) -> list[InputSpec]:
    """The inputs that fill the customer outcomes among the KPIs (never asked at declaration)."""
    specs = []
    for kpi in kpis:
        if kpi in OUTCOME_PROMPTS:
            after, before = OUTCOME_PROMPTS[kpi]
            specs += [InputSpec(kpi, "number", after), InputSpec(f"{kpi}_baseline", "number", before)]
    return specs


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    id: str
    description: str
    when: tuple[str, ...]  # YAML lines of the condition
    severity: str


@dataclass(frozen=True, slots=True)
class StepSpec:
    id: str
    title: str
    phase: str
    role: str
    due: str | None = None
    depends_on: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    communication: str | None = None
    when: str | None = None  # YAML flow mapping


@dataclass(frozen=True, slots=True)
class CommSpec:
    id: str
    title: str
    audience: str
    channel: str
    file: str  # inside the playbook's template folder
    approvals: tuple[str, ...]
    due: str | None
    body: str


@dataclass(frozen=True, slots=True)
class CategoryPlan:
    """What differs between categories; the rest of the skeleton is shared."""

    title: str
    summary: str
    tags: tuple[str, ...]
    owner: RoleSpec
    triggers: tuple[TriggerSpec, ...]
    inputs: tuple[InputSpec, ...]
    confirm: tuple[str, str, tuple[str, ...]]  # title, due, checklist
    fix: tuple[str, str, tuple[str, ...]]
    recover: tuple[str, tuple[str, ...]]
    notice_title: str
    notice_due: str
    notice_doing: str
    notice_you: str
    kpis: tuple[str, ...]
    legal: bool | None = None  # None: no legal role; else whether it is required
    cause_due: str = "24h"
    recover_due: str = "7d"
    review_due: str = "30d"
    notice_audience: str = "customers"
    notice_facts: str = ""
    extra_steps: tuple[StepSpec, ...] = ()
    extra_comms: tuple[CommSpec, ...] = ()


INCIDENT_LEAD = RoleSpec(
    "incident-lead",
    "Incident lead",
    ("Declares the incident and commands the response", "Sets the severity and decides the remedy", "Approves closure"),
    required=True,
)
COMMS_LEAD = RoleSpec(
    "comms-lead",
    "Communications lead",
    ("Owns every word said outside the company", "Keeps every channel saying the same thing"),
)
CS_LEAD = RoleSpec(
    "cs-lead",
    "Customer-service lead",
    ("Runs the hotline, the scripts and the complaint records", "Briefs and staffs the customer-facing teams"),
)
SCRIBE = RoleSpec("scribe", "Scribe", ("Keeps the timeline: what was decided, when and by whom",))


def _legal(required: bool) -> RoleSpec:
    return RoleSpec(
        "legal",
        "Legal and compliance",
        ("Handles regulators and notification duties", "Approves notices before they are sent"),
        required=required,
    )


def _leaf(metric: str, op: str, value: str) -> str:
    return f'{{ metric: {metric}, op: "{op}", value: {value} }}'


def _above_baseline(metric: str, times: int, at_least: int) -> tuple[str, ...]:
    """`metric` at least `at_least` and more than `times` its baseline."""
    return (
        "all:",
        f"  - {_leaf(metric, '>=', str(at_least))}",
        f"  - {_leaf(metric, '>', f'{{ metric: {metric}_baseline, times: {times} }}')}",
    )


COMMON_INPUTS = (
    InputSpec("issue_summary", "string", "In one plain sentence, what is happening to customers?", required=True),
    InputSpec("affected_customers", "integer", "Roughly how many customers are affected?", default="0"),
    InputSpec("info_url", "string", "Web page where customers find updates", default='"https://www.example.com/help"'),
)

STATUS_UPDATE = """\
{# Posted on the status page. Say what does not work, for whom, and when the next update comes. #}
{% if incident.drill %}
[DRILL - DO NOT POST]

{% endif %}
**{{ inputs.affected_service }}: {{ 'we are working on a problem' if incident.status == 'open' else 'resolved' }}**
({{ now | datetime(locale) }})

{% if incident.status == 'open' %}
{{ inputs.issue_summary }} We are sorry. Our engineers are working on it and we will
update this page at least every 30 minutes.
{% else %}
{{ inputs.affected_service }} is working normally again. We are sorry for the trouble
this caused. We will publish what went wrong and what we are changing at {{ inputs.info_url }}.
{% endif %}
"""

REGULATOR_NOTICE = """\
{# To the data-protection authority, within 72 hours of becoming aware. Legal approves it. #}
Subject: {% if incident.drill %}[DRILL - DO NOT SEND] {% endif %}Personal data breach notification - {{ incident.id }}

{% if incident.drill %}
**DRILL.** This notice was produced during an exercise. It must not be sent.

{% endif %}
To the data-protection authority,

We are notifying a personal data breach.

- Our reference: {{ incident.id }}
- Declared: {{ incident.declared_at | datetime(locale) }}
- What happened: {{ inputs.issue_summary }}
- Personal data involved: {{ inputs.data_types | human_list(locale) }}
- Customers affected (approximately): {{ inputs.affected_customers }}

We have contained the breach and are informing the customers affected. We will
send further information as our investigation establishes it.

{{ roles['legal'] or 'Legal and compliance' }}
"""

AUTHORITY_NOTICE = """\
{# To the product-safety authority, when the defect could cause harm. Legal approves it. #}
Subject: {% if incident.drill %}[DRILL - DO NOT SEND] {% endif %}Product safety notification: {{ inputs.product_name }} - {{ incident.id }}

{% if incident.drill %}
**DRILL.** This notice was produced during an exercise. It must not be sent.

{% endif %}
To the product-safety authority,

We are notifying a safety problem with {{ inputs.product_name }}.

- Our reference: {{ incident.id }}
- Declared: {{ incident.declared_at | datetime(locale) }}
- What we know: {{ inputs.issue_summary }}
- Customers who may hold the product (approximately): {{ inputs.affected_customers }}

We have stopped sale and shipment of the affected batches and will send our
corrective-action plan as soon as it is decided.

{{ roles['legal'] or 'Legal and compliance' }}
"""  # noqa: E501 - a subject line is one line

HOLDING_STATEMENT = """\
{# A first public statement within the hour: we know, we take it seriously, when we will say more. #}
{% if incident.drill %}[DRILL - DO NOT POST] {% endif %}
We have seen what is being said about {{ inputs.topic }}. We take it seriously and are establishing the facts now. We will update here within 24 hours: {{ inputs.info_url }}
"""  # noqa: E501 - a subject line is one line

KEY_ACCOUNT_LETTER = """\
{# A personal letter to each key account, signed by the account manager. #}
{% if incident.drill %}[DRILL - DO NOT SEND]

{% endif %}
Dear customer,

Thank you for the time you gave us to hear your concerns. You are one of our
most valued customers, and we have not lived up to what you expect of us.

{{ inputs.issue_summary }}

Here is what we are changing, and by when. {{ roles['account-manager'] or 'Your account manager' }}
will call you this week to go through it with you, and to hear what else we
must put right.

Yours sincerely,

{{ roles['incident-lead'] or 'The management team' }}
"""


PLAN_BY_CATEGORY: dict[str, CategoryPlan] = {
    "complaint-surge": CategoryPlan(
        title="Complaint surge",
        summary="Complaints jump far above normal, usually about one product or service fault.",
        tags=("complaints", "customer-service"),
        owner=RoleSpec(
            "product-owner",
            "Product or process owner",
            ("Finds the root cause of the fault and fixes it", "Explains the fault in plain words for customers"),
            required=True,
        ),
        triggers=(
            TriggerSpec(
                "complaints-threefold",
                "Complaints per hour at three times the baseline, and at least 20.",
                _above_baseline("complaints_per_hour", 3, 20),
                "sev2",
            ),
        ),
        inputs=(
            InputSpec(
                "affected_offering",
                "string",
                "Which product, service or process is at fault, as customers know it?",
                required=True,
            ),
        ),
        confirm=(
            "Confirm the surge is real and name the dominant issue",
            "1h",
            (
                "Rule out expected peaks: a campaign mail-out, seasonal volume, a known outage",
                "Read at least 20 recent complaints and tag them by topic",
            ),
        ),
        fix=(
            "Fix the fault and decide a fair remedy",
            "24h",
            (
                "Decide the fix and its date",
                "Offer the remedy to every affected customer, not only those who complained",
            ),
        ),
        recover=(
            "Answer every complainant and bring volumes back to normal",
            (
                "Reply to every recorded complaint with the agreed remedy",
                "Complaints per hour within 1.5 times the baseline for 48 hours",
                "Survey complainants two weeks after their complaint was closed",
            ),
        ),
        notice_title="Known-issue notice to affected customers",
        notice_due="4h",
        notice_doing=(
            "We are fixing the cause now. Once it is fixed we will offer a fair remedy to\n"
            "every customer affected by {{ inputs.affected_offering }}, whether or not you contacted us."
        ),
        notice_you="If you have already contacted us, you do not need to do so again: we will reply to you personally.",
        kpis=("time_to_acknowledge", "time_to_first_notice", "complaint_resolution_rate", "customer_satisfaction"),
    ),
    "service-outage": CategoryPlan(
        title="Service outage",
        summary="The service is down or badly degraded for customers.",
        tags=("availability",),
        owner=RoleSpec(
            "service-owner",
            "Service owner",
            ("Diagnoses the failure", "Restores the service and confirms it works"),
            required=True,
        ),
        triggers=(
            TriggerSpec(
                "service-down",
                "Errors above 5 percent, or the service down for five minutes.",
                ("any:", f"  - {_leaf('error_rate', '>=', '0.05')}", f"  - {_leaf('downtime_minutes', '>=', '5')}"),
                "sev1",
            ),
        ),
        inputs=(
            InputSpec(
                "affected_service", "string", "Which service or feature is down, as customers call it?", required=True
            ),
        ),
        confirm=(
            "Confirm the outage and which customers it hits",
            "15m",
            (
                "Reproduce the failure as a customer would meet it",
                "Note the regions, products and channels affected",
            ),
        ),
        fix=(
            "Restore the service",
            "4h",
            (
                "Roll back the last change or fail over",
                "Confirm with a real customer journey that it works again",
            ),
        ),
        recover=(
            "Make good for affected customers",
            (
                "Refund or credit customers who were charged twice or missed out",
                "Close the status notice with a final note once stable for an hour",
            ),
        ),
        notice_title="Email to affected customers",
        notice_due="24h",
        notice_doing="We have found the cause, and our engineers are making sure it cannot happen again.",
        notice_you=(
            "If you were charged for something you did not receive, you do not need to do anything:\n"
            "we will refund you."
        ),
        kpis=("time_to_acknowledge", "time_to_first_notice", "time_to_resolve", "steps_on_time_ratio"),
        cause_due="2h",
        extra_steps=(
            StepSpec(
                "status-page",
                "Post on the status page, and update it at least every 30 minutes",
                "respond",
                "comms-lead",
                due="30m",
                depends_on=("confirm",),
                communication="status-update",
            ),
        ),
        extra_comms=(
            CommSpec(
                "status-update",
                "Status page update",
                "customers",
                "web",
                "status-update.md.j2",
                ("incident-lead",),
                "30m",
                STATUS_UPDATE,
            ),
        ),
    ),
    "data-leak": CategoryPlan(
        title="Customer data leak",
        summary="Personal data of customers exposed or stolen.",
        tags=("privacy", "legal"),
        owner=RoleSpec(
            "security-lead",
            "Security lead",
            ("Confirms and stops the exposure", "Establishes what data and which customers are affected"),
            required=True,
        ),
        legal=True,
        triggers=(
            TriggerSpec(
                "records-exposed",
                "Any customer record confirmed exposed.",
                (_leaf("records_exposed", ">", "0"),),
                "sev1",
            ),
        ),
        inputs=(InputSpec("data_types", "list", "Which kinds of personal data were exposed?", default="[email]"),),
        confirm=(
            "Confirm the exposure and stop it spreading",
            "2h",
            (
                "Close the exposed endpoint or revoke the leaked credentials",
                "Preserve logs and evidence before anything is changed",
            ),
        ),
        fix=(
            "Remove the cause of the leak for good",
            "3d",
            ("Fix the configuration or code that exposed the data", "Look for the same weakness elsewhere"),
        ),
        recover=(
            "Support affected customers and rebuild trust",
            (
                "Answer every customer question within a day",
                "Offer password resets or identity monitoring where the data calls for it",
            ),
        ),
        notice_title="Notice to affected customers",
        notice_due="72h",
        notice_facts="The information involved is {{ inputs.data_types | human_list(locale) }}.",
        notice_doing=(
            "We have closed the way the information was exposed, we are investigating how it\n"
            "happened, and we are informing the data-protection authority."
        ),
        notice_you=(
            "Be careful with emails, messages or calls that mention your details. We will never\n"
            "ask you for your password."
        ),
        kpis=("time_to_first_notice", "time_to_resolve", "complaint_resolution_rate", "churn_rate"),
        extra_steps=(
            StepSpec(
                "notify-regulator",
                "Notify the data-protection authority",
                "respond",
                "legal",
                due="72h",
                depends_on=("confirm",),
                communication="regulator-notice",
                when='{ input: affected_customers, op: ">", value: 0 }',
            ),
        ),
        extra_comms=(
            CommSpec(
                "regulator-notice",
                "Breach notification to the data-protection authority",
                "regulator",
                "email",
                "regulator-notice.md.j2",
                ("legal",),
                "72h",
                REGULATOR_NOTICE,
            ),
        ),
    ),
    "product-quality": CategoryPlan(
        title="Product quality or safety problem",
        summary="A defect or safety problem in a product, possibly leading to a recall.",
        tags=("quality", "safety"),
        owner=RoleSpec(
            "quality-owner",
            "Product quality owner",
            ("Investigates the defect and its cause", "Decides with the incident lead whether to recall"),
            required=True,
        ),
        legal=True,
        triggers=(
            TriggerSpec(
                "defect-reports-rising",
                "Defect reports per day at three times the baseline, and at least 5.",
                _above_baseline("defect_reports_per_day", 3, 5),
                "sev2",
            ),
            TriggerSpec(
                "injury-reported", "Any report of injury or illness.", (_leaf("injury_reports", ">", "0"),), "sev1"
            ),
        ),
        inputs=(
            InputSpec("product_name", "string", "Which product (name, model, batch) is affected?", required=True),
            InputSpec("safety_risk", "boolean", "Could the defect cause injury, illness or damage?", default="false"),
        ),
        confirm=(
            "Confirm the defect and which batches it affects",
            "4h",
            ("Test returned units and collect the defect reports", "Identify the batches, dates and markets affected"),
        ),
        fix=(
            "Decide and carry out the remedy: repair, replacement, refund or recall",
            "3d",
            (
                "Stop sale and shipment of the affected batches",
                "Set up returns with retailers and a dedicated hotline",
            ),
        ),
        recover=(
            "Complete the remedy and win customers back",
            (
                "Track returns and refunds until every affected customer is served",
                "Explain publicly what caused the defect and what has changed",
            ),
        ),
        notice_title="Notice to customers who bought the product",
        notice_due="24h",
        notice_facts="This concerns {{ inputs.product_name }}.",
        notice_doing="We have stopped selling the affected products while we investigate, and we will put this right.",
        notice_you=(
            "{% if inputs.safety_risk %}Please stop using the product now. {% endif %}"
            "Keep it, and your receipt if you have it:\nwe will tell you how to return it."
        ),
        kpis=("time_to_first_notice", "time_to_resolve", "complaint_resolution_rate", "customer_satisfaction"),
        extra_steps=(
            StepSpec(
                "notify-authority",
                "Notify the product-safety authority",
                "respond",
                "legal",
                due="48h",
                depends_on=("confirm",),
                communication="authority-notice",
                when='{ input: safety_risk, op: "==", value: true }',
            ),
        ),
        extra_comms=(
            CommSpec(
                "authority-notice",
                "Notice to the product-safety authority",
                "regulator",
                "email",
                "authority-notice.md.j2",
                ("legal", "incident-lead"),
                "48h",
                AUTHORITY_NOTICE,
            ),
        ),
    ),
    "pr-crisis": CategoryPlan(
        title="Media or social-media storm",
        summary="Negative press or social-media coverage that hurts our reputation and customers' trust.",
        tags=("reputation", "media"),
        owner=RoleSpec(
            "issue-owner",
            "Owner of the issue",
            ("Establishes the facts behind the story", "Puts right what the company got wrong"),
            required=True,
        ),
        legal=False,
        triggers=(
            TriggerSpec(
                "negative-mentions-spike",
                "Negative mentions per hour at five times the baseline, and at least 50.",
                _above_baseline("negative_mentions_per_hour", 5, 50),
                "sev2",
            ),
            TriggerSpec(
                "press-enquiries",
                "Three or more press enquiries about one topic.",
                (_leaf("press_enquiries", ">=", "3"),),
                "sev2",
            ),
        ),
        inputs=(InputSpec("topic", "string", "What are people saying, in a few words?", required=True),),
        confirm=(
            "Establish the facts behind the story",
            "2h",
            (
                "Find the original post or article and how far it has spread",
                "Sort what is true, what is not, and what is not yet known",
            ),
        ),
        fix=(
            "Put right what went wrong, and say so",
            "3d",
            (
                "Decide what the company will change, and by when",
                "Never stay silent or evasive: say what we know and what we do not",
            ),
        ),
        recover=(
            "Rebuild trust with customers and the public",
            ("Answer every direct question from customers", "Publish the changes made, with their dates"),
        ),
        notice_title="Message to customers",
        notice_due="24h",
        notice_facts="You may have seen what is being said about {{ inputs.topic }}.",
        notice_doing=(
            "We are establishing the full facts, and we will tell you honestly what we find\nand what we change."
        ),
        notice_you="If you have questions, reply to this email: a person will answer.",
        kpis=("time_to_acknowledge", "time_to_first_notice", "customer_satisfaction", "churn_rate"),
        extra_steps=(
            StepSpec(
                "holding-statement",
                "Post a holding statement",
                "respond",
                "comms-lead",
                due="1h",
                depends_on=("activate-team",),
                communication="holding-statement",
            ),
        ),
        extra_comms=(
            CommSpec(
                "holding-statement",
                "Holding statement on social media",
                "customers",
                "social",
                "holding-statement.txt.j2",
                ("comms-lead", "incident-lead"),
                "1h",
                HOLDING_STATEMENT,
            ),
        ),
    ),
    "customer-churn": CategoryPlan(
        title="Key customers leaving",
        summary="Key customers leave or threaten to leave.",
        tags=("retention", "key-accounts"),
        owner=RoleSpec(
            "account-manager",
            "Key-account manager",
            ("Talks to each account at risk personally", "Finds out why they want to leave"),
            required=True,
        ),
        triggers=(
            TriggerSpec(
                "cancellations-double",
                "Cancellations per day at twice the baseline, and at least 10.",
                _above_baseline("cancellations_per_day", 2, 10),
                "sev2",
            ),
            TriggerSpec(
                "key-account-notice", "A key account gives notice.", (_leaf("key_account_notices", ">", "0"),), "sev1"
            ),
        ),
        inputs=(
            InputSpec(
                "accounts_at_risk",
                "integer",
                "How many key accounts have given notice or threatened to leave?",
                default="0",
            ),
        ),
        confirm=(
            "Confirm which customers are leaving and why",
            "1d",
            ("List the accounts at risk with their revenue", "Read their cancellation reasons and complaints"),
        ),
        fix=(
            "Remove the reason customers are leaving",
            "14d",
            ("Fix the service, price or product problem behind the departures", "Agree a retention offer"),
        ),
        recover=(
            "Win customers back and confirm they stay",
            ("Call every account at risk again after the fix", "Watch churn against the baseline for three months"),
        ),
        notice_title="Message to customers at risk of leaving",
        notice_due="3d",
        notice_doing="We have heard you, and we are changing what made you unhappy.",
        notice_you="Reply to this email or call us: we would like to hear what else we should do better.",
        kpis=("churn_rate", "customer_satisfaction", "time_to_resolve"),
        cause_due="3d",
        recover_due="30d",
        review_due="45d",
        extra_steps=(
            StepSpec(
                "contact-key-accounts",
                "Contact every key account at risk personally",
                "respond",
                "account-manager",
                due="2d",
                depends_on=("confirm",),
                communication="key-account-letter",
                when='{ input: accounts_at_risk, op: ">", value: 0 }',
            ),
        ),
        extra_comms=(
            CommSpec(
                "key-account-letter",
                "Personal letter to each key account",
                "key-accounts",
                "letter",
                "key-account-letter.md.j2",
                ("incident-lead",),
                "2d",
                KEY_ACCOUNT_LETTER,
            ),
        ),
    ),
    "contract-dispute": CategoryPlan(
        title="Contract dispute with a key customer",
        summary="A large customer disputes our service quality against the contract.",
        tags=("contracts", "legal", "key-accounts"),
        owner=RoleSpec(
            "account-manager",
            "Key-account manager",
            ("Owns the relationship with the customer", "Gathers the facts of the service delivered"),
            required=True,
        ),
        legal=True,
        triggers=(
            TriggerSpec(
                "formal-complaint",
                "A formal complaint or legal letter.",
                (_leaf("formal_complaints", ">", "0"),),
                "sev2",
            ),
            TriggerSpec(
                "sla-breach", "A service level of the contract breached.", (_leaf("sla_breaches", ">=", "1"),), "sev3"
            ),
        ),
        inputs=(InputSpec("customer_name", "string", "Which customer raises the dispute?", required=True),),
        confirm=(
            "Record the dispute and check it against the contract",
            "1d",
            ("Record what the customer says, with dates and evidence", "Compare each point with the contract's terms"),
        ),
        fix=(
            "Negotiate a remedy, escalating to a mediator if talks stall",
            "14d",
            (
                "Meet the customer with the facts and a proposal",
                "Agree a remedy or service credits in writing",
                "Propose a mediator if no agreement is reached",
            ),
        ),
        recover=(
            "Restore the service levels and the relationship",
            ("Report service levels to the customer monthly", "Document the settlement and what changed"),
        ),
        notice_title="Acknowledgement to the customer",
        notice_audience="key-accounts",
        notice_due="2d",
        notice_facts="Thank you for setting out the concerns of {{ inputs.customer_name }} about our service.",
        notice_doing=(
            "We are checking every point you raise against the service we delivered, and we\n"
            "will meet you with a proposal."
        ),
        notice_you="Please send us any further evidence you hold; we will record it with your complaint.",
        kpis=("time_to_acknowledge", "time_to_resolve", "customer_satisfaction"),
        cause_due="3d",
        recover_due="30d",
        review_due="45d",
    ),
    "natural-disaster": CategoryPlan(
        title="Natural disaster disrupting service",
        summary="A storm, flood, fire or earthquake breaks supply or service to customers.",
        tags=("continuity",),
        owner=RoleSpec(
            "operations-lead",
            "Operations lead",
            ("Keeps people safe and sites running", "Moves work to other sites and suppliers"),
            required=True,
        ),
        triggers=(
            TriggerSpec(
                "site-down", "A site or a key supplier is out of action.", (_leaf("sites_down", ">", "0"),), "sev1"
            ),
        ),
        inputs=(InputSpec("affected_regions", "list", "Which regions are affected?", required=True),),
        confirm=(
            "Check that people are safe and assess the damage",
            "2h",
            ("Account for every employee at the affected sites", "List the orders, deliveries and services at risk"),
        ),
        fix=(
            "Restore supply and service from other sites or suppliers",
            "3d",
            ("Move orders to unaffected sites", "Agree emergency capacity with alternative suppliers"),
        ),
        recover=(
            "Catch up on delayed orders and services",
            ("Clear the backlog, oldest first", "Tell each delayed customer the new date"),
        ),
        notice_title="Notice to customers in the affected regions",
        notice_due="24h",
        notice_facts="This affects customers in {{ inputs.affected_regions | human_list(locale) }}.",
        notice_doing=(
            "Our people are safe, and we are moving work to our other sites to keep your orders\nand services going."
        ),
        notice_you="You do not need to do anything. If a delivery or service date changes, we will tell you.",
        kpis=("time_to_first_notice", "time_to_resolve", "customer_satisfaction"),
    ),
    "market-shock": CategoryPlan(
        title="Market shock disrupting supply",
        summary="A sudden outside event (a supplier failure, a price shock, sanctions) disrupts what we deliver.",
        tags=("continuity", "supply"),
        owner=RoleSpec(
            "supply-lead",
            "Supply and operations lead",
            ("Assesses what can still be delivered", "Finds alternative sources and routes"),
            required=True,
        ),
        legal=False,
        triggers=(
            TriggerSpec(
                "supply-shortfall",
                "A fifth or more of demand cannot be supplied.",
                (_leaf("supply_shortfall_ratio", ">=", "0.2"),),
                "sev2",
            ),
        ),
        inputs=(
            InputSpec("affected_offering", "string", "Which products or services can we not deliver?", required=True),
        ),
        confirm=(
            "Assess what we can still deliver, and to whom",
            "1d",
            ("List the products and customers affected", "Estimate how long the shortfall will last"),
        ),
        fix=(
            "Secure alternative supply and share out what is available fairly",
            "7d",
            ("Agree alternative suppliers or routes", "Decide how available stock is shared between customers"),
        ),
        recover=(
            "Return to normal supply and keep customers",
            ("Tell every affected customer when supply returns", "Review contracts for the cost of the shock"),
        ),
        notice_title="Notice to affected customers",
        notice_due="2d",
        notice_facts="This affects {{ inputs.affected_offering }}.",
        notice_doing="We are securing other sources, and we will share what we have fairly between our customers.",
        notice_you="If you need an alternative in the meantime, reply to this email and we will help you find one.",
        kpis=("time_to_first_notice", "time_to_resolve", "churn_rate"),
        cause_due="2d",
        recover_due="14d",
    ),
    "other": CategoryPlan(
        title="Customer crisis",
        summary="Anything else that could break the relationship with our customers.",
        tags=(),
        owner=RoleSpec("tech-owner", "Technical owner", ("Diagnoses the cause", "Carries out the fix"), required=True),
        triggers=(
            TriggerSpec(
                "contacts-spike",
                "Customer contacts per hour at three times the baseline, and at least 20.",
                _above_baseline("customer_contacts_per_hour", 3, 20),
                "sev3",
            ),
        ),
        inputs=(),
        confirm=(
            "Confirm what is happening and who is affected",
            "2h",
            ("Collect the first signals and reports", "Estimate how many customers are affected"),
        ),
        fix=("Fix the cause", "24h", ("Decide the fix and its date", "Check that it works for customers")),
        recover=(
            "Make good for affected customers and rebuild trust",
            ("Follow up with every affected customer", "Measure satisfaction against the time before"),
        ),
        notice_title="Notice to affected customers",
        notice_due="24h",
        notice_doing="We are working on it now and will not stop until it is put right.",
        notice_you="If you have questions, reply to this email: a person will answer.",
        kpis=("time_to_first_notice", "time_to_resolve", "customer_satisfaction"),
    ),
}

INTERNAL_UPDATE = """\
{# For everyone who talks to customers. Sent when the team is activated, then at each update. #}
Subject: {% if incident.drill %}[DRILL] {% endif %}[{{ incident.severity | upper }} {{ incident.severity_name }}] {{ incident.title }} - update {{ now | datetime(locale) }}

{% if incident.drill %}
**DRILL.** This update belongs to an exercise.

{% endif %}
Incident {{ incident.id }} ({{ playbook.title }}), declared {{ incident.declared_at | datetime(locale) }}. Status: **{{ incident.status }}**.

## What is happening

{{ inputs.issue_summary }}
{% if inputs.affected_customers %}

About {{ inputs.affected_customers }} customers are affected.
{% endif %}

## What to tell customers

- Acknowledge and apologise; use only the wording published at {{ inputs.info_url }}.
- Do not guess at causes or promise dates.
- Record every customer contact about this with the code `{{ incident.id }}`.

## Where the response stands

{% for step in steps if step.status not in ['not-applicable', 'skipped'] %}
- [{{ 'x' if step.status == 'done' else ' ' }}] {{ step.title }} ({{ step.status | replace('-', ' ') }})
{% endfor %}

## Who to ask

- Incident lead: {{ roles['incident-lead'] or 'unassigned' }}
- Communications: {{ roles['comms-lead'] or 'unassigned' }}
- Customer service: {{ roles['cs-lead'] or 'unassigned' }}
"""  # noqa: E501 - a subject line is one line

CUSTOMER_NOTICE = """\
{# Fast, honest, with empathy: what happened, what we are doing, what you can do, when we write again. #}
Subject: {% if incident.drill %}[DRILL - DO NOT SEND] {% endif %}{{ playbook.title }}: what happened and what we are doing

{% if incident.drill %}
**DRILL.** This notice was produced during an exercise. It must not be sent.

{% endif %}
Dear customer,

We want to tell you straight away about a problem that affects you, and we are sorry.

## What happened

{{ inputs.issue_summary }}
{facts}
## What we are doing

{doing}

## What you can do

{you}

## When you will hear from us

We post the latest news at {{ inputs.info_url }}, and we will write to you again
when this is resolved.

{{ roles['comms-lead'] or 'The customer care team' }}
"""  # noqa: E501 - a subject line is one line


def _notice_body(plan: CategoryPlan) -> str:
    facts = f"\n{plan.notice_facts}\n" if plan.notice_facts else ""
    return (
        CUSTOMER_NOTICE.replace("{facts}", facts)
        .replace("{doing}", plan.notice_doing)
        .replace("{you}", plan.notice_you)
    )


def _communications(plan: CategoryPlan) -> list[CommSpec]:
    notice_approvals = ("legal", "comms-lead") if plan.legal else ("comms-lead",)
    return [
        CommSpec(
            "internal-update",
            "Internal update for customer-facing staff",
            "internal",
            "email",
            "internal-update.md.j2",
            ("incident-lead",),
            "2h",
            INTERNAL_UPDATE,
        ),
        CommSpec(
            "customer-notice",
            plan.notice_title,
            plan.notice_audience,
            "email",
            "customer-notice.md.j2",
            notice_approvals,
            plan.notice_due,
            _notice_body(plan),
        ),
        *plan.extra_comms,
    ]


def _roles(plan: CategoryPlan) -> list[RoleSpec]:
    legal = [] if plan.legal is None else [_legal(plan.legal)]
    return [INCIDENT_LEAD, plan.owner, COMMS_LEAD, CS_LEAD, *legal, SCRIBE]


def _steps(plan: CategoryPlan) -> list[StepSpec]:
    owner = plan.owner.id
    confirm_title, confirm_due, confirm_checklist = plan.confirm
    fix_title, fix_due, fix_checklist = plan.fix
    recover_title, recover_checklist = plan.recover
    steps = [
        StepSpec("confirm", confirm_title, "detect", owner, due=confirm_due, checklist=confirm_checklist),
        StepSpec(
            "activate-team",
            "Activate the team, fill the roles and set the severity",
            "respond",
            "incident-lead",
            due="1h",
            checklist=(
                "Fill every required role and name a deputy for the incident lead",
                "Confirm or change the severity, and say why",
                "Agree how often the team meets and updates (every 2 hours while it is serious)",
            ),
        ),
        StepSpec(
            "keep-timeline",
            "Keep the timeline of decisions and actions",
            "respond",
            "scribe",
            depends_on=("activate-team",),
            checklist=(
                "Record every decision with its time and who made it",
                "Record what was said to customers, when, and on which channel",
            ),
        ),
        StepSpec(
            "brief-staff",
            "Brief everyone who talks to customers",
            "respond",
            "cs-lead",
            due="2h",
            depends_on=("activate-team",),
            communication="internal-update",
            checklist=(
                "Send the internal update and read it out at the next team huddle",
                "Add staff to the hotline and chat if waiting times double",
            ),
        ),
        StepSpec(
            "notify-customers",
            "Tell affected customers what happened and what we are doing",
            "respond",
            "comms-lead",
            due=plan.notice_due,
            depends_on=("confirm", "activate-team"),
            communication="customer-notice",
        ),
        StepSpec(
            "find-cause",
            "Find the root cause",
            "contain",
            owner,
            due=plan.cause_due,
            depends_on=("confirm",),
            checklist=(
                "Check what changed shortly before the first signals",
                "Ask why until the answer is a process or design decision, not a person",
            ),
        ),
        StepSpec("fix", fix_title, "contain", owner, due=fix_due, depends_on=("find-cause",), checklist=fix_checklist),
        StepSpec(
            "win-back",
            recover_title,
            "recover",
            "cs-lead",
            due=plan.recover_due,
            depends_on=("fix", "notify-customers"),
            checklist=recover_checklist,
        ),
        StepSpec(
            "review",
            "Review the response and update this playbook",
            "review",
            "incident-lead",
            due=plan.review_due,
            depends_on=("win-back",),
            checklist=(
                "Judge every step on speed, correctness and execution",
                "Find the root causes of any delays",
                "Record lessons and action items, each with an owner",
                "Update this playbook, raise its version, and train the people who hold its roles",
            ),
        ),
        *plan.extra_steps,
    ]
    return sorted(steps, key=lambda step: PHASES.index(step.phase))


PHASE_NOTES = {
    "detect": "recognise the crisis, judge its severity, activate the plan",
    "respond": "assemble the team, fill the roles, get the first words out fast",
    "contain": "find the root cause, decide the remedy and carry it out",
    "recover": "restore the service, win customers back, rebuild trust",
    "review": "what worked and what did not; update the plan and train people",
}

# Plain YAML scalars need no quotes; anything else is written as a JSON string, which YAML reads as is.
_PLAIN = re.compile(r"[A-Za-z]([A-Za-z0-9 ,.;?!()'/@_+-]*[A-Za-z0-9.?!)'])?")
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _scalar(value: str) -> str:
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML11_WORDS and "  " not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _flow(items: Sequence[str]) -> str:
    return f"[{', '.join(items)}]"


def _entry(fields: Sequence[tuple[str, str | Sequence[str]]]) -> list[str]:
    """One list entry; a field whose value is a tuple becomes a block list of text."""
    lines: list[str] = []
    for index, (key, value) in enumerate(fields):
        lead = "  - " if index == 0 else "    "
        if isinstance(value, str):
            lines.append(f"{lead}{key}: {value}")
        else:
            lines.append(f"{lead}{key}:")
            lines.extend(f"      - {_scalar(item)}" for item in value)
    return lines


def playbook_text(request: PlaybookRequest, today: dt.date, schema: str | None) -> str:
    """The commented YAML of a new playbook for the request's category."""
    plan = PLAN_BY_CATEGORY[request.category]
    lines: list[str] = []
    if schema:
        lines.append(f"{SCHEMA_COMMENT}{schema}")
    lines += [
        f"# {request.category} playbook written by `crisisctl playbook new`: a starting point with the",
        "# usual phases, roles, steps and notices. Adapt every part to your organisation, then run",
        "#   crisisctl playbook validate",
        "# The format and every rule: crisisctl's docs/playbook-format.md.",
        "apiVersion: crisisctl/v1",
        "kind: Playbook",
        f"id: {_scalar(request.playbook_id)}",
        'version: "0.1.0"  # raise it with every change: each incident records the version it ran',
        f"title: {_scalar(request.title or plan.title)}",
        f"summary: {_scalar(plan.summary)}",
        f"owner: {_scalar(request.owner)}"
        if request.owner
        else "# owner: team@example.com  # who keeps this plan up to date",
        f"category: {request.category}",
        f"tags: {_flow(plan.tags)}",
        "review:",
        "  every: 180d  # review the plan with its owner at least this often",
        f"  last_reviewed: {today.isoformat()}",
        "drill:",
        "  every: 365d  # rehearse it at least once a year: crisisctl drill",
        "",
        "# Severities are the default sev1 (Critical), sev2 (Major), sev3 (Minor) and sev4 (Low);",
        "# declare `severities:` (most severe first) to use your own.",
        "",
        "# When to start this plan. `crisisctl check` compares these conditions with the signals",
        "# you give it; a metric it is not given makes its comparison false. Set thresholds from history.",
        "triggers:",
    ]
    for trigger in plan.triggers:
        when = trigger.when
        lines += _entry([("id", trigger.id), ("description", _scalar(trigger.description))])
        if len(when) == 1:
            lines.append(f"    when: {when[0]}")
        else:
            lines.append("    when:")
            lines.extend(f"      {line}" for line in when)
        lines.append(f"    severity: {trigger.severity}")
    lines += [
        "",
        "# Facts asked for when the incident is declared (crisisctl declare --input NAME=VALUE).",
        "# Step conditions and templates read them as inputs.NAME.",
        "inputs:",
    ]
    for declared in (*COMMON_INPUTS, *plan.inputs, *outcome_inputs(plan.kpis)):
        fields: list[tuple[str, str | Sequence[str]]] = [
            ("id", declared.id),
            ("type", declared.type),
            ("prompt", _scalar(declared.prompt)),
        ]
        if declared.required:
            fields.append(("required", "true"))
        if declared.default is not None:
            fields.append(("default", declared.default))
        lines += _entry(fields)
    lines += [
        "",
        "# Who does what. One person may hold several roles; a required role must be filled",
        "# during the incident, and an unfilled one is shown.",
        "roles:",
    ]
    for role in _roles(plan):
        fields = [("id", role.id), ("title", _scalar(role.title)), ("responsibilities", role.responsibilities)]
        if role.required:
            fields.append(("required", "true"))
        lines += _entry(fields)
    lines += [
        "",
        "# The plan, phase by phase. `due` counts from the moment the incident is declared;",
        "# a step whose `when` does not hold for the incident's inputs is not applicable.",
        "steps:",
    ]
    phase = ""
    for step in _steps(plan):
        if step.phase != phase:
            phase = step.phase
            lines.append(f"  # {phase}: {PHASE_NOTES[phase]}")
        fields = [("id", step.id), ("title", _scalar(step.title)), ("phase", step.phase), ("role", step.role)]
        if step.due:
            fields.append(("due", step.due))
        if step.depends_on:
            fields.append(("depends_on", _flow(step.depends_on)))
        if step.when:
            fields.append(("when", step.when))
        if step.communication:
            fields.append(("communication", step.communication))
        if step.checklist:
            fields.append(("checklist", step.checklist))
        lines += _entry(fields)
    lines += [
        "",
        "# What is said to whom. Templates are found in the template folder; every role in",
        "# `approvals` must approve a draft before it can be sent (crisisctl comms).",
        "communications:",
    ]
    for comm in _communications(plan):
        fields = [
            ("id", comm.id),
            ("title", _scalar(comm.title)),
            ("audience", comm.audience),
            ("channel", comm.channel),
            ("template", f"{request.playbook_id}/{comm.file}"),
        ]
        if _localised(comm, request):
            fields.append(("locales", _flow(notice_locales(request.locales))))
        fields.append(("approvals", _flow(comm.approvals)))
        if comm.due:
            fields.append(("due", comm.due))
        lines += _entry(fields)
    lines += [
        "",
        "# Measures shown in the post-mortem report (crisisctl postmortem).",
        "postmortem:",
        f"  kpis: {_flow(plan.kpis)}",
    ]
    return "\n".join(lines) + "\n"


def playbook_templates(request: PlaybookRequest) -> dict[str, str]:
    """The new playbook's templates, by name relative to the template folder."""
    plan = PLAN_BY_CATEGORY[request.category]
    files = {f"{request.playbook_id}/{comm.file}": comm.body for comm in _communications(plan)}
    for comm in _communications(plan):
        if _localised(comm, request):
            localised = localised_templates(comm.file, comm.body, notice_locales(request.locales))
            files |= {f"{request.playbook_id}/{name}": body for name, body in localised.items()}
    return files


def _localised(comm: CommSpec, request: PlaybookRequest) -> bool:
    return comm.audience in LOCALISED_AUDIENCES and bool(notice_locales(request.locales))
