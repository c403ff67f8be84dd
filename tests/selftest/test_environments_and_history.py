"""Self-tests: two embedded Harbors (healthy and faulty) side by side in one run, and consecutive runs
building a history whose trend is drawn and where a slowed-down run is marked degraded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.selftest.suite_runner import run_suite

pytestmark = pytest.mark.selftest

DOWNLOAD_CHECKS = "tests/e2e/test_downloads.py"


def test_healthy_and_faulty_harbor_side_by_side(tmp_path: Path) -> None:
    run = run_suite(
        tmp_path,
        env={"HARBOR_ENVIRONMENTS": "dev=embedded,prod=embedded:legacy-download-service"},
        tests=DOWNLOAD_CHECKS,
    )
    assert run.exit_code == 1, run.describe()
    failed_ids = [line for line in run.output.splitlines() if line.startswith("FAILED")]
    # Every check ran once per environment; only prod's fail, and their ids say so.
    assert failed_ids and all("[prod-" in line for line in failed_ids), "\n".join(failed_ids)
    assert "test_download_goes_by_redirect_strategy[dev-chromium]" not in run.output
    downloads = run.downloads["downloads"]
    assert {d["environment"] for d in downloads} == {"dev", "prod"}
    assert {d["strategy"] for d in downloads if d["environment"] == "dev"} == {"redirect"}
    assert {d["strategy"] for d in downloads if d["environment"] == "prod"} == {"proxy"}
    assert {p["subject"].split("/")[0] for d in downloads for p in d["problems"]} == {"prod"}
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Environments side by side" in report
    files = len(downloads) // 2
    assert f"dev starts all {files} files by redirect, prod by proxy" in report
    assert "hx-diff" in report
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert sorted((r["environment"], r["file"]) for r in history) == sorted((d["environment"], d["file"]) for d in downloads)


def test_consecutive_runs_draw_a_trend_and_a_slowed_run_is_degraded(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    env = {"HARBOR_HISTORY_PATH": str(history), "HARBOR_FAIL_ON_DEGRADED": "1", "HARBOR_REPEAT": "2"}
    only = ["-k", "within_budget or degraded"]
    for night in range(3):
        run = run_suite(tmp_path / f"night-{night}", env=env, tests=DOWNLOAD_CHECKS, args=only)
        assert run.exit_code == 0, run.describe()
    report = (tmp_path / "night-2" / "report.html").read_text(encoding="utf-8")
    assert "Trend: p95 start latency, last 3 runs" in report and report.count("<polyline") >= 1
    files = {json.loads(line)["file"] for line in history.read_text().splitlines()}

    # The fourth night every download request waits 0.8 s for its redirect: within the 2 s budget, but degraded.
    slowed = run_suite(tmp_path / "night-3", faults=["slow-redirect=0.8"], env=env, tests=DOWNLOAD_CHECKS, args=only)
    assert slowed.exit_code == 1, slowed.describe()
    assert set(slowed.failed) == {"test_downloads::test_start_latency_has_not_degraded"}, slowed.describe()
    assert slowed.failed["test_downloads::test_start_latency_has_not_degraded"].causes == {(file, "DEGRADED") for file in files}
    records = [json.loads(line) for line in history.read_text().splitlines()]
    assert len(records) == 4 * len(files)
    assert all(r["degraded"] for r in records[-len(files):]) and not any(r["degraded"] for r in records[: -len(files)])
    assert all(d["degraded"] and d["verdict"] == "pass" for d in slowed.downloads["downloads"])

    # Without HARBOR_FAIL_ON_DEGRADED the same night is reported degraded, and the run passes.
    lenient = {**env, "HARBOR_FAIL_ON_DEGRADED": "0"}
    again = run_suite(tmp_path / "night-4", faults=["slow-redirect=0.8"], env=lenient, tests=DOWNLOAD_CHECKS, args=only)
    assert again.exit_code == 0, again.describe()
    assert "Degraded:" in (tmp_path / "night-4" / "report.html").read_text(encoding="utf-8")
