"""The server-memory check: resident memory read from Prometheus metrics before and during a piece of
work, and growth beyond the bound named, with the numbers."""

from __future__ import annotations

import threading

import httpx
import pytest

from download_probe.server_memory import (
    MemorySamples,
    ResidentMemorySampler,
    check_memory_growth,
    resident_memory_bytes,
)

MIB = 1 << 20


def _exposition(resident: float) -> str:
    return (
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        "# TYPE process_resident_memory_bytes gauge\n"
        f"process_resident_memory_bytes {resident:.9e}\n"
        "# HELP process_open_fds Number of open file descriptors.\n"
        "# TYPE process_open_fds gauge\n"
        "process_open_fds 12.0\n"
    )


class ScriptedMetrics(httpx.BaseTransport):
    """Answers each metrics request with the next resident size (then the last one again); `served`
    is set once `wait_for` requests have been answered."""

    def __init__(self, sizes_mib: list[float], wait_for: int) -> None:
        self.sizes = list(sizes_mib)
        self.requests = 0
        self.wait_for = wait_for
        self.served = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        size = self.sizes[min(self.requests, len(self.sizes) - 1)]
        self.requests += 1
        if self.requests >= self.wait_for:
            self.served.set()
        return httpx.Response(200, text=_exposition(size * MIB))


def test_resident_memory_is_read_from_the_exposition() -> None:
    assert resident_memory_bytes(_exposition(123 * MIB)) == 123 * MIB
    assert resident_memory_bytes("process_open_fds 3\n") is None
    # Several processes reporting it (a server with workers): together.
    two = 'process_resident_memory_bytes{worker="1"} 100\nprocess_resident_memory_bytes{worker="2"} 50\n'
    assert resident_memory_bytes(two) == 150


def test_sampler_keeps_the_baseline_and_the_peak() -> None:
    metrics = ScriptedMetrics([100, 110, 400, 150], wait_for=4)
    with ResidentMemorySampler("http://server/metrics", interval_s=0.01, transport=metrics) as sampler:
        assert metrics.served.wait(timeout=10), "the sampler did not sample during the work"
    samples = sampler.samples
    assert samples.baseline_bytes == 100 * MIB and samples.peak_bytes == 400 * MIB
    assert samples.growth_bytes == 300 * MIB and samples.count >= 4 and samples.error is None
    problems = check_memory_growth("big.img", samples, 64 * MIB)
    assert [p.code for p in problems] == ["SERVER_MEMORY_GROWTH"] and problems[0].subject == "big.img"
    assert "grew by 300 MiB" in problems[0].message and "from 100 MiB to a peak of 400 MiB" in problems[0].message
    assert "bound 64 MiB" in problems[0].message


def test_flat_memory_passes() -> None:
    metrics = ScriptedMetrics([100, 101, 99, 102], wait_for=4)
    with ResidentMemorySampler("http://server/metrics", interval_s=0.01, transport=metrics) as sampler:
        assert metrics.served.wait(timeout=10)
    assert check_memory_growth("big.img", sampler.samples, 64 * MIB) == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.Response(404, text="not here"), "it answered 404"),
        (httpx.Response(200, text="process_open_fds 3\n"), "no process_resident_memory_bytes"),
    ],
)
def test_unreadable_metrics_are_a_problem_that_says_why(answer: httpx.Response, reason: str) -> None:
    transport = httpx.MockTransport(lambda request: answer)
    url = "https://metrics.example.com/metrics?token=s3cret-metrics-token"
    with ResidentMemorySampler(url, interval_s=1.0, transport=transport) as sampler:
        pass
    problems = check_memory_growth("big.img", sampler.samples, 64 * MIB)
    assert [p.code for p in problems] == ["METRICS_UNAVAILABLE"] and reason in problems[0].message
    assert "s3cret" not in problems[0].message


def test_unreachable_metrics_say_so_without_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with ResidentMemorySampler(
        "http://user:pw-s3cret@metrics.invalid/metrics", interval_s=1.0, transport=httpx.MockTransport(refuse)
    ) as sampler:
        pass
    assert sampler.samples.count == 0
    problems = check_memory_growth("big.img", sampler.samples, 64 * MIB)
    assert [p.code for p in problems] == ["METRICS_UNAVAILABLE"] and "ConnectError" in problems[0].message
    assert "s3cret" not in problems[0].message


def test_no_sample_at_all_is_not_a_pass() -> None:
    assert [p.code for p in check_memory_growth("f", MemorySamples(), 64 * MIB)] == ["METRICS_UNAVAILABLE"]
