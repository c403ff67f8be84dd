"""Start a download with a real click and time it from the click event in the page."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Download, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from download_probe.capture import CapturedExchange, ConsoleLine, NetworkCapture, harness_now_ms

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
    cancel: bool = True,
) -> DownloadAttempt:
    """Click `trigger`, wait for the browser to start a download, then cancel it (by default).

    Never raises for a download that does not come: the attempt records where it stopped.
    """
    trigger.evaluate(_STAMP_CLICK)
    mark, console_mark = capture.mark(), capture.console_mark()
    download_seen: list[float] = []

    def on_download(_: Download) -> None:
        download_seen.append(harness_now_ms())

    page.on("download", on_download)
    harness_click_ms = harness_now_ms()
    download: Download | None = None
    error: str | None = None
    try:
        with page.expect_download(timeout=timeout_ms) as download_info:
            trigger.click()
        download = download_info.value
    except PlaywrightTimeoutError:
        error = f"no download started within {timeout_ms / 1000:g} s of the click"
    finally:
        page.remove_listener("download", on_download)

    clicked_ms, click_clock = _read_click_time(trigger), "page"
    if clicked_ms is None:
        clicked_ms, click_clock = harness_click_ms, "harness"

    attempt = DownloadAttempt(
        label=label,
        clicked_ms=clicked_ms,
        click_clock=click_clock,
        download_event_ms=download_seen[0] if download_seen else None,
        download_url=download.url if download else None,
        suggested_filename=download.suggested_filename if download else None,
        error=error,
    )
    if download is not None and cancel:
        download.cancel()
    attempt.exchanges = capture.exchanges(since=mark)
    attempt.console = capture.console[console_mark:]
    return attempt


def _read_click_time(trigger: Locator) -> float | None:
    try:
        value = trigger.evaluate(_READ_CLICK, timeout=2_000)
    except PlaywrightError:
        # The element (or its page) is gone, e.g. the click navigated away.
        return None
    return float(value) if value is not None else None
