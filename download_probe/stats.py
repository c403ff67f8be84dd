"""Summary figures of repeated measurements."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Sequence


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: with 20 values, p95 is the 19th smallest (one outlier does not move it)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class LatencyStats:
    count: int
    min_ms: float
    median_ms: float
    p95_ms: float
    max_ms: float

    @classmethod
    def of(cls, values_ms: Sequence[float]) -> LatencyStats:
        return cls(
            count=len(values_ms),
            min_ms=min(values_ms),
            median_ms=statistics.median(values_ms),
            p95_ms=nearest_rank(values_ms, 95),
            max_ms=max(values_ms),
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "count": self.count,
            "min_ms": round(self.min_ms, 1),
            "median_ms": round(self.median_ms, 1),
            "p95_ms": round(self.p95_ms, 1),
            "max_ms": round(self.max_ms, 1),
        }
