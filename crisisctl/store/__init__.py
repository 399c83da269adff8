"""The incident log: the only package that speaks SQL."""
