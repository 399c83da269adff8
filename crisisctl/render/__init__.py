"""Jinja rendering of notices and reports, always sandboxed."""
