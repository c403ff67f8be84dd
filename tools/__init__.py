"""Helpers for running the suite in CI (the GitHub workflows); not part of the suite itself."""
