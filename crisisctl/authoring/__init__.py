"""Scaffolds for playbook authors: `crisisctl init` (repository.py) and `crisisctl playbook new` (new.py)."""
