"""Start a download with a real click and time it from the click event in the page."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from playwright.sync_api import Download, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from download_probe.capture import CapturedExchange, ConsoleLine, NetworkCapture, harness_now_ms
from download_probe.redact import redact_url

# How often a wait for a download looks again at the reasons to give up.
GIVE_UP_CHECK_MS = 200.0

# Stamps the trusted click event's own time (page clock, epoch ms) on the element's window.
# Installed on the window in the capture phase so it runs before the page's own handlers
# and also sees clicks that land on a child of the element.
_STAMP_CLICK = """el => {
  const view = el.ownerDocument.defaultView;
  view.__downloadProbe = { clickedMs: null };
  const onClick = event => {
    if (!el.contains(event.target)) return;
    view.__downloadProbe.clickedMs = performance.timeOrigin + event.timeStamp;
    view.removeEventListener('click', onClick, true);
  };
  view.addEventListener('click', onClick, true);
}"""
_READ_CLICK = "el => (el.ownerDocument.defaultView.__downloadProbe || {}).clickedMs ?? null"


@dataclass
class DownloadAttempt:
    """What happened after one click: the download (if any), its times, and the traffic."""

    label: str
    clicked_ms: float
    click_clock: str  # "page" (the click event's time) or "harness" (when the page's was lost)
    download_event_ms: float | None
    download_url: str | None
    suggested_filename: str | None
    exchanges: list[CapturedExchange] = field(default_factory=list)
    console: list[ConsoleLine] = field(default_factory=list)
    error: str | None = None
    # The browser's download itself, kept only when it was not cancelled (a full download waits on it).
    download: Download | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, object]:
        # Attempts are pickled to pass between parallel workers; the live browser object stays behind.
        return {**self.__dict__, "download": None}

    @property
    def started(self) -> bool:
        return self.download_event_ms is not None

    @property
    def download_start_ms(self) -> float | None:
        """Click event to the browser's download start, in milliseconds."""
        if self.download_event_ms is None:
            return None
        return self.download_event_ms - self.clicked_ms


def start_download(
    page: Page,
    trigger: Locator,
    capture: NetworkCapture,
    *,
    label: str = "",
    timeout_ms: float = 15_000,
    give_up_when: Locator | None = None,
    cancel: bool = True,
) -> DownloadAttempt:
    """Click `trigger`, wait for the browser to start a download, then cancel it (by default).

    Stops waiting early when `give_up_when` (say, the page's error alert) becomes visible or the
    page navigates away, so a broken download is diagnosed in moments, not after the timeout.
    Never raises for a download that does not come: the attempt records where it stopped.
    """
    trigger.evaluate(_STAMP_CLICK)
    mark, console_mark = capture.mark(), capture.console_mark()
    started_at_url = page.url
    downloads: list[tuple[float, Download]] = []

    def on_download(download: Download) -> None:
        downloads.append((harness_now_ms(), download))

    page.on("download", on_download)
    harness_click_ms = harness_now_ms()
    error: str | None = None
    try:
        trigger.click()
        error = _wait_for_download(page, downloads, timeout_ms, give_up_when, started_at_url)
    finally:
        page.remove_listener("download", on_download)

    clicked_ms, click_clock = _read_click_time(trigger), "page"
    if clicked_ms is None:
        clicked_ms, click_clock = harness_click_ms, "harness"
    download_event_ms, download = downloads[0] if downloads else (None, None)
    attempt = DownloadAttempt(
        label=label,
        clicked_ms=clicked_ms,
        click_clock=click_clock,
        download_event_ms=download_event_ms,
        download_url=download.url if download else None,
        suggested_filename=download.suggested_filename if download else None,
        error=error,
    )
    if download is not None and cancel:
        download.cancel()
    elif download is not None:
        attempt.download = download
    attempt.exchanges = capture.exchanges(since=mark)
    attempt.console = capture.console[console_mark:]
    return attempt


def _wait_for_download(
    page: Page,
    downloads: list[tuple[float, Download]],
    timeout_ms: float,
    give_up_when: Locator | None,
    started_at_url: str,
) -> str | None:
    """Wait for the first download; the reason it did not come, or None."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not downloads:
        remaining_ms = (deadline - time.monotonic()) * 1000
        if remaining_ms <= 0:
            return f"no download started within {timeout_ms / 1000:g} s of the click"
        if page.url != started_at_url:
            return f"the page navigated away (to {redact_url(page.url)}) instead of starting a download"
        if give_up_when is not None and give_up_when.first.is_visible():
            said = " ".join(give_up_when.first.inner_text().split())[:200]
            return f"the page said {said!r} instead of starting a download"
        # Wait for the event itself, in slices only so the conditions above are looked at again;
        # the download's time comes from the listener, not from when this wait returns.
        slice_ms = min(remaining_ms, GIVE_UP_CHECK_MS)
        try:
            page.wait_for_event("download", timeout=slice_ms)
        except PlaywrightTimeoutError:
            continue
    return None


def _read_click_time(trigger: Locator) -> float | None:
    try:
        value = trigger.evaluate(_READ_CLICK, timeout=2_000)
    except PlaywrightError:
        # The element (or its page) is gone, e.g. the click navigated away.
        return None
    return float(value) if value is not None else None
