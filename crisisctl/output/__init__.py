"""Turning results into terminal text or JSON; user text is always made inert."""
