"""Example budgets of the property tests, scaled by the loaded Hypothesis profile (see tests/conftest.py)."""

from __future__ import annotations

from hypothesis import settings

# Hypothesis's max_examples when a profile sets none: the short pass CI runs, where each test's budget is its own.
HYPOTHESIS_DEFAULT = 100


def examples(ci: int) -> int:
    """A property test's max_examples: `ci` in the CI pass, and as many times more as the loaded profile raises the
    default (HYPOTHESIS_PROFILE=nightly: 200 times). A plain @settings(max_examples=N) would hide every profile."""
    return max(1, ci * settings().max_examples // HYPOTHESIS_DEFAULT)
