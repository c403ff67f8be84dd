"""The core on a page that is not Harbor: it times and classifies any click-started download."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from download_probe import (
    NetworkCapture,
    analyse_download,
    check_latency_budget,
    check_name_and_size,
    check_redirect_strategy,
    check_token_accepted,
    start_download,
)

TOKEN_DELAY_S = 1.0  # long enough to dominate the start even on a loaded machine
BODY = 3 << 20

PAGE = """<!doctype html><title>shop</title>
<button id="redirect">Get it</button> <button id="blob">Get it slowly</button>
<button id="notoken">Get it without token</button> <button id="nothing">Do nothing</button>
<script>
const frame = url => { const f = document.createElement('iframe'); f.src = url; f.hidden = true; document.body.append(f); };
document.getElementById('redirect').onclick = async () => {
  const r = await fetch('/token', {method: 'POST'}); frame((await r.json()).url);
};
document.getElementById('notoken').onclick = () => frame('/dl');
document.getElementById('blob').onclick = async () => {
  const blob = await (await fetch('/body')).blob();
  const a = document.createElement('a'); a.href = URL.createObjectURL(blob); a.download = 'thing.bin'; a.click();
};
</script>"""


async def page(_: Request) -> Response:
    return HTMLResponse(PAGE)


async def token(_: Request) -> Response:
    await asyncio.sleep(TOKEN_DELAY_S)
    return JSONResponse({"url": "/dl?token=tok-123456"})


async def dl(request: Request) -> Response:
    if request.query_params.get("token") != "tok-123456":
        return JSONResponse({"error": "no token"}, status_code=401)
    return RedirectResponse("/files/thing.bin?sig=sig-abcdef", status_code=302)


def _body_headers() -> dict[str, str]:
    return {"content-length": str(BODY), "content-disposition": 'attachment; filename="thing.bin"'}


async def _chunks() -> "asyncio.AsyncIterator[bytes]":
    for _ in range(BODY >> 20):
        yield b"\0" * (1 << 20)


async def files(_: Request) -> Response:
    return StreamingResponse(_chunks(), headers=_body_headers(), media_type="application/octet-stream")


APP = Starlette(routes=[Route("/", page), Route("/token", token, methods=["POST"]), Route("/dl", dl),
                        Route("/files/thing.bin", files), Route("/body", files)])


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections queue in the backlog until the server runs: no need to wait for it
    server = uvicorn.Server(uvicorn.Config(APP, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def shop(browser: Browser, shop_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=shop_url)
    page = context.new_page()
    page.goto("/")
    yield page
    context.close()


def test_redirect_download_is_timed_from_the_click_and_classified(shop: Page) -> None:
    with NetworkCapture(shop) as capture:
        attempt = start_download(shop, shop.locator("#redirect"), capture, label="thing.bin", timeout_ms=10_000)
    analysis = analyse_download(attempt)

    assert attempt.click_clock == "page"
    assert analysis.strategy == "redirect"
    assert analysis.token_in_download_request and analysis.token_accepted
    token_hop = next(h for h in analysis.hops if h.name == "token request")
    # The server holds the token back: the timeline must show it there, and the total must include it.
    assert token_hop.until_ms is not None and token_hop.until_ms - token_hop.at_ms >= TOKEN_DELAY_S * 1000
    assert analysis.download_start_ms is not None and analysis.download_start_ms >= TOKEN_DELAY_S * 1000
    assert [h.at_ms for h in analysis.hops] == sorted(h.at_ms for h in analysis.hops)
    assert check_name_and_size(analysis, "thing.bin", BODY) == []
    assert check_redirect_strategy(analysis) == [] and check_token_accepted(analysis) == []
    # Over a tight budget the token hop is named as the cause: it holds most of the latency.
    over = check_latency_budget(analysis, budget_ms=100)
    assert [p.code for p in over] == ["SLOW_HOP"] and "token request (POST /token)" in over[0].message


def test_blob_download_is_the_proxy_strategy(shop: Page) -> None:
    with NetworkCapture(shop) as capture:
        attempt = start_download(shop, shop.locator("#blob"), capture, label="thing.bin", timeout_ms=10_000)
    analysis = analyse_download(attempt)
    assert analysis.strategy == "proxy"
    assert attempt.download_url and attempt.download_url.startswith("blob:")
    assert [p.code for p in check_redirect_strategy(analysis)] == ["STRATEGY_PROXY"]
    assert analysis.size_bytes == BODY


def test_refused_download_request_says_where_it_stopped(shop: Page) -> None:
    with NetworkCapture(shop) as capture:
        attempt = start_download(shop, shop.locator("#notoken"), capture, label="thing.bin", timeout_ms=1_500)
    analysis = analyse_download(attempt)
    assert not attempt.started and analysis.strategy == "none"
    problems = check_token_accepted(analysis)
    assert [p.code for p in problems] == ["TOKEN_MISSING"]
    assert "401 from GET /dl" in problems[0].message


def test_click_that_does_nothing_ends_in_no_download(shop: Page) -> None:
    with NetworkCapture(shop) as capture:
        attempt = start_download(shop, shop.locator("#nothing"), capture, label="none", timeout_ms=500)
    problems = check_redirect_strategy(analyse_download(attempt))
    assert [p.code for p in problems] == ["NO_DOWNLOAD"]
    assert "caused no request" in problems[0].message
