"""For each main file of the configured version: how its download starts.

The files come from the dashboard's table; each is clicked HARBOR_REPEAT times (fixtures/downloads.py)
and every check below reads those same clicks, so a failure names the file, the cause code and the hop.
"""

from __future__ import annotations

import warnings

import pytest

from download_probe import (
    Problem,
    check_name_and_size,
    check_redirect_strategy,
    check_repeated_latency,
    check_size_independence,
    check_token_accepted,
)
from fixtures.config import SuiteSettings
from fixtures.downloads import each_click
from fixtures.reporting import DownloadRecord


def _failures(problems: list[Problem]) -> str:
    return "\n".join(problem.sentence for problem in problems)


def test_click_starts_download_within_budget(
    main_file_downloads: list[DownloadRecord], harbor_settings: SuiteSettings
) -> None:
    """Every click starts a download; the p95 and the maximum of each file's starts are within budget."""
    peers = [r.analysis for r in main_file_downloads]
    problems = [
        p
        for r in main_file_downloads
        for p in check_repeated_latency(r.attempts, harbor_settings.latency_budget_ms, peers)
    ]
    assert not problems, _failures(problems)


def test_start_latency_does_not_grow_with_file_size(main_file_downloads: list[DownloadRecord]) -> None:
    """The largest file starts about as soon as the smallest: neither the stream nor the page waits for the body."""
    started = [r.analysis for r in main_file_downloads if r.analysis.attempt.started]
    if len(started) < 2:
        pytest.skip(
            f"nothing to compare: {len(started)} of {len(main_file_downloads)} main files started a download "
            "(the other checks say why)"
        )
    problems = check_size_independence([r.analysis for r in main_file_downloads])
    assert not problems, _failures(problems)


def test_download_goes_by_redirect_strategy(main_file_downloads: list[DownloadRecord]) -> None:
    problems = [p for r in main_file_downloads for p in each_click(r.attempts, check_redirect_strategy)]
    assert not problems, _failures(problems)


def test_download_request_carries_accepted_token(main_file_downloads: list[DownloadRecord]) -> None:
    problems = [p for r in main_file_downloads for p in each_click(r.attempts, check_token_accepted)]
    assert not problems, _failures(problems)


def test_suggested_name_and_size_match_table(main_file_downloads: list[DownloadRecord]) -> None:
    problems = [
        p
        for r in main_file_downloads
        for p in each_click(r.attempts, lambda analysis: check_name_and_size(analysis, r.info.name, r.info.size_bytes))
    ]
    assert not problems, _failures(problems)


def test_start_latency_has_not_degraded(
    degradations: list[Problem], unjudged_reason: str | None, harbor_settings: SuiteSettings
) -> None:
    """A p95 well above the file's usual (the median of its last runs in the history) is degraded:
    reported apart from failures, and a failure only with HARBOR_FAIL_ON_DEGRADED=1."""
    if unjudged_reason is not None:
        pytest.skip(unjudged_reason)
    if degradations and not harbor_settings.fail_on_degraded:
        warnings.warn("degraded: " + _failures(degradations), stacklevel=1)
        return
    assert not degradations, _failures(degradations)
