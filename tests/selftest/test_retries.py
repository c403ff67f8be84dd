"""Self-test: a click is made once more only when the network failed before any response (a real TCP
reset from the reference Harbor's `connection-reset-once` fault), at most once, and the reports say so;
a product failure is never retried away."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.selftest.fault_matrix import NETWORK_EXPECTED
from tests.selftest.suite_runner import run_suite

pytestmark = pytest.mark.selftest

TESTS = "tests/e2e/test_downloads.py"
FIRST_FILE = "harbor-tools-2.0.0.tar.gz"  # the first main file in the table: the first click made


def _retries(run) -> dict[str, list[str]]:
    return {d["file"]: d["retries"] for d in run.downloads["downloads"]}


def test_a_reset_before_any_response_is_retried_once_and_reported(tmp_path: Path) -> None:
    run = run_suite(tmp_path, faults=["connection-reset-once"], tests=TESTS)
    assert NETWORK_EXPECTED["connection-reset-once"][1] == {}
    assert run.exit_code == 0 and not run.failed, run.describe() + run.output[-3000:]
    retries = _retries(run)
    assert [name for name, notes in retries.items() if notes] == [FIRST_FILE], retries
    [note] = retries[FIRST_FILE]
    assert note == (
        "click 1: net::ERR_CONNECTION_RESET on POST /api/files/f-200-tools/download-token before any response; retried once"
    )
    record = next(d for d in run.downloads["downloads"] if d["file"] == FIRST_FILE)
    # The retried click counts, and it went the intended way.
    assert len(record["clicks"]) == 1 and record["strategy"] == "redirect" and record["verdict"] == "pass"
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "1 of 1 (1 retried)" in report and "Retried (the network failed before any response)" in report


def test_a_second_reset_is_not_retried_and_fails_naming_the_file(tmp_path: Path) -> None:
    run = run_suite(tmp_path, faults=["connection-reset-once=2"], tests=TESTS)
    assert run.exit_code == 1, run.describe() + run.output[-3000:]
    # Exactly as the fault matrix says: the file's download checks fail, nothing else.
    _, expected = NETWORK_EXPECTED["connection-reset-once=2"]
    assert {name: outcome.causes for name, outcome in run.failed.items()} == expected, run.describe()
    failed = run.failed["test_downloads::test_click_starts_download_within_budget"]
    assert FIRST_FILE in failed.message and "net::ERR_CONNECTION_RESET" in failed.message
    [note] = _retries(run)[FIRST_FILE]
    assert note.endswith("retried once, and the retry failed too: net::ERR_CONNECTION_RESET on POST "
                         "/api/files/f-200-tools/download-token before any response (not retried again)"), note
    # No third try: the other files' clicks were not reset (the fault's two resets were both spent on it).
    assert all(not notes for name, notes in _retries(run).items() if name != FIRST_FILE)
    record = next(d for d in run.downloads["downloads"] if d["file"] == FIRST_FILE)
    assert len(record["clicks"]) == 1 and record["strategy"] == "none"


@pytest.mark.parametrize("fault", ["stream-down-no-fallback", "token-dropped"])
def test_a_product_failure_is_never_retried(tmp_path: Path, fault: str) -> None:
    run = run_suite(tmp_path, faults=[fault], tests=TESTS)
    assert run.exit_code == 1, run.describe() + run.output[-3000:]
    assert all(record["retries"] == [] for record in run.downloads["downloads"]), _retries(run)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "retried)" not in report and "Retried (the network failed" not in report
