"""Tell a network failure from a product failure: the only kind of failed click worth one more try.

A click failed for the network, not the product, when the attempt started no download, no request of
the download chain (download request, redirects) got any HTTP status and no script request an error
status (no answer at all, not even a 5xx), and the token request or a request of the chain failed with
a connection-level error before any response. Anything a server answered (a refusal, an
error, a slow answer, a fallback to the proxy path) is the product's doing and is never retried away.

Knows nothing of Harbor: it reads a DownloadAnalysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from download_probe.analysis import DownloadAnalysis
from download_probe.capture import CapturedExchange
from download_probe.redact import redact_url

# Chromium's net errors that mean the connection broke before an answer came: the server was not
# reached, or the connection was reset or closed with no (or an empty) response. Not among them:
# timeouts (a slow server is the product's), TLS and certificate errors, DNS failures (a wrong
# setting), ERR_ABORTED (the page or the harness cancelled), and anything after a response began.
CONNECTION_ERRORS = frozenset(
    {
        "net::ERR_CONNECTION_RESET",
        "net::ERR_CONNECTION_CLOSED",
        "net::ERR_CONNECTION_ABORTED",
        "net::ERR_CONNECTION_REFUSED",
        "net::ERR_CONNECTION_FAILED",
        "net::ERR_EMPTY_RESPONSE",
        "net::ERR_SOCKET_NOT_CONNECTED",
        "net::ERR_NETWORK_CHANGED",
        "net::ERR_ADDRESS_UNREACHABLE",
    }
)


@dataclass(frozen=True)
class NetworkFailure:
    """The request that failed for the network, and how."""

    error: str  # e.g. "net::ERR_CONNECTION_RESET"
    method: str
    url: str  # redacted

    def describe(self) -> str:
        """"net::ERR_CONNECTION_RESET on POST /api/files/f/download-token before any response"."""
        parts = urlsplit(self.url)
        where = parts.path + (f"?{parts.query}" if parts.query else "")
        return f"{self.error} on {self.method} {where or self.url} before any response"


def connection_error(exchange: CapturedExchange) -> str | None:
    """The exchange's connection-level error, when it failed with one and got no status."""
    if exchange.status is not None or not exchange.failure:
        return None
    error = exchange.failure.strip().split()[0] if exchange.failure.strip() else ""
    return error if error in CONNECTION_ERRORS else None


def network_failure(analysis: DownloadAnalysis) -> NetworkFailure | None:
    """The network failure that stopped this click before any response, or None (a download started,
    a server answered something, or nothing failed at the connection level)."""
    if analysis.attempt.started:
        return None
    # The download chain (the download request, its redirects, the response that ends it) and any
    # body fetched by script: one status there means a server answered the download.
    if any(exchange.status is not None for exchange in [*analysis.chain, *analysis.body_fetches]):
        return None
    # An error status on any script request after the click (the token request's 500, say) is an answer too.
    if any(exchange.status is not None and exchange.status >= 400 for exchange in analysis.script_requests):
        return None
    token = [analysis.token_request] if analysis.token_request is not None else []
    for exchange in [*token, *analysis.chain]:
        error = connection_error(exchange)
        if error:
            return NetworkFailure(error, exchange.method, redact_url(exchange.url))
    return None
