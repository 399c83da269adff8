"""The words of format v1: categories, phases, audiences, channels, KPIs and the shapes of ids.

Kept apart from `format.py`, which declares how files are checked, so that commands that only
need the words (reports, the authoring wizard) do not load the checker and its YAML loader.
"""

from __future__ import annotations

API_VERSION = "crisisctl/v1"
SLUG_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
SNAKE_PATTERN = r"[a-z][a-z0-9_]*"
LOCALE_PATTERN = r"[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*"
# Semantic Versioning 2.0's own grammar: no leading zeros in numeric identifiers, no empty identifiers.
_PRE_RELEASE_PART = r"(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER_PATTERN = (
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    rf"(-{_PRE_RELEASE_PART}(\.{_PRE_RELEASE_PART})*)?"
    r"(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)

CATEGORIES = (
    "complaint-surge",
    "service-outage",
    "data-leak",
    "product-quality",
    "pr-crisis",
    "customer-churn",
    "contract-dispute",
    "natural-disaster",
    "market-shock",
    "other",
)
PHASES = ("detect", "respond", "contain", "recover", "review")
INPUT_TYPES = ("string", "integer", "number", "boolean", "date", "list")
AUDIENCES = ("customers", "internal", "regulator", "media", "partners", "key-accounts")
UPDATES_UNTIL = ("resolved", "closed")  # how long a communication's `every:` updates are due
STEP_AFTER = ("declared", "resolved")  # what a step's `due` counts from; after resolution: follow-up work
CHANNELS = ("email", "sms", "chat", "webhook", "social", "web", "hotline-script", "press", "letter")
# Whose notices are customer notices (time to first customer notice): key accounts are customers, told
# personally; regulators, the press, partners and the team are not.
CUSTOMER_AUDIENCES = ("customers", "key-accounts")
KPIS = (
    "time_to_acknowledge",
    "time_to_first_notice",
    "time_to_resolve",
    "complaint_resolution_rate",
    "steps_on_time_ratio",
    "customer_satisfaction",
    "churn_rate",
    "complaint_handling_time",
)
# Customer outcomes: figures crisisctl cannot observe, recorded by the team (`crisisctl measure`) as the input of the
# same name (the latest follow-up measurement) and `<metric>_baseline` (before the crisis).
OUTCOME_METRICS = ("customer_satisfaction", "complaint_resolution_rate", "complaint_handling_time", "churn_rate")
BASELINE_SUFFIX = "_baseline"
