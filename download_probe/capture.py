"""Network capture: every request a page makes, with the browser's own timings.

Listeners only copy what Playwright already delivered (no calls back into the browser from a
handler), so capture adds no round trips to the page being measured.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from playwright.sync_api import ConsoleMessage, Page, Request, Response


def harness_now_ms() -> float:
    """Wall-clock epoch milliseconds, the same clock as the browser's `performance.timeOrigin`."""
    return time.time() * 1000.0


@dataclass
class CapturedExchange:
    """One request and (if it came) its response. Times are epoch milliseconds (browser clock)."""

    index: int
    url: str
    method: str
    resource_type: str
    is_navigation: bool
    request_headers: dict[str, str]
    started_ms: float
    seen_ms: float
    redirected_from: int | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    headers_ms: float | None = None
    finished_ms: float | None = None
    failure: str | None = None
    # The request body as sent (beacons and form posts can carry secrets to other origins).
    post_data: str | None = None
    # Whether started_ms is the browser's own start time (else when the harness heard of the request).
    started_by_browser_clock: bool = True

    @property
    def is_redirect(self) -> bool:
        return self.status is not None and 300 <= self.status < 400

    @property
    def content_length(self) -> int | None:
        value = self.response_headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    @property
    def content_disposition(self) -> str:
        return self.response_headers.get("content-disposition", "")

    @property
    def is_attachment(self) -> bool:
        return self.content_disposition.strip().lower().startswith("attachment")


@dataclass(frozen=True)
class ConsoleLine:
    seen_ms: float
    kind: str
    text: str


class NetworkCapture:
    """Records a page's requests, responses and console lines from the moment it is attached.

    `on_request` is called with each request as it is seen, so a redactor can learn the
    secrets (tokens, signatures, bearer credentials) that pass by.
    """

    def __init__(self, page: Page, on_request: Callable[[Request], Any] | None = None) -> None:
        self.page = page
        self._requests: list[Request] = []
        self._index_of: dict[int, int] = {}
        self._seen_ms: list[float] = []
        self._responses: dict[int, tuple[int, dict[str, str]]] = {}
        self._failures: dict[int, str] = {}
        self.console: list[ConsoleLine] = []
        self._on_request = on_request
        self._listeners: list[tuple[str, Callable[..., None]]] = [
            ("request", self._request),
            ("response", self._response),
            ("requestfailed", self._failed),
            ("console", self._console),
        ]
        for event, handler in self._listeners:
            page.on(event, handler)

    def detach(self) -> None:
        for event, handler in self._listeners:
            self.page.remove_listener(event, handler)
        self._listeners = []

    def __enter__(self) -> NetworkCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()

    # -- listeners ---------------------------------------------------------------------------
    def _request(self, request: Request) -> None:
        self._index_of[id(request)] = len(self._requests)
        self._requests.append(request)
        self._seen_ms.append(harness_now_ms())
        if self._on_request:
            self._on_request(request)

    def _response(self, response: Response) -> None:
        self._responses[id(response.request)] = (response.status, dict(response.headers))

    def _failed(self, request: Request) -> None:
        self._failures[id(request)] = request.failure or "failed"

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(ConsoleLine(harness_now_ms(), message.type, message.text))

    # -- reading -----------------------------------------------------------------------------
    def mark(self) -> int:
        """A position in the capture: `exchanges(since=mark)` returns what came after it."""
        return len(self._requests)

    def console_mark(self) -> int:
        return len(self.console)

    def exchanges(self, since: int = 0) -> list[CapturedExchange]:
        """Snapshots of the requests seen since `since`, with the browser's timings as of now."""
        return [self._snapshot(i) for i in range(since, len(self._requests))]

    def _snapshot(self, index: int) -> CapturedExchange:
        request = self._requests[index]
        timing = request.timing
        started_ms = timing.get("startTime", -1)
        started_by_browser_clock = started_ms is not None and started_ms > 0
        if not started_by_browser_clock:
            started_ms = self._seen_ms[index]

        def at(key: str) -> float | None:
            value = timing.get(key, -1)
            return started_ms + value if value is not None and value >= 0 else None

        status, headers = self._responses.get(id(request), (None, {}))
        previous = request.redirected_from
        return CapturedExchange(
            index=index,
            url=request.url,
            method=request.method,
            resource_type=request.resource_type,
            is_navigation=request.is_navigation_request(),
            request_headers=dict(request.headers),
            started_ms=started_ms,
            seen_ms=self._seen_ms[index],
            redirected_from=self._index_of.get(id(previous)) if previous is not None else None,
            status=status,
            response_headers=headers,
            headers_ms=at("responseStart"),
            finished_ms=at("responseEnd"),
            failure=self._failures.get(id(request)),
            post_data=_post_data(request),
            started_by_browser_clock=started_by_browser_clock,
        )


def _post_data(request: Request) -> str | None:
    # Already delivered with the request (no call back into the browser); binary bodies are not text.
    try:
        return request.post_data
    except (UnicodeDecodeError, ValueError):
        return None
