"""Did-you-mean suggestions for mistyped ids and keys."""

from __future__ import annotations

from collections.abc import Iterable

# Beyond this many candidates a suggestion is not looked for: comparing each unknown word with
# thousands of ids would take seconds (a hostile file can hold 20,000 unknown references).
MAX_CANDIDATES = 200
LISTED = 12


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate, phrased as a hint, or None."""
    match = closest(word, candidates)
    return f"did you mean `{match}`?" if match else None


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `word`, if any is close enough."""
    import difflib

    pool = list(candidates)
    if len(pool) > MAX_CANDIDATES:
        return None
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


def listing(words: Iterable[object]) -> str:
    """Words for a hint, comma-separated: the first dozen, and how many more there are."""
    shown = [str(word) for word in words]
    if len(shown) <= LISTED:
        return ", ".join(shown)
    return ", ".join(shown[:LISTED]) + f", … and {len(shown) - LISTED:,} more"
