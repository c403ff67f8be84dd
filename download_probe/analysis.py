"""Read a download attempt's traffic: which strategy started it, which hops it took, how long each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from download_probe.capture import CapturedExchange
from download_probe.probe import DownloadAttempt

SCRIPT_TYPES = frozenset({"fetch", "xhr"})
# A script response at least this big, or sent as an attachment, is a file body fetched by script.
BODY_FETCH_MIN_BYTES = 1 << 20


@dataclass(frozen=True)
class Hop:
    """One link of the chain; times in ms after the click event."""

    name: str
    at_ms: float
    until_ms: float | None = None
    url: str | None = None
    status: int | None = None
    detail: str = ""


@dataclass
class DownloadAnalysis:
    attempt: DownloadAttempt
    strategy: str  # "redirect", "proxy", "direct" or "none" (no download started)
    chain: list[CapturedExchange]  # the navigation: download request, each redirect, the final response
    script_requests: list[CapturedExchange]
    body_fetches: list[CapturedExchange]
    token_request: CapturedExchange | None
    token_in_download_request: bool
    hops: list[Hop] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.attempt.label

    @property
    def download_start_ms(self) -> float | None:
        return self.attempt.download_start_ms

    @property
    def download_request(self) -> CapturedExchange | None:
        return self.chain[0] if self.chain else None

    @property
    def final_response(self) -> CapturedExchange | None:
        return self.chain[-1] if self.chain else None

    @property
    def redirects(self) -> list[CapturedExchange]:
        return [exchange for exchange in self.chain if exchange.is_redirect]

    @property
    def fell_back(self) -> bool:
        """A redirect path that hit a server error, then the proxy path delivered the file."""
        final = self.final_response
        return (
            self.strategy == "proxy"
            and final is not None
            and final.status is not None
            and final.status >= 500
        )

    @property
    def headers_wait_ms(self) -> float | None:
        """How long the response that carried the body took to send its headers."""
        source = self.body_source
        if source is None or source.headers_ms is None:
            return None
        return source.headers_ms - source.started_ms

    @property
    def token_accepted(self) -> bool | None:
        """Whether the server accepted the download request (None: no answer seen)."""
        request = self.download_request
        if request is None or request.status is None:
            return None
        return request.status < 400

    @property
    def body_source(self) -> CapturedExchange | None:
        """The response that carried the file body: the final navigation or a script fetch."""
        if self.strategy == "proxy" and self.body_fetches:
            return self.body_fetches[-1]
        return self.final_response

    @property
    def size_bytes(self) -> int | None:
        source = self.body_source
        return source.content_length if source else None


def analyse_download(
    attempt: DownloadAttempt,
    *,
    token_params: tuple[str, ...] = ("token",),
    token_request_pattern: str = r"token",
) -> DownloadAnalysis:
    """Classify the attempt by evidence: resource types, redirects, `blob:` URLs, dispositions."""
    exchanges = attempt.exchanges
    chain = _navigation_chain(exchanges, attempt.download_url)
    script_requests = [e for e in exchanges if e.resource_type in SCRIPT_TYPES]
    body_fetches = [
        e
        for e in script_requests
        if e.is_attachment or (e.content_length or 0) >= BODY_FETCH_MIN_BYTES
    ]
    token_pattern = re.compile(token_request_pattern)
    token_request = next(
        (e for e in script_requests if e not in body_fetches and token_pattern.search(urlsplit(e.url).path)),
        None,
    )
    download_url = attempt.download_url or ""
    if not attempt.started:
        strategy = "none"
    elif download_url.startswith(("blob:", "data:")):
        strategy = "proxy"
    elif any(e.is_redirect for e in chain):
        strategy = "redirect"
    else:
        strategy = "direct"
    analysis = DownloadAnalysis(
        attempt=attempt,
        strategy=strategy,
        chain=chain,
        script_requests=script_requests,
        body_fetches=body_fetches,
        token_request=token_request,
        token_in_download_request=bool(chain) and _has_query_param(chain[0].url, token_params),
    )
    analysis.hops = _hops(analysis)
    return analysis


def _navigation_chain(exchanges: list[CapturedExchange], download_url: str | None) -> list[CapturedExchange]:
    """The navigation that ended in the download, or else the last navigation after the click
    (which says where a failed or abandoned redirect path stopped)."""
    by_index = {e.index: e for e in exchanges}
    navigations = [e for e in exchanges if e.is_navigation]
    if not navigations:
        return []
    final = next((e for e in reversed(navigations) if e.url == download_url), navigations[-1])
    chain = [final]
    while chain[0].redirected_from is not None and chain[0].redirected_from in by_index:
        chain.insert(0, by_index[chain[0].redirected_from])
    return chain


def _has_query_param(url: str, names: tuple[str, ...]) -> bool:
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return any(query.get(name, [""])[0] for name in names)


def _hops(analysis: DownloadAnalysis) -> list[Hop]:
    attempt = analysis.attempt
    origin = attempt.clicked_ms

    def rel(ms: float | None) -> float | None:
        return None if ms is None else ms - origin

    hops = [Hop("click", 0.0, detail=f"{attempt.click_clock} clock")]
    for request in analysis.script_requests:
        name = "token request" if request is analysis.token_request else "script request"
        if request in analysis.body_fetches:
            name = "script fetched the body"
        hops.append(
            Hop(
                name,
                rel(request.started_ms) or 0.0,
                rel(request.finished_ms or request.headers_ms),
                request.url,
                request.status,
                f"{request.method} {request.resource_type}",
            )
        )
    for position, exchange in enumerate(analysis.chain):
        # After the download request, each hop is the request a redirect led to.
        name = "download request" if position == 0 else "followed redirect"
        detail = exchange.failure or ""
        if detail == "net::ERR_ABORTED" and attempt.download_event_ms is not None and not exchange.is_redirect:
            detail += " (expected: the browser took the response over as a download)"
        hops.append(
            Hop(
                name,
                rel(exchange.started_ms) or 0.0,
                rel(exchange.headers_ms),
                exchange.url,
                exchange.status,
                detail,
            )
        )
    final = analysis.final_response
    if final is not None and final.headers_ms is not None and not final.is_redirect:
        hops.append(
            Hop(
                "first response headers",
                rel(final.headers_ms) or 0.0,
                url=final.url,
                status=final.status,
                detail=final.content_disposition,
            )
        )
    if attempt.download_event_ms is not None:
        hops.append(
            Hop("download start", rel(attempt.download_event_ms) or 0.0, url=attempt.download_url)
        )
    elif attempt.error:
        hops.append(Hop("stopped", max((h.until_ms or h.at_ms) for h in hops), detail=attempt.error))
    return sorted(hops, key=lambda hop: hop.at_ms)
