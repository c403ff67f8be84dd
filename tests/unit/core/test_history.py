"""Run history: records round-trip through JSON Lines, and "degraded" compares with the usual."""

from __future__ import annotations

from pathlib import Path

from download_probe.history import (
    DEGRADED_MIN_RUNS,
    DEGRADED_WINDOW_RUNS,
    HistoryRecord,
    append_history,
    degradation,
    read_history,
)


def run(p95_ms: float | None, *, time: str = "2026-12-01T03:00:00Z", environment: str = "prod",
        file: str = "f.img") -> HistoryRecord:
    return HistoryRecord(
        time=time, environment=environment, file=file, target="https://h", build="2.0.0-41", version="2.0.0",
        count=3, min_ms=p95_ms, median_ms=p95_ms, p95_ms=p95_ms, max_ms=p95_ms, strategy="redirect",
        verdict="pass", degraded=False,
    )


def test_records_round_trip_and_runs_accumulate(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "history.jsonl"
    assert read_history(path).records == []
    append_history(path, [run(100.0, time="2026-12-01T03:00:00Z"), run(90.0, file="g.tgz")])
    append_history(path, [run(110.0, time="2026-12-02T03:00:00Z")])
    history = read_history(path)
    assert len(history.records) == 3
    assert [r.p95_ms for r in history.of("prod", "https://h", "f.img")] == [100.0, 110.0]
    assert history.of("dev", "https://h", "f.img") == []
    # Another target's runs (another deployment, the embedded Harbor, a faulty one) are another series.
    assert history.of("prod", "embedded reference Harbor", "f.img") == []


def test_unreadable_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, [run(100.0)])
    with path.open("a") as history:
        history.write('{"torn": \n{"time": "x"}\n')
    append_history(path, [run(120.0, time="2026-12-02T03:00:00Z")])
    history = read_history(path)
    assert len(history.records) == 2 and history.unreadable_lines == 2


def test_trend_keeps_the_last_runs_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, [run(float(day), time=f"2026-11-{day:02d}T03:00:00Z") for day in range(30, 0, -1)])
    trend = read_history(path).trend("prod", "https://h", "f.img", runs=5)
    assert [r.p95_ms for r in trend] == [26.0, 27.0, 28.0, 29.0, 30.0]


def test_degraded_is_measured_against_the_median_of_recent_runs() -> None:
    usual = [run(ms) for ms in (100.0, 90.0, 110.0, 100.0)]
    assert degradation("f.img", 150.0, usual, threshold_pct=50) is None  # exactly +50%: not beyond
    problem = degradation("f.img", 151.0, usual, threshold_pct=50)
    assert problem is not None and problem.code == "DEGRADED" and problem.subject == "f.img"
    assert "51% above the median of its last 4 runs" in problem.message
    assert degradation("f.img", 130.0, usual, threshold_pct=25) is not None


def test_degraded_also_needs_an_increase_in_ms() -> None:
    # 30 ms clicks that once take 50 ms are 67% slower, and only jitter on a fast link.
    usual = [run(ms) for ms in (30.0, 31.0, 29.0)]
    assert degradation("f.img", 50.0, usual, threshold_pct=50, min_increase_ms=100) is None
    assert degradation("f.img", 130.0, usual, threshold_pct=50, min_increase_ms=100) is None  # exactly +100 ms
    problem = degradation("f.img", 131.0, usual, threshold_pct=50, min_increase_ms=100)
    assert problem is not None and "degraded beyond 50% and 100 ms" in problem.message
    # Both bounds hold: a large increase in ms that is a small one in percent is not degraded.
    assert degradation("f.img", 1400.0, [run(1000.0)] * 3, threshold_pct=50, min_increase_ms=100) is None


def test_degraded_needs_enough_earlier_runs_and_looks_only_at_the_last_ones() -> None:
    assert degradation("f.img", 1000.0, [run(100.0)] * (DEGRADED_MIN_RUNS - 1), threshold_pct=50) is None
    # Long ago it was slow; the last runs are fast, so fast is the usual now.
    slow_then_fast = [run(900.0)] * 10 + [run(100.0)] * DEGRADED_WINDOW_RUNS
    assert degradation("f.img", 400.0, slow_then_fast, threshold_pct=50) is not None
    # Runs with no figures (nothing started) do not count.
    assert degradation("f.img", 400.0, [run(None)] * 10, threshold_pct=50) is None
    assert degradation("f.img", None, [run(100.0)] * 5, threshold_pct=50) is None
