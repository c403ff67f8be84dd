"""Accuracy of the per-hop times: known delays injected into the reference Harbor, measured back.

One reference Harbor per delay D, started with all three delay faults at once
(`slow-token=D`, `slow-redirect=D`, `slow-stream-start=D`): the three hops run one after the
other, so each click measures all three. Each click is made as the suite makes it
(fixtures/downloads.py): a fresh signed-in context, NetworkCapture attached, the dashboard opened
with the page objects, `FileEntry.download(...)`, then `analyse_download`. Each Harbor's first
click is a warm-up, shown in a table of its own (the server's first delayed request pays a
one-off import).

Per phase of the suite's timeline (download_probe.timeline, as the report shows it),
error = measured phase - injected delay, in ms:
  token round trip          the token request's start to its last byte
  redirect 1 (302)          the download request's start to its redirect's headers
  stream's first headers    the end of the redirect to the stream's first headers
The error includes the hop's own time without a delay (a few ms on loopback): the row for 0 ms
shows it. And the baseline: click-to-download-start minus the three injected delays, and the
harness's share of it (event delivery) that the timeline measures and shows apart.

    .venv/bin/python bench/accuracy.py            # 20 clicks per delay (about 4 minutes)
    .venv/bin/python bench/accuracy.py --quick    # 3 clicks per delay (under a minute)
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import bench_support as bs
from playwright.sync_api import Browser, sync_playwright

from download_probe import DownloadAnalysis, build_timeline
from fixtures.target import EmbeddedHarbor

DELAYS_MS = (0, 250, 1000, 1900)
HOP_FAULTS = ("slow-token", "slow-redirect", "slow-stream-start")
TARGET_P95_ERROR_MS = 25.0
DELAYED_PHASES = ("token round trip", "redirect 1 (302)", "stream's first headers")


@dataclass
class HopSamples:
    """Measured durations (ms) per delayed phase, for one injected delay."""

    token: list[float] = field(default_factory=list)
    redirect: list[float] = field(default_factory=list)
    stream_headers: list[float] = field(default_factory=list)
    click_to_start: list[float] = field(default_factory=list)
    browser_start: list[float] = field(default_factory=list)
    harness: list[float] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)  # clicks whose timeline lacked a phase, and why

    def add(self, analysis: DownloadAnalysis) -> None:
        timeline = build_timeline(analysis)
        phases = [timeline.phase(name) for name in DELAYED_PHASES]
        if analysis.strategy != "redirect" or timeline.total_ms is None or None in phases:
            self.unusable.append(
                f"strategy {analysis.strategy}, phases {[p.name for p in timeline.phases]}, error: {analysis.attempt.error}"
            )
            return
        token, redirect, stream = (phase.duration_ms for phase in phases if phase is not None)
        self.token.append(token)
        self.redirect.append(redirect)
        self.stream_headers.append(stream)
        self.click_to_start.append(timeline.total_ms)
        self.browser_start.append(timeline.browser_ms or 0.0)
        self.harness.append(timeline.harness_ms)


def measure_delay(browser: Browser, delay_ms: int, clicks: int, budget: bs.TimeBudget) -> tuple[HopSamples, HopSamples]:
    """(the timed clicks, the warm-up click) against a fresh Harbor with the delay on all three hops."""
    seconds = f"{delay_ms / 1000:g}"
    faults = [arg for fault in HOP_FAULTS for arg in ("--fault", f"{fault}={seconds}")]
    samples, warm_up = HopSamples(), HopSamples()
    with EmbeddedHarbor(faults) as harbor:
        state = bs.signed_in_state(
            browser, harbor.base_url, harbor.credentials["username"], harbor.credentials["password"]
        )
        # The server's first delayed request pays a one-off import (anyio's asyncio backend,
        # 30-70 ms): real server time, not a measuring error, so that click is reported apart.
        warm_up.add(bs.click_like_the_suite(browser, harbor.base_url, state, bs.SMALL_FILE))
        for _ in range(clicks):
            if budget.spent:
                break
            samples.add(bs.click_like_the_suite(browser, harbor.base_url, state, bs.SMALL_FILE))
    return samples, warm_up


def error_row(hop: str, delay_ms: int, measured: list[float]) -> list[str]:
    errors = [value - delay_ms for value in measured]
    absolute = bs.Summary.of([abs(error) for error in errors])
    median = bs.Summary.of(errors).median
    verdict = "yes" if absolute.n and absolute.p95 < TARGET_P95_ERROR_MS else "NO"
    return [hop, str(delay_ms), str(absolute.n), bs.fmt(median), bs.fmt(absolute.p95), bs.fmt(absolute.max), verdict]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 clicks per delay")
    parser.add_argument("--clicks", type=int, default=None, help="clicks per delay (default 20, quick 3)")
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="stop clicking after this long (default 480, quick 90)"
    )
    args = parser.parse_args()
    clicks = args.clicks or (3 if args.quick else 20)
    budget = bs.TimeBudget(args.max_seconds or (90.0 if args.quick else 480.0))

    with sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        try:
            bs.print_machine(browser)
            print(
                f"# {clicks} clicks per delay on {bs.SMALL_FILE}; one reference Harbor per delay with "
                f"{', '.join(HOP_FAULTS)} all set to it; time budget {budget.seconds:g} s"
            )
            measured = {delay: measure_delay(browser, delay, clicks, budget) for delay in DELAYS_MS}
        finally:
            browser.close()
    bs.print_load("at end")

    results = {delay: timed for delay, (timed, _) in measured.items()}
    warm_ups = {delay: warm_up for delay, (_, warm_up) in measured.items()}
    hop_rows: list[list[str]] = []
    for label, attribute in zip(DELAYED_PHASES, ("token", "redirect", "stream_headers")):
        for delay, samples in results.items():
            hop_rows.append(error_row(label, delay, getattr(samples, attribute)))
    bs.print_table(
        "Measured phase minus injected delay (ms)",
        ["phase", "injected ms", "n", "median error", "p95 abs. error", "max abs. error", f"p95 < {TARGET_P95_ERROR_MS:g} ms"],
        hop_rows,
    )

    baseline_rows = []
    for delay, samples in results.items():
        injected = len(HOP_FAULTS) * delay
        total = bs.Summary.of([value - injected for value in samples.click_to_start])
        browser = bs.Summary.of([value - injected for value in samples.browser_start])
        harness = bs.Summary.of(samples.harness)
        baseline_rows.append(
            [
                str(delay),
                str(injected),
                str(total.n),
                bs.fmt(total.median),
                bs.fmt(total.p95),
                bs.fmt(browser.median),
                bs.fmt(harness.median),
                bs.fmt(harness.p95),
            ]
        )
    bs.print_table(
        "Baseline: click-to-download-start minus all injected delay (ms), and the harness's share",
        [
            "delay per hop ms",
            "injected in total ms",
            "n",
            "total - injected, median",
            "p95",
            "browser share - injected, median",
            "harness share median",
            "harness p95",
        ],
        baseline_rows,
    )
    warm_up_rows = [
        [
            str(delay),
            *(bs.fmt(values[0] - delay) if values else "-" for values in (w.token, w.redirect, w.stream_headers)),
            bs.fmt(w.click_to_start[0] - len(HOP_FAULTS) * delay) if w.click_to_start else "-",
        ]
        for delay, w in warm_ups.items()
    ]
    bs.print_table(
        "Not in the tables above: each Harbor's first (warm-up) click, error in ms",
        ["delay per hop ms", *DELAYED_PHASES, "baseline"],
        warm_up_rows,
    )
    for delay, (timed, warm_up) in measured.items():
        for reason in timed.unusable + warm_up.unusable:
            print(f"# delay {delay} ms: a click without all three hops ({reason})")


if __name__ == "__main__":
    main()
