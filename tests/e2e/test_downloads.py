"""For each main file of the configured version: how its download starts.

The files come from the dashboard's table; each is clicked once (fixtures/downloads.py) and every
check below reads that same attempt, so a failure names the file, the cause code and the hop.
"""

from __future__ import annotations

from download_probe import (
    Problem,
    check_latency_budget,
    check_name_and_size,
    check_redirect_strategy,
    check_size_independence,
    check_token_accepted,
)
from fixtures.config import SuiteSettings
from fixtures.reporting import DownloadRecord


def _failures(problems: list[Problem]) -> str:
    return "\n".join(problem.sentence for problem in problems)


def test_click_starts_download_within_budget(
    main_file_downloads: list[DownloadRecord], harbor_settings: SuiteSettings
) -> None:
    peers = [r.analysis for r in main_file_downloads]
    problems = [
        p
        for r in main_file_downloads
        for p in check_latency_budget(r.analysis, harbor_settings.latency_budget_ms, peers)
    ]
    assert not problems, _failures(problems)


def test_start_latency_does_not_grow_with_file_size(main_file_downloads: list[DownloadRecord]) -> None:
    problems = check_size_independence([r.analysis for r in main_file_downloads])
    assert not problems, _failures(problems)


def test_download_goes_by_redirect_strategy(main_file_downloads: list[DownloadRecord]) -> None:
    problems = [p for r in main_file_downloads for p in check_redirect_strategy(r.analysis)]
    assert not problems, _failures(problems)


def test_download_request_carries_accepted_token(main_file_downloads: list[DownloadRecord]) -> None:
    problems = [p for r in main_file_downloads for p in check_token_accepted(r.analysis)]
    assert not problems, _failures(problems)


def test_suggested_name_and_size_match_table(main_file_downloads: list[DownloadRecord]) -> None:
    problems = [
        p
        for r in main_file_downloads
        for p in check_name_and_size(r.analysis, r.info.name, r.info.size_bytes)
    ]
    assert not problems, _failures(problems)
