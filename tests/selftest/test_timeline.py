"""Self-test: with known delays injected on three hops, every click's phases put each delay in its own
phase, add up to the start latency, and the report carries the figures and the waterfall.

The precise error of each phase against the injected delay is measured by bench/accuracy.py; here the
bounds are wide enough for a loaded 2-core machine and narrow enough to catch a delay booked to the
wrong phase."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.selftest.suite_runner import run_suite

pytestmark = pytest.mark.selftest

DELAY_MS = 400.0
# A phase that holds an injected delay: at least the delay, and not the delay of another hop on top.
HOLDS_DELAY = (DELAY_MS - 5, DELAY_MS + 350)
CLICKS = 3


def test_injected_delays_land_in_their_own_phases_on_every_click(tmp_path: Path) -> None:
    seconds = f"{DELAY_MS / 1000:g}"
    run = run_suite(
        tmp_path,
        faults=[f"slow-token={seconds}", f"slow-redirect={seconds}", f"slow-stream-start={seconds}"],
        env={"HARBOR_REPEAT": str(CLICKS)},
        tests="tests/e2e/test_downloads.py",
        args=["-k", "within_budget"],
    )
    assert run.exit_code == 0, run.describe()
    downloads = run.downloads["downloads"]
    assert downloads
    for download in downloads:
        assert download["latency"]["count"] == CLICKS and len(download["clicks"]) == CLICKS
        for click in download["clicks"]:
            timeline = click["timeline"]
            phases = {phase["name"]: phase["duration_ms"] for phase in timeline["phases"]}
            where = f"{download['file']}: {phases}"
            for delayed in ("token round trip", "redirect 1 (302)", "stream's first headers"):
                assert HOLDS_DELAY[0] <= phases[delayed] <= HOLDS_DELAY[1], where
            for quick in ("click to token request", "navigation to the download URL"):
                assert phases[quick] < DELAY_MS - 5, where
            assert sum(phases.values()) == pytest.approx(timeline["total_ms"], abs=0.5), where
            assert timeline["total_ms"] == pytest.approx(click["download_start_ms"], abs=0.1)
            assert timeline["browser_ms"] + timeline["harness_ms"] == pytest.approx(timeline["total_ms"], abs=0.2)
        latency = download["latency"]
        assert latency["min_ms"] <= latency["median_ms"] <= latency["p95_ms"] <= latency["max_ms"]
        assert latency["min_ms"] >= 3 * DELAY_MS
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in report and "redirect 1 (302)" in report and "p95" in report
