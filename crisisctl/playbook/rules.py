"""Every rule `playbook validate` reports, with its texts: the one source for SARIF, ignore comments and the docs.

Texts may hold Markdown code spans (backticks); `plain()` gives them without.
"""

from __future__ import annotations

import re
from typing import Literal

from msgspec import Struct

Level = Literal["error", "warning"]


class Rule(Struct, frozen=True):
    """A rule: what it is called, how grave, what is wrong, and how to put it right."""

    id: str
    level: Level
    summary: str  # one short line: SARIF's shortDescription
    wrong: str  # everything the rule catches: SARIF's fullDescription
    fix: str  # what to do

    @property
    def name(self) -> str:
        """The rule id in PascalCase, as SARIF's `name` asks: yaml-syntax -> YamlSyntax."""
        return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", self.id))


def plain(text: str) -> str:
    """Markdown code spans and emphasis as plain text."""
    return text.replace("`", "").replace("**", "")


def _error(id: str, summary: str, wrong: str, fix: str) -> Rule:
    return Rule(id, "error", summary, wrong, fix)


def _warning(id: str, summary: str, wrong: str, fix: str) -> Rule:
    return Rule(id, "warning", summary, wrong, fix)


_READING = [
    _error(
        "file-too-large",
        "The file is too large",
        "The file exceeds 1 MiB or holds more than 100,000 YAML values.",
        "Split it into several playbooks.",
    ),
    _error(
        "unreadable",
        "The file cannot be read",
        "The file cannot be opened or read (permissions, a special file).",
        "Make it readable, or move it out of the playbook folder.",
    ),
    _error(
        "encoding",
        "The file is not UTF-8",
        "The file holds a byte that is not UTF-8 (its position is given).",
        "Save the file as UTF-8.",
    ),
    _error(
        "empty",
        "The file is empty",
        "The file has no content, only comments, or an empty document.",
        "Write the playbook, or delete the file.",
    ),
    _error(
        "yaml-syntax",
        "The YAML does not parse",
        "The YAML does not parse, an alias names an unknown anchor or sits inside its own, or an anchor name is"
        " defined twice.",
        "Check indentation and quotes at the position given; define `&name` before `*name`, once. An operator"
        ' written bare (`op: >=`) starts a YAML block: write it in quotes, `op: ">="`.',
    ),
    _error(
        "several-documents",
        "More than one YAML document",
        "The file holds more than one YAML document (a second `---`).",
        "One playbook per file: remove the extra `---`.",
    ),
    _error(
        "not-a-mapping",
        "The top level is not a mapping",
        "The top level of the file is a list or a single value.",
        "Start with `apiVersion: crisisctl/v1` and write the fields as keys.",
    ),
    _error(
        "unsafe-tag",
        "A YAML tag that is not allowed",
        "A value carries a tag other than the standard `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`,"
        " `!!seq`, `!!timestamp` (or the plain `!`); playbooks are data.",
        "Remove the tag and write a plain value (an operator such as `!=` must be quoted).",
    ),
    _error(
        "bad-scalar",
        "A tagged value cannot be read",
        "An explicitly tagged value cannot be read as that tag, or a number is not finite (`.nan`, `.inf`: the log"
        " keeps JSON, which has neither).",
        "Correct the value or remove the tag.",
    ),
    _error(
        "bad-key", "A list or mapping used as a key", "A key is itself a list or mapping.", "Use a word as the key."
    ),
    _error(
        "bad-merge",
        "A merge key merges no mapping",
        "A merge key `<<` points at something other than a mapping or a list of mappings.",
        "Merge an anchored mapping (or a list of them).",
    ),
    _error(
        "alias-bomb",
        "Aliases expand too far",
        "Anchors and aliases (`&x` / `*x`) would expand to more than 10,000 nodes in total.",
        "Write the values out, or use fewer nested aliases.",
    ),
    _error(
        "too-deep",
        "Nesting too deep",
        "Mappings and lists nest more than 64 levels deep.",
        "Flatten the structure.",
    ),
    _error(
        "duplicate-key",
        "A key is written twice",
        "The same key appears twice in one mapping; plain YAML readers would keep only the last.",
        "Remove or rename one.",
    ),
]

_FIELDS = [
    _error(
        "api-version",
        "Unsupported apiVersion",
        "`apiVersion` is missing or not `crisisctl/v1`.",
        "Write `apiVersion: crisisctl/v1`.",
    ),
    _error(
        "kind",
        "Not a playbook",
        "`kind` is not `Playbook` (or `Scenario`, `Roster` in their files).",
        "Write `kind: Playbook`, or `kind: Scenario` for a drill scenario (in any folder); kinds are case-sensitive.",
    ),
    _error("missing-key", "A required key is missing", "A required key is absent.", "Add it (the message names it)."),
    _error(
        "unknown-key",
        "A key the format does not have",
        "A key the format does not have; a typo must not pass silently.",
        "Fix the spelling (see the hint), or prefix your own keys with `x-`.",
    ),
    _error(
        "type",
        "The wrong kind of value",
        "The wrong kind of value: a list where text belongs, text where a list belongs, nothing (`null`),"
        " `true`/`false` or a number where free text belongs, text where a boolean or number belongs.",
        "Write the kind of value named in the message.",
    ),
    _error(
        "yaml11-surprise",
        "YAML 1.1 changed unquoted text",
        "YAML 1.1 turned unquoted text into a boolean, number or date (`no` into false, `1.10` into 1.1).",
        'Quote the value: `"no"`, `"1.10.0"`.',
    ),
    _error(
        "empty-value",
        "Empty text",
        "Text that is empty or shows nothing (only spaces, line breaks, invisible characters such as a zero-width"
        " space), where a value is needed.",
        "Write a value, or drop an optional key. An operator written bare (`op: >`) is read by YAML as an empty"
        ' block of text: write it in quotes, `op: ">"`.',
    ),
    _error(
        "enum",
        "A word not in the allowed set",
        "A word not in the allowed set (category, phase, input type, audience, channel, operator, KPI).",
        "Use one of the listed words.",
    ),
    _error(
        "slug",
        "Not a slug",
        "An id or reference is not a slug (lower-case letters, digits, hyphens).",
        "Write lower-case letters, digits and hyphens: `customer-notice`.",
    ),
    _error(
        "snake-case",
        "Not a snake_case name",
        "An input id, or a metric or input name, is not snake_case.",
        "Write lower-case letters, digits and underscores: `affected_customers`.",
    ),
    _error(
        "semver",
        "Not a semantic version",
        "`version` is not `MAJOR.MINOR.PATCH`.",
        'Write three numbers, quoted: `"1.2.0"`.',
    ),
    _error(
        "duration",
        "Not a duration",
        "A duration is not a whole number with one unit, or is longer than ten years.",
        "Write `30s`, `45m`, `2h`, `3d` or `1w`.",
    ),
    _error("date", "Not a date", "A date is not `YYYY-MM-DD`, or not a real day.", "For example `2026-09-30`."),
    _error("locale", "Not a locale", "A locale is not a locale tag.", "Write `en`, `zh` or `zh-CN`."),
    _error(
        "min-items",
        "An empty list",
        "An empty list where at least one item is needed (`roles`, `steps`, `severities`, `locales`, `choices`,"
        " `all`, `any`).",
        "Add an item, or remove the optional key.",
    ),
    _error(
        "condition",
        "A malformed condition",
        "A condition that is not a mapping; two group keys (or a group key with other keys) in one mapping; a"
        " comparison that can never hold: `in` without a non-empty list, `>`, `>=`, `<` or `<=` with a value that is"
        " not a number (a baseline in a trigger, a date in a step), a value that is nothing (null); a baseline"
        " `{metric, times}` in a step.",
        "Write `{metric: NAME, op: '>', value: 10}` or `{any: [...]}`; nest groups.",
    ),
    _error(
        "condition-source",
        "A condition reads the wrong source",
        "An `input` leaf in a trigger, or a `metric` leaf in a step.",
        "Triggers compare signals (`metric`), steps compare the incident's facts (`input`).",
    ),
]

_REFERENCES = [
    _error(
        "duplicate-id",
        "An id used twice",
        "Two entries of one list share an id (the first's line is given).",
        "Give each entry its own id.",
    ),
    _error(
        "unknown-ref",
        "A name that is not declared",
        "A name that is not declared: a trigger's `severity`, a step's `role`, `communication` or `depends_on`,"
        " a step condition's `input`, a communication's `approvals`, a scenario's step, communication or role.",
        "Fix the name (see the hint), or declare it.",
    ),
    _error(
        "input-default",
        "A default or choice that does not fit",
        "A `default` or a choice that does not fit the input's `type` (or is empty, null), or a single-value default"
        " that is not among `choices`.",
        "Make the value fit the type, or pick a listed choice.",
    ),
    _error(
        "condition-type",
        "A step condition can never hold",
        "A step condition compares an input with a value that does not fit the input's `type` (an integer with"
        ' `"abc"`, a date with quoted text), or with an operator its type has no use for (`>` on a boolean, `in`'
        " on a list input, `contains` on a number).",
        "Compare with a value of the input's type, with the operator that fits it.",
    ),
    _error(
        "dependency-cycle",
        "Steps wait for each other",
        "Steps wait for each other, directly or round a loop (the cycle is shown).",
        "Remove one of the `depends_on` entries.",
    ),
    _error(
        "depends-on-follow-up",
        "A response step waits for follow-up work",
        "A step of the response (no `after: resolved`) depends on follow-up work, which only starts once the"
        " incident is resolved.",
        "Make the step `after: resolved` too, or remove the dependency.",
    ),
    _error(
        "until-without-every",
        "`until` without `every`",
        "A communication says until when updates are due (`until`) but not how often (`every`).",
        "Add `every: 2h` (the rhythm of updates), or remove `until`.",
    ),
    _error(
        "duplicate-playbook-id",
        "A playbook id used twice",
        "A playbook id already used by another file of the set (reported on the later file).",
        "Rename one: playbook ids are unique across the set.",
    ),
    _error(
        "too-many-problems",
        "Too many problems to list",
        "A file has more than 500 problems; the first 500 are listed, then this one says how many more there are.",
        "Fix those listed and validate again.",
    ),
]

_OTHER_FILES = [
    _error(
        "duplicate-person",
        "A person id used twice",
        "Two people of the roster share an `id` (reported on the later one).",
        "Give each person their own id.",
    ),
    _error(
        "duplicate-db-user",
        "A database user used twice",
        "Two people of the roster share a `db_user`: the log could not tell who signed in.",
        "Give each person their own database user.",
    ),
    _error(
        "expectation",
        "A malformed scenario expectation",
        "A scenario's expectation names neither a step (`{step, by}`) nor a communication (`{communication,"
        " sent_by}`).",
        "Write `{step: ID, by: 4h}` or `{communication: ID, sent_by: 12h}`.",
    ),
    _error(
        "missing-input",
        "A scenario leaves a required input unset",
        "A scenario does not give a value to an input its playbook requires.",
        "Add the input under the scenario's `inputs`.",
    ),
    _error(
        "input-type",
        "A scenario input of the wrong type",
        "A scenario gives an input, or an inject sets one, to a value that does not fit the input's type.",
        "Make the value fit the input's declared type.",
    ),
    _error(
        "inject-order",
        "Scenario injects out of order",
        "A scenario's injects are not in time order.",
        "List the injects by their `at`, earliest first.",
    ),
]

_TEMPLATES = [
    _error(
        "template-path",
        "A template path that is not allowed",
        "The template name is absolute, contains `..` or characters outside letters, digits, `.`, `_`, `-`, `/`;"
        " or it is a link leading outside the template folder; or the template cannot be read.",
        "Use a relative path inside the template folder; copy the file instead of linking it.",
    ),
    _error(
        "template-missing",
        "The template is missing",
        "The template is in neither the template folder nor the playbook's folder.",
        "Create it, or correct the path (relative to the template folder).",
    ),
    _error(
        "template-syntax",
        "The template does not compile",
        "The template does not compile (Jinja syntax), nests too deeply to compile, or is larger than 256 KiB.",
        "Fix the template at the line given.",
    ),
    _error(
        "template-variable",
        "The template uses an unknown name",
        "The template uses a name templates are not given, or a field of `incident`, `playbook`, `communication`,"
        " `inputs` or `roles` that does not exist.",
        "See docs/templates.md; declare the input or role in the playbook. A role id with a dash is written"
        " `roles['partner-manager']`: Jinja reads `roles.partner-manager` as a subtraction.",
    ),
]

_WARNINGS = [
    _warning(
        "review-overdue",
        "The playbook's review is overdue",
        "`review.last_reviewed` plus `review.every` is before today.",
        "Review the plan with its owner and update `review.last_reviewed`.",
    ),
    _warning(
        "date-in-future",
        "A last review or drill dated in the future",
        "`review.last_reviewed` or `drill.last_drilled` is after today: most likely a typo, which would keep the"
        " playbook looking reviewed or drilled; `crisisctl readiness` does not trust it.",
        "Write the day the last review or drill took place.",
    ),
    _warning(
        "outcome-input-missing",
        "A customer-outcome KPI without its inputs",
        "`postmortem.kpis` lists a customer outcome whose inputs `METRIC` and `METRIC_baseline` are not both"
        " declared, so its figure would always read as not measured.",
        "Declare them under `inputs` with `type: number`.",
    ),
    _warning(
        "unknown-role",
        "The roster names a role no playbook declares",
        "A role in the roster that no playbook of the set declares (a typo, or a playbook not validated with it).",
        "Fix the name (see the hint).",
    ),
    _warning(
        "libyaml-missing",
        "YAML is read without the C speed-up",
        "PyYAML was installed without its C speed-up, or with a libyaml older than 0.2.6; loading is several"
        " times slower.",
        "Install PyYAML 6.0.4 or later from a wheel, which bundles libyaml 0.2.6.",
    ),
    _warning(
        "ignore-unknown-rule",
        "An ignore comment names no warning",
        "An ignore comment names a rule that is not a warning (a typo, or an error rule: errors cannot be"
        " ignored), names this rule (which reports ignore comments, so it cannot be ignored), or names none.",
        "Fix the name (see the hint).",
    ),
    _warning(
        "yaml11-boolean",
        "A YAML 1.1 boolean word",
        "An unquoted `yes`, `no`, `on`, `off`, `y` or `n` (any case): YAML 1.1 readers take it for a boolean,"
        " YAML 1.2 readers (editors checking the JSON Schema) for text, so tools disagree on what it is.",
        'Write `true` or `false` for a boolean; quote it (`"no"`) for the text.',
    ),
    _warning(
        "due-before-dependency",
        "A step is due before a step it waits for",
        "A step's `due` is earlier than the due of a step it waits for, directly or further up its `depends_on`"
        " chain; a follow-up step is compared only with the follow-up steps it waits for.",
        "Give the step a later due, or the step it waits for an earlier one.",
    ),
    _warning(
        "notice-due-before-step",
        "A notice is due before the step that sends it",
        "A communication's `due` is earlier than the step that sends it can be done: that step's own due, or the"
        " latest due on its chain.",
        "Give the notice a later due, or the steps before it earlier ones.",
    ),
    _warning(
        "regulator-clock",
        "A regulator's clock cannot be met, or is not set",
        "For a communication with `audience: regulator`, the work before it is due later than its `due` (the"
        " regulator's clock, such as 72h under GDPR Art. 33), the notice has no deadline at all, or only follow-up"
        " work sends it (its due would count from the resolution, a regulator's clock from awareness).",
        "Bring the dues of the steps before it within the clock; write the legal deadline as the notice's `due`.",
    ),
    _warning(
        "notice-locale-missing",
        "A listed locale has no template of its own",
        "A communication lists a locale (after the first) that has no localised template (`notice.zh.md.j2`):"
        " its readers would get the plain file's language.",
        "Write the localised file, or remove the locale from `locales`.",
    ),
    _warning(
        "notice-input-unset",
        "A notice breaks while an optional input is unset",
        "The template uses an optional input that has no `default`; with that input not yet set the notice"
        " prints `None` or cannot be drafted.",
        "Give the input a `default`, or a fallback in the template: `{{ inputs.NAME or '...' }}`.",
    ),
    _warning(
        "sms-length",
        "An SMS notice is too long",
        "An `sms` notice, rendered with sample facts, needs more than 3 SMS segments (160 GSM-7 or 70 UCS-2"
        " characters in one message, 153 or 67 a segment once split).",
        "Shorten it, and link to the full notice.",
    ),
    _warning(
        "drill-banner",
        "A drill notice does not say it is a drill",
        "Rendered in a drill, the notice carries no drill marker (`DRILL`, `EXERCISE`, `演练`, `演习`) in its"
        " first 3 non-empty lines.",
        "Start the template with `{% if incident.drill %}[DRILL - DO NOT SEND] {% endif %}` in the notice's language.",
    ),
]

RULE_BY_ID: dict[str, Rule] = {
    rule.id: rule for rule in (*_READING, *_FIELDS, *_REFERENCES, *_OTHER_FILES, *_TEMPLATES, *_WARNINGS)
}

# Warnings: the rules an ignore comment may silence (but for ignore-unknown-rule, playbook/ignores.py), since an
# error means the playbook cannot run.
WARNING_RULES: frozenset[str] = frozenset(rule.id for rule in RULE_BY_ID.values() if rule.level == "warning")
