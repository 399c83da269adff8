"""Playbook format v1: files in, validated frozen models out."""
