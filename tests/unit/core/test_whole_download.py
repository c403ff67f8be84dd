"""Whole downloads on a page that is not Harbor: a browser download waited for within bounds, its
bytes checked against Content-Length, the published size and sha256, hashed from disk in chunks."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import tracemalloc
from pathlib import Path
from typing import Any, Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserType, Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from download_probe import NetworkCapture, analyse_download, start_download
from download_probe.whole_download import (
    FAILED,
    FINISHED,
    STALLED,
    TIMED_OUT,
    WholeDownload,
    check_whole_digest,
    check_whole_size,
    sha256_of_file,
    wait_for_whole_download,
)

MIB = 1 << 20
SIZE = 3 * MIB + 123  # not a multiple of any chunk size
BODY = bytes(range(256)) * (SIZE // 256) + bytes(range(SIZE % 256))
BODY_SHA256 = hashlib.sha256(BODY).hexdigest()

PAGE = """<!doctype html><title>files</title>
<a id="whole" href="/files/whole">whole</a> <a id="cut" href="/files/cut">cut</a>
<a id="stall" href="/files/stall">stall</a> <a id="trickle" href="/files/trickle">trickle</a>"""


async def page(_: Request) -> Response:
    return HTMLResponse(PAGE)


class AnnouncedFile:
    """An ASGI app announcing SIZE bytes as an attachment, then sending: all of them ("whole"), 1 MiB and
    a closed connection ("cut"), 1 MiB and silence ("stall"), or 64 KiB every 50 ms ("trickle")."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-length", str(SIZE).encode()),
            (b"content-type", b"application/octet-stream"),
            (b"content-disposition", f'attachment; filename="{self.behaviour}.bin"'.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if self.behaviour == "whole":
            await send({"type": "http.response.body", "body": BODY, "more_body": False})
            return
        if self.behaviour == "trickle":
            for start in range(0, SIZE, 64 * 1024):
                await send({"type": "http.response.body", "body": BODY[start : start + 64 * 1024], "more_body": True})
                await asyncio.sleep(0.05)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({"type": "http.response.body", "body": BODY[:MIB], "more_body": True})
        if self.behaviour == "stall":
            while (await receive())["type"] != "http.disconnect":
                pass
        # "cut": return with the response unfinished; the server closes the connection.


APP = Starlette(routes=[Route("/", page), *(Route(f"/files/{name}", AnnouncedFile(name)) for name in ("whole", "cut", "stall", "trickle"))])


@pytest.fixture(scope="module")
def files_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections queue in the backlog until the server runs: no need to wait for it
    server = uvicorn.Server(uvicorn.Config(APP, log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def downloads_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def downloading_browser(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any], downloads_dir: Path
) -> Iterator[Browser]:
    browser = browser_type.launch(**{**browser_type_launch_args, "downloads_path": str(downloads_dir)})
    yield browser
    browser.close()


@pytest.fixture
def files_page(downloading_browser: Browser, files_url: str, downloads_dir: Path) -> Iterator[Page]:
    context = downloading_browser.new_context(base_url=files_url, accept_downloads=True)
    page = context.new_page()
    page.goto("/")
    yield page
    context.close()
    for leftover in downloads_dir.iterdir():
        leftover.unlink()


def _download(page: Page, link: str, downloads_dir: Path, *, stall_s: float = 1.0, timeout_s: float = 30.0) -> WholeDownload:
    with NetworkCapture(page) as capture:
        attempt = start_download(page, page.locator(f"#{link}"), capture, label=f"{link}.bin", cancel=False)
    assert attempt.download is not None and attempt.download_event_ms is not None, attempt.error
    analysis = analyse_download(attempt)
    announced = analysis.size_bytes
    assert announced == SIZE and analysis.final_response is not None
    assert analysis.final_response.headers_ms is not None
    return wait_for_whole_download(
        attempt.download,
        downloads_dir,
        label=f"{link}.bin",
        body_started_ms=analysis.final_response.headers_ms,
        announced_bytes=announced,
        stall_s=stall_s,
        timeout_s=timeout_s,
    )


def test_whole_download_is_saved_and_verified(files_page: Page, downloads_dir: Path) -> None:
    whole = _download(files_page, "whole", downloads_dir)
    assert whole.ended == FINISHED and whole.path is not None and whole.browser_failure is None
    assert whole.bytes_received == SIZE and whole.path.read_bytes() == BODY
    assert whole.throughput_mib_s is not None and whole.throughput_mib_s > 0
    whole.sha256 = sha256_of_file(whole.path)
    assert check_whole_size(whole, SIZE, SIZE) == []
    assert check_whole_digest(whole, BODY_SHA256, SIZE, SIZE) == []


def test_connection_closed_mid_body_is_a_truncated_stream(files_page: Page, downloads_dir: Path) -> None:
    whole = _download(files_page, "cut", downloads_dir)
    assert whole.ended != FINISHED and whole.path is None
    assert whole.bytes_received < SIZE
    problems = check_whole_size(whole, SIZE, SIZE)
    assert [p.code for p in problems] == ["STREAM_TRUNCATED"] and problems[0].subject == "cut.bin"
    assert f"of the {SIZE:,} bytes its Content-Length announced" in problems[0].message
    # No digest of a file that is not all there: the digest check names the same first broken link.
    assert check_whole_digest(whole, BODY_SHA256, SIZE, SIZE) == problems


def test_stalled_stream_is_cancelled_after_the_stall_window(files_page: Page, downloads_dir: Path) -> None:
    whole = _download(files_page, "stall", downloads_dir, stall_s=1.0)
    assert whole.ended == STALLED and whole.browser_failure == "canceled"
    assert whole.bytes_received == MIB
    assert 1.0 <= whole.waited_s < 10
    problems = check_whole_size(whole, SIZE, SIZE)
    assert [p.code for p in problems] == ["STREAM_TRUNCATED"]
    assert "no byte came for 1 s" in problems[0].message


def test_download_slower_than_the_bound_is_cancelled_at_the_bound(files_page: Page, downloads_dir: Path) -> None:
    whole = _download(files_page, "trickle", downloads_dir, stall_s=5.0, timeout_s=1.0)
    assert whole.ended == TIMED_OUT and 1.0 <= whole.waited_s < 5
    assert 0 < whole.bytes_received < SIZE
    problems = check_whole_size(whole, SIZE, SIZE)
    assert [p.code for p in problems] == ["DOWNLOAD_TOO_SLOW"]
    assert "within the bound of 1 s" in problems[0].message


# -- the checks on their own -------------------------------------------------------------------------


def _finished(size: int, sha256: str | None = BODY_SHA256) -> WholeDownload:
    return WholeDownload("f.bin", FINISHED, size, 1.0, Path("/nonexistent/f.bin"), None, 1.0, 15.0, 60.0, sha256)


def test_size_is_checked_against_content_length_and_the_release() -> None:
    problems = check_whole_size(_finished(SIZE), SIZE + 1, SIZE + 2)
    assert [p.code for p in problems] == ["SIZE_MISMATCH", "SIZE_MISMATCH"]
    assert "Content-Length said" in problems[0].message and "the release lists" in problems[1].message
    assert check_whole_size(_finished(SIZE), None, SIZE) == []  # no Content-Length: the release decides


def test_a_different_digest_is_named_with_both_values() -> None:
    other = hashlib.sha256(b"something else").hexdigest()
    problems = check_whole_digest(_finished(SIZE), other, SIZE, SIZE)
    assert [p.code for p in problems] == ["DIGEST_MISMATCH"]
    assert BODY_SHA256 in problems[0].message and other in problems[0].message
    assert check_whole_digest(_finished(SIZE), BODY_SHA256.upper(), SIZE, SIZE) == []  # hex case does not matter


def test_without_a_published_digest_the_bytes_cannot_pass() -> None:
    assert [p.code for p in check_whole_digest(_finished(SIZE), None, SIZE, SIZE)] == ["NO_PUBLISHED_DIGEST"]


def test_a_browser_failure_with_every_byte_there_is_still_a_failure() -> None:
    failed = WholeDownload("f.bin", FAILED, SIZE, 1.0, None, "canceled", 1.0, 15.0, 60.0)
    assert [p.code for p in check_whole_size(failed, SIZE, SIZE)] == ["DOWNLOAD_FAILED"]


def test_sha256_of_a_large_file_is_read_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    block = hashlib.shake_256(b"seed").digest(MIB)
    expected = hashlib.sha256()
    with path.open("wb") as file:
        for index in range(48):
            chunk = block[index:] + block[:index]
            file.write(chunk)
            expected.update(chunk)
    tracemalloc.start()
    try:
        digest = sha256_of_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == expected.hexdigest()
    assert peak < 4 * MIB, f"peak {peak} bytes while hashing a 48 MiB file"
