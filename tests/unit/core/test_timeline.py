"""The start latency's phases, repeated clicks' figures and their budget check, on hand-built evidence."""

from __future__ import annotations

import pytest

from download_probe import (
    HARNESS_PHASE,
    LatencyStats,
    analyse_download,
    build_timeline,
    check_repeated_latency,
    nearest_rank,
    representative,
)
from download_probe.capture import CapturedExchange
from download_probe.probe import DownloadAttempt

CLICK = 1_000_000.0


def exchange(
    index: int,
    url: str,
    *,
    start: float,
    headers_at: float,
    end_at: float | None = None,
    status: int = 200,
    kind: str = "document",
    redirected_from: int | None = None,
    delivered_after: float = 3.0,
    response_headers: dict[str, str] | None = None,
) -> CapturedExchange:
    """A request started `start` ms after the click (browser clock), heard of by the harness
    `delivered_after` ms later; its headers at `headers_at`, its last byte at `end_at`."""
    return CapturedExchange(
        index=index, url=url, method="POST" if kind == "fetch" else "GET", resource_type=kind,
        is_navigation=kind == "document", request_headers={}, started_ms=CLICK + start,
        seen_ms=CLICK + start + delivered_after, redirected_from=redirected_from, status=status,
        response_headers=response_headers or {}, headers_ms=CLICK + headers_at,
        finished_ms=None if end_at is None else CLICK + end_at,
    )


ATTACHMENT = {"content-disposition": 'attachment; filename="f.img"', "content-length": "1000"}


def redirect_click(*, token_ms: float = 40, redirect_ms: float = 20, stream_ms: float = 10, download_at: float | None = None,
                   delivered_after: float = 3.0, label: str = "f.img") -> DownloadAttempt:
    """A redirect-path click: token request from 5 ms, navigation 2 ms after it, one 302, the stream."""
    token_end = 5 + token_ms
    nav = token_end + 2
    stream_start = nav + redirect_ms
    headers = stream_start + stream_ms
    exchanges = [
        exchange(0, "http://h/api/files/f/download-token", kind="fetch", start=5, headers_at=token_end - 1,
                 end_at=token_end, delivered_after=delivered_after),
        exchange(1, "http://h/api/files/f/download?token=T", start=nav, headers_at=nav + redirect_ms, status=302,
                 delivered_after=delivered_after),
        exchange(2, "http://nas/f?sig=S", start=stream_start, headers_at=headers, redirected_from=1,
                 response_headers=ATTACHMENT, delivered_after=delivered_after),
    ]
    started_at = download_at if download_at is not None else headers + 4 + delivered_after
    return DownloadAttempt(
        label=label, clicked_ms=CLICK, click_clock="page", download_event_ms=CLICK + started_at,
        download_url="http://nas/f?sig=S", suggested_filename="f.img", exchanges=exchanges,
    )


def test_phases_follow_the_chain_and_add_up_to_the_total() -> None:
    timeline = build_timeline(analyse_download(redirect_click(token_ms=40, redirect_ms=20, stream_ms=10)))
    assert [p.name for p in timeline.phases] == [
        "click to token request", "token round trip", "navigation to the download URL", "redirect 1 (302)",
        "stream's first headers", "browser hand-off", HARNESS_PHASE,
    ]
    durations = {p.name: p.duration_ms for p in timeline.phases}
    assert durations["click to token request"] == pytest.approx(5)
    assert durations["token round trip"] == pytest.approx(40)
    assert durations["navigation to the download URL"] == pytest.approx(2)
    assert durations["redirect 1 (302)"] == pytest.approx(20)
    assert durations["stream's first headers"] == pytest.approx(10)
    assert durations["browser hand-off"] == pytest.approx(4)
    assert timeline.harness_ms == pytest.approx(3) and durations[HARNESS_PHASE] == pytest.approx(3)
    assert sum(p.duration_ms for p in timeline.phases) == pytest.approx(timeline.total_ms)
    assert timeline.browser_ms == pytest.approx(timeline.total_ms - 3)
    # Contiguous: each phase starts where the one before ended.
    assert all(a.end_ms == b.start_ms for a, b in zip(timeline.phases, timeline.phases[1:]))


def test_a_slow_hop_shows_in_its_own_phase_only() -> None:
    quick = build_timeline(analyse_download(redirect_click(redirect_ms=20)))
    slow = build_timeline(analyse_download(redirect_click(redirect_ms=1020)))
    for phase in quick.phases:
        grew = slow.phase(phase.name).duration_ms - phase.duration_ms
        assert grew == pytest.approx(1000 if phase.name == "redirect 1 (302)" else 0)


def test_harness_share_never_puts_the_download_before_its_response_headers() -> None:
    # The harness heard of requests 50 ms late, but the download event came only 10 ms after the headers.
    click = redirect_click(stream_ms=10, delivered_after=50, download_at=5 + 40 + 2 + 20 + 10 + 10)
    timeline = build_timeline(analyse_download(click))
    assert timeline.harness_ms == pytest.approx(10)
    assert timeline.phase("stream's first headers") is not None
    assert timeline.phase("browser hand-off").duration_ms == pytest.approx(0)
    assert sum(p.duration_ms for p in timeline.phases) == pytest.approx(timeline.total_ms)


def test_requests_without_browser_timings_do_not_count_towards_the_harness_share() -> None:
    click = redirect_click(delivered_after=6)
    for e in click.exchanges:
        e.started_by_browser_clock = False
    click.exchanges[0].started_by_browser_clock = True
    assert build_timeline(analyse_download(click)).harness_ms == pytest.approx(6)


def test_a_click_that_started_nothing_has_phases_but_no_total() -> None:
    click = redirect_click()
    click.download_event_ms, click.download_url, click.error = None, None, "no download started within 15 s"
    timeline = build_timeline(analyse_download(click))
    assert timeline.total_ms is None and timeline.browser_ms is None
    assert HARNESS_PHASE not in [p.name for p in timeline.phases]


def test_nearest_rank_percentiles() -> None:
    values = list(range(1, 21))  # 1..20
    assert nearest_rank(values, 95) == 19 and nearest_rank(values, 50) == 10 and nearest_rank(values, 100) == 20
    assert nearest_rank([7.0], 95) == 7.0
    stats = LatencyStats.of([300.0, 100.0, 200.0, 500.0, 400.0])
    assert (stats.min_ms, stats.median_ms, stats.p95_ms, stats.max_ms, stats.count) == (100, 300, 500, 500, 5)


def test_repeated_clicks_are_held_on_p95_and_maximum() -> None:
    within = [analyse_download(redirect_click(redirect_ms=ms)) for ms in (20, 30, 40)]
    assert check_repeated_latency(within, budget_ms=2000) == []
    one_slow = within + [analyse_download(redirect_click(redirect_ms=2500))]
    problems = check_repeated_latency(one_slow, budget_ms=2000)
    assert [p.code for p in problems] == ["SLOW_HOP"]
    assert "slowest of 4 clicks" in problems[0].message and "the download request" in problems[0].message
    assert problems[0].subject == "f.img"


def test_one_click_of_several_that_starts_nothing_fails_the_file() -> None:
    clicks = [redirect_click(), redirect_click()]
    clicks[1].download_event_ms, clicks[1].download_url = None, None
    clicks[1].error = "no download started within 15 s of the click"
    analyses = [analyse_download(c) for c in clicks]
    problems = check_repeated_latency(analyses, budget_ms=2000)
    assert len(problems) == 1 and "(1 of 2 clicks)" in problems[0].message
    assert representative(analyses) is analyses[1]


def test_representative_is_the_median_click() -> None:
    analyses = [analyse_download(redirect_click(redirect_ms=ms)) for ms in (300, 100, 200, 500, 400)]
    assert representative(analyses) is analyses[0]
