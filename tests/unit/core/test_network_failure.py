"""Only a network failure before any response is worth one more click; evidence built by hand."""

from __future__ import annotations

from download_probe import analyse_download
from download_probe.capture import CapturedExchange
from download_probe.network_failure import CONNECTION_ERRORS, network_failure
from download_probe.probe import DownloadAttempt

CLICK = 1_000_000.0
TOKEN_URL = "http://h/api/files/f/download-token"
DOWNLOAD_URL = "http://h/api/files/f/download?token=SECRET-T"
ATTACHMENT = {"content-disposition": 'attachment; filename="f.img"', "content-length": "100"}


def exchange(index: int, url: str, *, kind: str = "document", status: int | None = 200, failure: str | None = None,
             start: float = 10, redirected_from: int | None = None, headers: dict | None = None) -> CapturedExchange:
    answered = status is not None
    return CapturedExchange(
        index=index, url=url, method="POST" if kind == "fetch" and "token" in url else "GET", resource_type=kind,
        is_navigation=kind == "document", request_headers={}, started_ms=CLICK + start, seen_ms=CLICK + start,
        redirected_from=redirected_from, status=status, response_headers=headers or {},
        headers_ms=CLICK + start + 5 if answered else None, finished_ms=CLICK + start + 6 if answered else None,
        failure=failure,
    )


def attempt(exchanges: list[CapturedExchange], download_url: str | None = None) -> DownloadAttempt:
    started = download_url is not None
    return DownloadAttempt(
        label="f.img", clicked_ms=CLICK, click_clock="page", download_event_ms=CLICK + 80 if started else None,
        download_url=download_url, suggested_filename="f.img" if started else None, exchanges=exchanges,
        error=None if started else "the page said 'Could not download f.img: Failed to fetch' instead of starting a download",
    )


def token(*, status: int | None = 200, failure: str | None = None) -> CapturedExchange:
    return exchange(0, TOKEN_URL, kind="fetch", status=status, failure=failure, start=5)


def test_token_request_reset_before_any_response_is_a_network_failure() -> None:
    failure = network_failure(analyse_download(attempt([token(status=None, failure="net::ERR_CONNECTION_RESET")])))
    assert failure is not None and failure.error == "net::ERR_CONNECTION_RESET"
    assert failure.describe() == "net::ERR_CONNECTION_RESET on POST /api/files/f/download-token before any response"


def test_download_request_with_no_response_is_a_network_failure_and_its_token_is_redacted() -> None:
    for error in ("net::ERR_EMPTY_RESPONSE", "net::ERR_CONNECTION_CLOSED", "net::ERR_CONNECTION_REFUSED"):
        dropped = exchange(1, DOWNLOAD_URL, status=None, failure=error, start=20)
        failure = network_failure(analyse_download(attempt([token(), dropped])))
        assert failure is not None and failure.error == error
        assert "SECRET-T" not in failure.describe() and "GET /api/files/f/download?token=" in failure.describe()


def test_a_started_download_is_never_a_network_failure() -> None:
    # The page fell back to the proxy path after the reset and saved the file: the product's doing.
    dropped = exchange(1, DOWNLOAD_URL, status=None, failure="net::ERR_CONNECTION_RESET", start=20)
    body = exchange(2, "http://h/api/files/f/content", kind="fetch", start=40, headers=ATTACHMENT)
    assert network_failure(analyse_download(attempt([token(), dropped, body], "blob:http://h/1"))) is None


def test_any_answer_of_the_download_chain_is_the_products_failure() -> None:
    for status in (401, 403, 500, 503):
        refused = exchange(1, DOWNLOAD_URL, status=status, start=20)
        assert network_failure(analyse_download(attempt([token(), refused]))) is None
    # A redirect answered, then the stream's connection broke: a server answered, not retried.
    redirect = exchange(1, DOWNLOAD_URL, status=302, start=20)
    stream = exchange(2, "http://h/nas/f?sig=S", status=None, failure="net::ERR_CONNECTION_RESET", start=30, redirected_from=1)
    assert network_failure(analyse_download(attempt([token(), redirect, stream]))) is None


def test_an_error_status_on_the_token_request_is_the_products_failure() -> None:
    dropped = exchange(1, DOWNLOAD_URL, status=None, failure="net::ERR_CONNECTION_RESET", start=20)
    assert network_failure(analyse_download(attempt([token(status=500), dropped]))) is None
    assert network_failure(analyse_download(attempt([token(status=503)]))) is None


def test_other_failures_are_not_network_failures() -> None:
    for error in ("net::ERR_TIMED_OUT", "net::ERR_ABORTED", "net::ERR_NAME_NOT_RESOLVED", "net::ERR_CERT_AUTHORITY_INVALID"):
        assert error not in CONNECTION_ERRORS
        assert network_failure(analyse_download(attempt([token(status=None, failure=error)]))) is None
    # Nothing failed at all (a page that never asked for the file): nothing to retry.
    assert network_failure(analyse_download(attempt([]))) is None
    # A slow answer that timed out the harness's wait: the request is still pending, not failed.
    assert network_failure(analyse_download(attempt([token(status=None)]))) is None
