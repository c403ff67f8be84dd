"""The analysis classifies by evidence; these build the evidence by hand."""

from download_probe import analyse_download, check_redirect_strategy, check_size_independence, check_token_accepted
from download_probe.capture import CapturedExchange
from download_probe.probe import DownloadAttempt

CLICK = 1_000_000.0


def exchange(index: int, url: str, *, kind: str = "document", status: int | None = 200, start: float = 10,
             headers: dict | None = None, redirected_from: int | None = None, method: str = "GET") -> CapturedExchange:
    return CapturedExchange(
        index=index, url=url, method=method, resource_type=kind, is_navigation=kind == "document",
        request_headers={}, started_ms=CLICK + start, seen_ms=CLICK + start, redirected_from=redirected_from,
        status=status, response_headers=headers or {}, headers_ms=CLICK + start + 5, finished_ms=CLICK + start + 6,
    )


def attempt(exchanges: list[CapturedExchange], url: str | None, *, started: bool = True) -> DownloadAttempt:
    return DownloadAttempt(
        label="f.img", clicked_ms=CLICK, click_clock="page", download_event_ms=CLICK + 80 if started else None,
        download_url=url, suggested_filename="f.img", exchanges=exchanges,
        error=None if started else "no download started within 15 s of the click",
    )


ATTACHMENT = {"content-disposition": 'attachment; filename="f.img"', "content-length": "100"}


def test_redirect_chain_with_token_is_the_redirect_strategy() -> None:
    chain = [
        exchange(0, "http://h/api/files/f/download-token", kind="fetch", method="POST"),
        exchange(1, "http://h/api/files/f/download?token=T", status=302, start=20),
        exchange(2, "http://h/nas/f?sig=S", start=30, headers=ATTACHMENT, redirected_from=1),
    ]
    analysis = analyse_download(attempt(chain, "http://h/nas/f?sig=S"))
    assert analysis.strategy == "redirect"
    assert analysis.token_in_download_request and analysis.token_accepted
    assert analysis.size_bytes == 100
    assert [h.name for h in analysis.hops] == [
        "click", "token request", "download request", "followed redirect", "first response headers", "download start"
    ]
    assert check_redirect_strategy(analysis) == [] and check_token_accepted(analysis) == []


def test_blob_download_after_script_fetch_is_the_proxy_strategy() -> None:
    body = exchange(0, "http://h/api/files/f/content", kind="fetch", headers=ATTACHMENT)
    analysis = analyse_download(attempt([body], "blob:http://h/1234"))
    assert analysis.strategy == "proxy" and analysis.body_fetches == [body]
    assert [p.code for p in check_redirect_strategy(analysis)] == ["STRATEGY_PROXY"]


def test_download_request_without_token_refused_is_token_missing() -> None:
    refused = exchange(0, "http://h/api/files/f/download", status=401)
    analysis = analyse_download(attempt([refused], None, started=False))
    assert analysis.strategy == "none"
    problems = check_token_accepted(analysis)
    assert [p.code for p in problems] == ["TOKEN_MISSING"]
    assert "401 from GET /api/files/f/download" in problems[0].message


def test_rejected_token_is_named_and_redacted_in_the_message() -> None:
    refused = exchange(0, "http://h/api/files/f/download?token=SECRET1", status=403)
    problems = check_token_accepted(analyse_download(attempt([refused], None, started=False)))
    assert [p.code for p in problems] == ["TOKEN_REJECTED"]
    assert "SECRET1" not in problems[0].sentence


def _sized(label: str, size: int, *, proxy: bool, started_after_ms: float) -> DownloadAttempt:
    disposition = {"content-disposition": f'attachment; filename="{label}"', "content-length": str(size)}
    if proxy:
        exchanges = [exchange(0, f"http://h/api/files/{label}/content", kind="fetch", headers=disposition)]
        url = "blob:http://h/1234"
    else:
        exchanges = [
            exchange(0, f"http://h/api/files/{label}/download?token=T", status=302, start=20),
            exchange(1, f"http://h/nas/{label}?sig=S", start=30, headers=disposition, redirected_from=0),
        ]
        url = f"http://h/nas/{label}?sig=S"
    made = attempt(exchanges, url)
    return DownloadAttempt(**{**made.__dict__, "label": label, "download_event_ms": CLICK + started_after_ms})


def test_a_proxy_start_that_grows_with_size_is_named_by_its_strategy() -> None:
    small = analyse_download(_sized("small.txt", 300, proxy=False, started_after_ms=30))
    large = analyse_download(_sized("large.img", 500 << 20, proxy=True, started_after_ms=5200))
    problems = check_size_independence([small, large])
    assert [(p.code, p.subject) for p in problems] == [("STRATEGY_PROXY", "large.img")]
    assert "started 5.20 s after the click for 524,288,000 bytes, against 30 ms for small.txt" in problems[0].message
    # Small files by the proxy path that start about as fast are no evidence of anything.
    quick = analyse_download(_sized("mid.tgz", 4 << 20, proxy=True, started_after_ms=90))
    assert check_size_independence([small, quick]) == []
