"""Incidents as an event history: state folded from events, rules, and use cases (no SQL, no terminal)."""
