"""What the benchmarks share: statistics, tables, the browser, signing in, the API's download grant,
curl timings, a time budget and a description of the machine.

Importing this module puts the repository root on `sys.path`, so the scripts in bench/ (run as
`.venv/bin/python bench/<name>.py`) can import the project's own modules.
"""

from __future__ import annotations

import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Playwright, StorageState  # noqa: E402

from download_probe import DownloadAnalysis, NetworkCapture, Redactor, analyse_download  # noqa: E402
from fixtures.browser import QUIET_CHROMIUM_ARGS, find_chromium  # noqa: E402
from pages import DashboardPage, SignInPage  # noqa: E402

# The release whose files the benchmarks click (the reference Harbor's stable release).
VERSION = "2.0.0"
SMALL_FILE = "harbor-tools-2.0.0.tar.gz"  # ~4 MiB
BIG_FILE = "harbor-firmware-2.0.0.img"  # 520 MiB
DOWNLOAD_TIMEOUT_MS = 20_000


# -- statistics and tables -----------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    p95: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            return cls(0, math.nan, math.nan, math.nan)
        return cls(len(values), statistics.median(values), percentile(values, 0.95), max(values))


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A Markdown table (so a run's output pastes into RESULTS.md as it is)."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [
        max(len(str(h)), *(len(row[i]) for row in cells)) if cells else len(str(h)) for i, h in enumerate(headers)
    ]
    print(f"\n### {title}\n")
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(cell.rjust(w) for cell, w in zip(row, widths)) + " |")
    sys.stdout.flush()


class TimeBudget:
    """Stops a benchmark's loop by itself: at most `seconds` of wall time, whatever the counts say."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    @property
    def spent(self) -> bool:
        return time.monotonic() >= self.deadline


# -- the machine ---------------------------------------------------------------------------------


def machine_lines(browser: Browser | None = None) -> list[str]:
    """nproc, memory, CPU model, kernel, Chromium and the date: what a number depends on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    total_memory = memory[1].split()[1] if len(memory) > 1 else "unknown"
    lines = [
        f"date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"nproc: {os.cpu_count()}, memory: {total_memory} (free -h), CPU: {cpu}",
        f"kernel: {platform.release()}, Python {platform.python_version()}",
    ]
    if browser is not None:
        lines.append(f"browser: {browser.browser_type.name} {browser.version}")
    return lines


def print_machine(browser: Browser | None = None) -> None:
    for line in machine_lines(browser):
        print(f"# {line}")
    print_load("at start")


def print_load(when: str) -> None:
    """The load average: a busy machine (say, a test suite running beside) skews every number here."""
    one, five, fifteen = os.getloadavg()
    print(f"# load average {when}: {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)", flush=True)


def bootstrap_ratio_ci(
    numerator: Sequence[float], denominator: Sequence[float], resamples: int = 2000
) -> tuple[float, float]:
    """95% bootstrap interval of median(numerator) / median(denominator): how sure a ratio is."""
    generator = random.Random(4)  # fixed seed: the same data gives the same interval
    ratios = sorted(
        statistics.median(generator.choices(numerator, k=len(numerator)))
        / statistics.median(generator.choices(denominator, k=len(denominator)))
        for _ in range(resamples)
    )
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


# -- browser and sign-in -------------------------------------------------------------------------


def launch_chromium(playwright: Playwright) -> Browser:
    """Chromium launched as the suite launches it (fixtures.browser): same executable choice, same args."""
    args = list(QUIET_CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox.
    executable = find_chromium(playwright.chromium, os.environ.get("HARBOR_CHROMIUM_PATH"))
    return playwright.chromium.launch(headless=True, args=args, executable_path=executable)


def signed_in_state(browser: Browser, base_url: str, username: str, password: str) -> StorageState:
    """Sign in once with the page objects; the storage state lets later contexts start signed in,
    as the suite's contexts do (fixtures.auth)."""
    context = browser.new_context(base_url=base_url)
    try:
        SignInPage(context.new_page()).open().sign_in(username, password).deployment_table.wait_until_listed()
        return context.storage_state()
    finally:
        context.close()


def new_signed_in_context(browser: Browser, base_url: str, state: StorageState) -> BrowserContext:
    context = browser.new_context(base_url=base_url, storage_state=state, accept_downloads=True)
    context.set_default_timeout(DOWNLOAD_TIMEOUT_MS)
    return context


def click_like_the_suite(browser: Browser, base_url: str, state: StorageState, file_name: str) -> DownloadAnalysis:
    """One download as fixtures/downloads.py makes it: a fresh signed-in context, NetworkCapture
    (learning secrets for redaction) attached before the dashboard opens, the page objects'
    `FileEntry.download`, then `analyse_download`."""
    context = new_signed_in_context(browser, base_url, state)
    try:
        page = context.new_page()
        with NetworkCapture(page, on_request=Redactor().learn_from_request) as capture:
            row = DashboardPage(page).open().deployment_table.row(VERSION)
            attempt = row.file(file_name).download(capture, timeout_ms=DOWNLOAD_TIMEOUT_MS, label=file_name)
        return analyse_download(attempt)
    finally:
        context.close()


def file_ids(browser: Browser, base_url: str, state: StorageState, names: Sequence[str]) -> dict[str, str]:
    """File ids as the dashboard's table gives them (FileEntry.info), by file name."""
    context = new_signed_in_context(browser, base_url, state)
    try:
        row = DashboardPage(context.new_page()).open().deployment_table.row(VERSION)
        return {name: row.file(name).info().file_id for name in names}
    finally:
        context.close()


# -- the API and curl ----------------------------------------------------------------------------


class HarborApi:
    """The contract's API calls a non-browser client makes: sign in, then download grants.
    Holds the access token; never prints it."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self._client = httpx.Client(base_url=base_url, timeout=10.0)
        response = self._client.post("/api/auth/login", json={"username": username, "password": password})
        response.raise_for_status()
        self._access_token = response.json()["access_token"]

    @property
    def auth_header(self) -> str:
        return f"Authorization: Bearer {self._access_token}"

    def download_url(self, file_id: str) -> str:
        """The absolute download URL (with its token) the token endpoint grants."""
        response = self._client.post(
            f"/api/files/{file_id}/download-token", headers={"Authorization": f"Bearer {self._access_token}"}
        )
        response.raise_for_status()
        return self.base_url + response.json()["download_url"]

    def stream_url(self, file_id: str) -> str:
        """The signed streaming URL the download URL redirects to (the streaming service itself)."""
        response = self._client.get(self.download_url(file_id), follow_redirects=False)
        if response.status_code != 302:
            raise RuntimeError(f"expected a 302 from the download URL, got {response.status_code}")
        return str(httpx.URL(self.base_url).join(response.headers["location"]))

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class CurlTiming:
    status: int
    ttfb_ms: float  # time_starttransfer: up to the first byte of the final response (redirects included)
    total_ms: float
    size_bytes: int
    exit_code: int
    body: str = ""  # the response body, when asked for (keep_body)


def curl(
    url: str, *extra: str, headers: Sequence[str] = (), method: str | None = None, keep_body: bool = False
) -> CurlTiming:
    """One curl run. URL and headers go in through `-K -` (stdin), so tokens, signatures and
    access tokens never appear on a command line that `ps` could show."""
    config = [f'url = "{url}"', *(f'header = "{header}"' for header in headers)]
    if method:
        config.append(f'request = "{method}"')
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "-" if keep_body else "/dev/null",
            "-K",
            "-",
            *extra,
            "-w",
            "\n%{http_code} %{time_starttransfer} %{time_total} %{size_download} %{exitcode}",
        ],
        input="\n".join(config) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    body, _, timings = result.stdout.rpartition("\n")
    status, ttfb, total, size, exit_code = timings.split()
    return CurlTiming(int(status), float(ttfb) * 1000, float(total) * 1000, int(size), int(exit_code), body)


# A `--max-filesize` smaller than the file makes curl stop right after the final response's
# headers (exit 63), which still time the real full-file response (200, not a 206 of one byte).
CURL_STOP_AFTER_HEADERS = ("--max-filesize", "1")
CURL_FILESIZE_EXCEEDED = 63
