"""Full-download mode (opt-in: `--full-download` or HARBOR_FULL_DOWNLOAD=1): each main file of the
configured version downloaded whole with a real click, checked byte for byte, then deleted.

The files are downloaded once (fixtures/full_download.py) and every check below reads those same
downloads; a failure names the file and the cause code. Skipped, with the reason, when the mode is off.
"""

from __future__ import annotations

import pytest

from download_probe import Problem
from fixtures.full_download import NO_METRICS_REASON, FullDownloadRecord


def _failures(problems: list[Problem]) -> str:
    return "\n".join(problem.sentence for problem in problems)


def test_whole_file_arrives_with_the_announced_size(full_downloads: list[FullDownloadRecord]) -> None:
    problems = [p for record in full_downloads for p in record.size_problems()]
    assert not problems, _failures(problems)


def test_whole_file_matches_the_release_sha256(full_downloads: list[FullDownloadRecord]) -> None:
    problems = [p for record in full_downloads for p in record.digest_problems()]
    assert not problems, _failures(problems)


def test_server_memory_stays_flat_during_full_downloads(
    full_downloads: list[FullDownloadRecord], metrics_url: str | None
) -> None:
    if metrics_url is None:
        pytest.skip(NO_METRICS_REASON)
    problems = [p for record in full_downloads for p in record.memory_problems()]
    assert not problems, _failures(problems)
