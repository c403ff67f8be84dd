"""A download's start latency split into phases that add up to it, from the browser's own clocks.

The boundaries are the click event's time in the page, the request timings the browser reports
(start, first response headers, last byte) and the download start. The download event reaches the
harness over the same channel as every request event, so the harness's share is measured on the
attempt itself: how late each request event arrived after the browser's own start time for it.
That share is shown apart; what is left is the browser's and the servers' time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from download_probe.analysis import DownloadAnalysis

HARNESS_PHASE = "harness: event delivery"


@dataclass(frozen=True)
class Phase:
    """One stretch of the start latency; times in ms after the click event."""

    name: str
    start_ms: float
    end_ms: float

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Timeline:
    phases: tuple[Phase, ...]  # contiguous from 0; the last is the harness's share when the download started
    total_ms: float | None  # click event to the download event as the harness received it (None: no download)
    harness_ms: float  # the harness's share of total_ms (event delivery), measured on this attempt

    @property
    def browser_ms(self) -> float | None:
        """Click to the download start as the browser made it: the total without the harness's share."""
        return None if self.total_ms is None else self.total_ms - self.harness_ms

    def phase(self, name: str) -> Phase | None:
        return next((phase for phase in self.phases if phase.name == name), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "total_ms": _round(self.total_ms),
            "browser_ms": _round(self.browser_ms),
            "harness_ms": _round(self.harness_ms),
            "phases": [
                {"name": p.name, "start_ms": _round(p.start_ms), "duration_ms": _round(p.duration_ms)} for p in self.phases
            ],
        }


def event_delivery_ms(analysis: DownloadAnalysis) -> float:
    """How late the harness hears of what the browser did: the median, over the attempt's requests,
    of the time the request event reached the harness after the browser's own start time for it."""
    lags = [
        e.seen_ms - e.started_ms
        for e in analysis.attempt.exchanges
        if e.started_by_browser_clock and e.seen_ms >= e.started_ms
    ]
    return statistics.median(lags) if lags else 0.0


def build_timeline(analysis: DownloadAnalysis) -> Timeline:
    """The attempt's phases, each ending at a moment the browser reported, in the order they happened."""
    attempt = analysis.attempt
    origin = attempt.clicked_ms
    ends: list[tuple[float, str]] = []

    def end(name: str, epoch_ms: float | None) -> None:
        if epoch_ms is not None:
            ends.append((epoch_ms - origin, name))

    token = analysis.token_request
    if token is not None:
        end("click to token request", token.started_ms)
        end("token round trip", token.finished_ms or token.headers_ms)
    for fetch in analysis.body_fetches:
        end("click to body fetch", fetch.started_ms)
        end("body fetch (whole file)", fetch.finished_ms or fetch.headers_ms)
    redirect_count = 0
    for position, exchange in enumerate(analysis.chain):
        if position == 0:
            end("navigation to the download URL", exchange.started_ms)
        if exchange.is_redirect:
            redirect_count += 1
            end(f"redirect {redirect_count} ({exchange.status})", exchange.headers_ms)
        else:
            status = f" ({exchange.status})" if exchange.status and exchange.status >= 300 else ""
            end(f"stream's first headers{status}", exchange.headers_ms)

    harness_ms = 0.0
    total_ms = attempt.download_start_ms
    if total_ms is not None:
        # The browser cannot start the download before the headers of the response that carries it,
        # so the harness's share is at most what follows them.
        body = analysis.body_source
        # (A body fetched by script must also have arrived whole before the page can save it.)
        body_ready = None if body is None else (
            (body.finished_ms or body.headers_ms) if analysis.strategy == "proxy" else body.headers_ms
        )
        body_headers_ms = 0.0 if body_ready is None else body_ready - origin
        harness_ms = min(max(event_delivery_ms(analysis), 0.0), max(total_ms - body_headers_ms, 0.0))
        browser_end = total_ms - harness_ms
        # What the browser reported after the download start (a script fetch finishing, say) is not
        # part of the start; the hand-off is what is left between the last boundary and the start.
        ends = [(at, name) for at, name in ends if at <= browser_end]
        ends.append((browser_end, "browser hand-off"))
        ends.append((total_ms, HARNESS_PHASE))
    phases: list[Phase] = []
    previous = 0.0
    for at, name in sorted(ends, key=lambda item: item[0]):
        # Boundaries that come out of order by a clock's grain become empty phases, never negative ones.
        at = max(at, previous)
        phases.append(Phase(name, previous, at))
        previous = at
    return Timeline(tuple(phases), total_ms, harness_ms)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
