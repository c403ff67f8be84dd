"""Self-test: a stream that buffers the whole file before answering is reported as buffering even
when the large file still starts within budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.selftest.fault_matrix import FIRMWARE
from tests.selftest.suite_runner import run_suite

pytestmark = pytest.mark.selftest


def test_a_start_that_grows_with_size_is_buffering_even_within_budget(tmp_path: Path) -> None:
    # At 1500 MiB/s the 520 MiB image waits about 0.35 s for its first headers: within the 2 s budget.
    run = run_suite(
        tmp_path, faults=["buffered-stream=1500"], env={"HARBOR_REPEAT": "3"}, tests="tests/e2e/test_downloads.py"
    )
    assert set(run.failed) == {"test_downloads::test_start_latency_does_not_grow_with_file_size"}, run.describe()
    assert run.failed["test_downloads::test_start_latency_does_not_grow_with_file_size"].causes == {
        (FIRMWARE, "BUFFERED_STREAM")
    }
    firmware = next(d for d in run.downloads["downloads"] if d["file"] == FIRMWARE)
    assert firmware["latency"]["max_ms"] < 2000 and firmware["verdict"] == "fail"
