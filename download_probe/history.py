"""Run history: one record per environment and file per run, in a JSON Lines file, and what it says
over time (the trend of p95 start latency, and "degraded": slower than it used to be, even within
budget). Works on any figures keyed by environment and file."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable

from download_probe.checks import Problem, seconds

# "Degraded" compares with the median p95 of at most this many earlier runs...
DEGRADED_WINDOW_RUNS = 7
# ...and needs at least this many, so one odd night does not set the bar.
DEGRADED_MIN_RUNS = 3
TREND_RUNS = 30


@dataclass(frozen=True)
class HistoryRecord:
    time: str  # ISO 8601, UTC: when the run ended
    environment: str
    file: str
    target: str
    build: str
    version: str
    count: int  # clicks that started a download
    min_ms: float | None
    median_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    strategy: str
    verdict: str  # "pass" or "fail"
    degraded: bool

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> HistoryRecord:
        data = json.loads(line)
        names = {field.name for field in fields(cls)}
        missing = names - data.keys()
        if missing:
            raise ValueError(f"a history record lacks {', '.join(sorted(missing))}")
        return cls(**{name: data[name] for name in names})


@dataclass(frozen=True)
class History:
    records: list[HistoryRecord]
    unreadable_lines: int = 0  # lines that were not records (a torn write, a hand edit): skipped, counted

    def of(self, environment: str, target: str, file: str) -> list[HistoryRecord]:
        """One environment's runs of one file on one target, oldest first (another target's figures,
        or a differently broken one's, say nothing about this one's usual)."""
        return sorted(
            (r for r in self.records if (r.environment, r.target, r.file) == (environment, target, file)),
            key=lambda r: r.time,
        )

    def trend(self, environment: str, target: str, file: str, runs: int = TREND_RUNS) -> list[HistoryRecord]:
        return self.of(environment, target, file)[-runs:]


def read_history(path: Path) -> History:
    """The history in `path` (none yet: empty)."""
    if not path.is_file():
        return History([])
    records: list[HistoryRecord] = []
    unreadable = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            records.append(HistoryRecord.from_json(line))
        except (ValueError, TypeError):
            unreadable += 1
    return History(records, unreadable)


def append_history(path: Path, records: Iterable[HistoryRecord]) -> None:
    """Add this run's records (one write, so a reader never sees half a run)."""
    lines = "".join(record.as_json() + "\n" for record in records)
    if not lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as history:
        history.write(lines)


def comparable_runs(earlier: list[HistoryRecord]) -> list[float]:
    """The p95s "degraded" compares with: those of the last DEGRADED_WINDOW_RUNS earlier runs that had figures."""
    return [r.p95_ms for r in earlier if r.p95_ms is not None][-DEGRADED_WINDOW_RUNS:]


def degradation(
    label: str,
    p95_ms: float | None,
    earlier: list[HistoryRecord],
    threshold_pct: float,
    min_increase_ms: float = 0.0,
) -> Problem | None:
    """DEGRADED when this run's p95 is more than `threshold_pct` above the median p95 of the last
    DEGRADED_WINDOW_RUNS earlier runs (at least DEGRADED_MIN_RUNS of them), budget or not, and more
    than `min_increase_ms` above it: on fast links a few ms of jitter are a large percentage."""
    if p95_ms is None:
        return None
    window = comparable_runs(earlier)
    if len(window) < DEGRADED_MIN_RUNS:
        return None
    usual_ms = statistics.median(window)
    if p95_ms <= usual_ms * (1 + threshold_pct / 100) or p95_ms - usual_ms <= min_increase_ms:
        return None
    above_pct = (p95_ms / usual_ms - 1) * 100 if usual_ms > 0 else float("inf")
    beyond = f"{threshold_pct:g}%" + (f" and {seconds(min_increase_ms)}" if min_increase_ms > 0 else "")
    return Problem(
        "DEGRADED",
        label,
        f"p95 start latency {seconds(p95_ms)} is {above_pct:.0f}% above the median of its last {len(window)} runs "
        f"({seconds(usual_ms)}; degraded beyond {beyond})",
    )
