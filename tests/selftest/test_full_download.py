"""Self-tests of full-download mode: against a healthy reference Harbor every main file, the 520 MiB
image among them, is downloaded whole and verified byte for byte; with each fault of the matrix's
full-download table exactly the expected checks fail, naming the file and the cause."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.selftest.fault_matrix import FIRMWARE, FULL_DOWNLOAD_EXPECTED, FULL_DIGEST, FULL_MEMORY, FULL_SIZE, MAIN_FILES
from tests.selftest.suite_runner import run_suite

pytestmark = pytest.mark.selftest

FULL_DOWNLOAD_TESTS = "tests/e2e/test_full_download.py"
FIRMWARE_BYTES = 520 * (1 << 20)  # the contract's large file: at least 512 MiB
# A stream that stopped is given up on after this long without a byte (HARBOR_DOWNLOAD_TIMEOUT_MS):
# long enough for a loaded 2-core machine, short enough to keep the runs with faults brief.
STALL_MS = "5000"


def _downloads_dir(tmp_path: Path) -> Path:
    """Where the run's browser saves the files (HARBOR_FULL_DOWNLOAD_DIR), to see it left nothing there."""
    directory = tmp_path / "downloads"
    directory.mkdir()
    return directory


def test_healthy_harbor_passes_every_full_download_check_byte_for_byte(tmp_path: Path) -> None:
    downloads_dir = _downloads_dir(tmp_path)
    run = run_suite(
        tmp_path / "reports",
        env={"HARBOR_FULL_DOWNLOAD_DIR": str(downloads_dir)},
        tests=FULL_DOWNLOAD_TESTS,
        args=["--full-download"],
    )
    assert run.exit_code == 0 and not run.failed, run.describe()
    assert {name: o.outcome for name, o in run.outcomes.items()} == {
        FULL_SIZE: "passed",
        FULL_DIGEST: "passed",
        FULL_MEMORY: "passed",
    }, run.describe()
    records = {record["file"]: record for record in run.downloads["full_downloads"]}
    assert set(records) == set(MAIN_FILES)
    for record in records.values():
        assert record["verdict"] == "pass" and record["ended"] == "finished", record
        assert record["bytes_saved"] == record["content_length"] == record["published_size_bytes"], record
        assert record["sha256"] == record["published_sha256"] and len(record["sha256"]) == 64, record
        assert record["server_memory"]["samples"] >= 1, record
    firmware = records[FIRMWARE]
    assert firmware["bytes_saved"] == FIRMWARE_BYTES
    assert firmware["throughput_mib_s"] > 0 and firmware["server_memory"]["samples"] >= 2
    report = (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    assert "Full downloads (whole files, byte for byte)" in report and FIRMWARE in report
    # Nothing left behind: each file is deleted after its checks, and the run's download directory with them.
    assert list(downloads_dir.iterdir()) == []


@pytest.mark.parametrize("fault", sorted(FULL_DOWNLOAD_EXPECTED))
def test_full_download_fault_is_caught_with_the_right_cause(fault: str, tmp_path: Path) -> None:
    downloads_dir = _downloads_dir(tmp_path)
    run = run_suite(
        tmp_path / "reports",
        faults=[fault],
        env={"HARBOR_DOWNLOAD_TIMEOUT_MS": STALL_MS, "HARBOR_FULL_DOWNLOAD_DIR": str(downloads_dir)},
        tests=FULL_DOWNLOAD_TESTS,
        args=["--full-download"],
    )
    expected = FULL_DOWNLOAD_EXPECTED[fault]
    failed = run.failed
    assert set(failed) == set(expected), f"{fault}: failing tests differ from the matrix\n{run.describe()}"
    for test, causes in expected.items():
        assert failed[test].causes == causes, f"{fault}: {test} named other causes\n{run.describe()}"
    assert run.exit_code == 1, run.describe()
    # The same causes reach downloads.json, on the file's full-download record.
    recorded = {(d["file"], p["code"]) for d in run.downloads.get("full_downloads", []) for p in d["problems"]}
    wanted = {cause for causes in expected.values() for cause in causes}
    assert wanted <= recorded, f"{fault}: downloads.json lacks {wanted - recorded}"
    assert list(downloads_dir.iterdir()) == [], "a failed full download must be cleaned up too"
