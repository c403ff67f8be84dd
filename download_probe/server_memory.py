"""A server's resident memory, sampled from its Prometheus metrics while something runs (a download):
a server that streams keeps it flat, one that reads a file whole before sending grows by the file.

Knows nothing of Harbor: any server exposing `process_resident_memory_bytes` (the Prometheus client
libraries' default process collector).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import httpx
from prometheus_client.parser import text_string_to_metric_families

from download_probe.checks import Problem

RESIDENT_MEMORY_METRIC = "process_resident_memory_bytes"
DEFAULT_INTERVAL_S = 0.1
MIB = 1 << 20


@dataclass
class MemorySamples:
    """Resident memory (bytes) just before, and every interval during, one piece of work."""

    baseline_bytes: float | None = None
    peak_bytes: float | None = None
    count: int = 0
    error: str | None = None  # why a sample could not be read (the first reason); no URL in it

    @property
    def growth_bytes(self) -> float | None:
        if self.baseline_bytes is None or self.peak_bytes is None:
            return None
        return self.peak_bytes - self.baseline_bytes


def resident_memory_bytes(metrics_text: str) -> float | None:
    """`process_resident_memory_bytes` in a Prometheus text exposition (summed when several processes
    report it, as a server with workers may); None when it is not there."""
    values = [
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == RESIDENT_MEMORY_METRIC
    ]
    return sum(values) if values else None


class ResidentMemorySampler:
    """`with ResidentMemorySampler(url) as sampler: ...` samples once on entry (the baseline), then every
    `interval_s` in a thread of its own until the block ends; `sampler.samples` says what it saw.

    Each request is bounded by `timeout_s`; a sample that fails is counted out and its reason kept.
    """

    def __init__(
        self,
        metrics_url: str,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,  # another way to reach the server (tests)
    ) -> None:
        self.metrics_url = metrics_url
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.samples = MemorySamples()
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=True, transport=transport)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="resident-memory-sampler", daemon=True)
        self._lock = threading.Lock()

    def __enter__(self) -> ResidentMemorySampler:
        self._sample(baseline=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout_s + self.interval_s)  # at most one request in flight
        self._sample()  # the end state too: a peak right at the end counts
        self._client.close()

    def _run(self) -> None:
        # The interval is the sampling period; the stop event ends it at once.
        while not self._stop.wait(self.interval_s):
            self._sample()

    def _sample(self, *, baseline: bool = False) -> None:
        value, error = self._read()
        with self._lock:
            samples = self.samples
            if value is None:
                samples.error = samples.error or error
                return
            samples.count += 1
            if baseline:
                samples.baseline_bytes = value
            samples.peak_bytes = value if samples.peak_bytes is None else max(samples.peak_bytes, value)

    def _read(self) -> tuple[float | None, str | None]:
        started = time.monotonic()
        try:
            response = self._client.get(self.metrics_url)
        except httpx.TimeoutException:
            return None, f"no answer within {time.monotonic() - started:.1f} s"
        except httpx.HTTPError as error:
            return None, f"the request failed ({type(error).__name__})"
        if response.status_code != 200:
            return None, f"it answered {response.status_code}"
        try:
            value = resident_memory_bytes(response.text)
        except ValueError:
            return None, "its answer is not in the Prometheus text format"
        if value is None:
            return None, f"its answer has no {RESIDENT_MEMORY_METRIC}"
        return value, None


def check_memory_growth(subject: str, samples: MemorySamples, max_growth_bytes: float) -> list[Problem]:
    """Resident memory grew by no more than the bound between the baseline and the peak."""
    growth = samples.growth_bytes
    if growth is None:
        reason = samples.error or "no sample was taken"
        return [Problem("METRICS_UNAVAILABLE", subject, f"the server's resident memory could not be read: {reason}")]
    if growth > max_growth_bytes:
        assert samples.baseline_bytes is not None and samples.peak_bytes is not None
        return [
            Problem(
                "SERVER_MEMORY_GROWTH",
                subject,
                f"the server's resident memory grew by {growth / MIB:,.0f} MiB during the download "
                f"(from {samples.baseline_bytes / MIB:,.0f} MiB to a peak of {samples.peak_bytes / MIB:,.0f} MiB, "
                f"{samples.count} samples), bound {max_growth_bytes / MIB:g} MiB: as if it held the file in memory "
                "instead of streaming it",
            )
        ]
    return []
