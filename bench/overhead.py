"""Overhead of the suite's measuring, side by side in one run, on the same Harbor and the same files:

  (a) suite  the suite's way (fixtures/downloads.py): fresh signed-in context, NetworkCapture
             attached, page objects, `FileEntry.download` -> `start_download`; click-to-download-start
  (b) bare   a bare Playwright script: fresh signed-in context, the same button found by role, no
             capture, no page objects; from the same in-page click time
             (`performance.timeOrigin + event.timeStamp`) to the download event
  (c) curl   no browser: curl's time to the first byte of the download URL's final response (the
             302 included), and the same plus curl's token request before it (the browser's chain)

Rounds interleave the three (in a rotating order) so drift hits all alike; one untimed warm-up
round first. For the 520 MiB file curl stops after the final response's headers (--max-filesize),
which still times the real 200 response; the browsers cancel the download once it starts.

    .venv/bin/python bench/overhead.py            # 100 rounds (5 to 7 minutes)
    .venv/bin/python bench/overhead.py --quick    # 5 rounds (under a minute)
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Callable

import bench_support as bs
from playwright.sync_api import Browser, Download, StorageState, sync_playwright

from fixtures.target import EmbeddedHarbor

TARGET_SUITE_OVER_BARE = 0.10  # the suite may add at most 10% to the bare script's time

# The bare script's own click stamp: the trusted click event's time on the page clock (epoch ms),
# taken in the capture phase before the page's handlers run, as download_probe does.
BARE_STAMP_CLICK = """() => {
  window.__bareClickMs = null;
  window.addEventListener('click', event => {
    window.__bareClickMs = performance.timeOrigin + event.timeStamp;
  }, { capture: true, once: true });
}"""


def suite_click(browser: Browser, base_url: str, state: StorageState, file_name: str) -> float:
    analysis = bs.click_like_the_suite(browser, base_url, state, file_name)
    if analysis.download_start_ms is None:
        raise RuntimeError(f"suite: no download of {file_name} ({analysis.attempt.error})")
    return analysis.download_start_ms


def bare_click(browser: Browser, base_url: str, state: StorageState, file_name: str) -> float:
    """What a developer would write without the suite: open, click, wait for the download."""
    context = bs.new_signed_in_context(browser, base_url, state)
    try:
        page = context.new_page()
        page.goto("/dashboard")
        button = page.get_by_role("button", name=f"Download {file_name}", exact=True)
        button.wait_for()
        page.evaluate(BARE_STAMP_CLICK)
        seen: list[tuple[float, Download]] = []
        page.on("download", lambda download: seen.append((time.time() * 1000, download)))
        with page.expect_download(timeout=bs.DOWNLOAD_TIMEOUT_MS):
            button.click()
        download_ms, download = seen[0]
        download.cancel()
        clicked_ms = page.evaluate("() => window.__bareClickMs")
        return download_ms - float(clicked_ms)
    finally:
        context.close()


def curl_chain(api: bs.HarborApi, file_id: str) -> tuple[float, float]:
    """(download URL's time to first byte, token request + that): curl's run of the browser's chain."""
    grant = bs.curl(
        f"{api.base_url}/api/files/{file_id}/download-token", method="POST", headers=[api.auth_header], keep_body=True
    )
    if grant.status != 200:
        raise RuntimeError(f"curl: the token request answered {grant.status}")
    download_url = api.base_url + json.loads(grant.body)["download_url"]
    first_byte = bs.curl(download_url, "-L", *bs.CURL_STOP_AFTER_HEADERS)
    if first_byte.status != 200 or first_byte.exit_code not in (0, bs.CURL_FILESIZE_EXCEEDED):
        raise RuntimeError(f"curl: the download URL ended in {first_byte.status} (curl exit {first_byte.exit_code})")
    return first_byte.ttfb_ms, grant.total_ms + first_byte.ttfb_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 100, quick 5)")
    parser.add_argument("--max-seconds", type=float, default=None, help="stop after this long (default 420, quick 60)")
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 100)
    budget = bs.TimeBudget(args.max_seconds or (60.0 if args.quick else 420.0))
    files = (bs.SMALL_FILE, bs.BIG_FILE)
    columns = ("suite", "bare", "curl TTFB", "curl token + TTFB")
    times: dict[tuple[str, str], list[float]] = {(file, column): [] for file in files for column in columns}

    with EmbeddedHarbor() as harbor, sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        api = bs.HarborApi(harbor.base_url, harbor.credentials["username"], harbor.credentials["password"])
        try:
            bs.print_machine(browser)
            state = bs.signed_in_state(
                browser, harbor.base_url, harbor.credentials["username"], harbor.credentials["password"]
            )
            ids = bs.file_ids(browser, harbor.base_url, state, files)

            def variants(file: str) -> list[Callable[[], None]]:
                def suite() -> None:
                    times[file, "suite"].append(suite_click(browser, harbor.base_url, state, file))

                def bare() -> None:
                    times[file, "bare"].append(bare_click(browser, harbor.base_url, state, file))

                def by_curl() -> None:
                    first_byte, chain = curl_chain(api, ids[file])
                    times[file, "curl TTFB"].append(first_byte)
                    times[file, "curl token + TTFB"].append(chain)

                return [suite, bare, by_curl]

            # Warm-up round (not counted): the server's first stream pays a one-off import.
            for file in files:
                suite_click(browser, harbor.base_url, state, file)
                bare_click(browser, harbor.base_url, state, file)
                curl_chain(api, ids[file])
            done = 0
            for round_number in range(rounds):
                if budget.spent:
                    break
                for file in files:
                    order = variants(file)
                    shift = round_number % len(order)
                    for run in order[shift:] + order[:shift]:
                        run()
                done += 1
            print(
                f"# {done} timed rounds (each: every variant once per file, rotating order) after 1 warm-up round; "
                f"time budget {budget.seconds:g} s"
            )
        finally:
            api.close()
            browser.close()
    bs.print_load("at end")

    rows = []
    for file in files:
        for column in columns:
            summary = bs.Summary.of(times[file, column])
            rows.append(
                [file, column, str(summary.n), bs.fmt(summary.median), bs.fmt(summary.p95), bs.fmt(summary.max)]
            )
    bs.print_table(
        "Click (or request) to download start / first byte, ms", ["file", "how", "n", "median", "p95", "max"], rows
    )

    ratio_rows = []
    for file in files:
        suite_times, bare_times = times[file, "suite"], times[file, "bare"]
        suite, bare = bs.Summary.of(suite_times), bs.Summary.of(bare_times)
        curl_chain_ms = bs.Summary.of(times[file, "curl token + TTFB"])
        added = suite.median / bare.median - 1
        low, high = bs.bootstrap_ratio_ci(suite_times, bare_times)
        ratio_rows.append(
            [
                file,
                bs.fmt(suite.median / bare.median, 3),
                f"{low:.3f} - {high:.3f}",
                bs.fmt(suite.p95 / bare.p95, 3),
                f"{added * 100:+.1f}%",
                "yes" if added < TARGET_SUITE_OVER_BARE else "NO",
                bs.fmt(bare.median / curl_chain_ms.median, 1),
                bs.fmt(suite.median / curl_chain_ms.median, 1),
            ]
        )
    bs.print_table(
        "Ratios (95% interval: bootstrap of the ratio of medians)",
        [
            "file",
            "suite/bare median",
            "95% interval",
            "suite/bare p95",
            "suite adds (median)",
            f"< {TARGET_SUITE_OVER_BARE:.0%}",
            "bare / curl chain",
            "suite / curl chain",
        ],
        ratio_rows,
    )


if __name__ == "__main__":
    main()
