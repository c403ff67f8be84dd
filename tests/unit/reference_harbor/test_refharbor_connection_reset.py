"""The `connection-reset-once` fault: the first N download-token requests' TCP connections are reset,
with no HTTP response; everything else (and every later token request) is answered."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from reference_harbor.connection_faults import ConnectionResets

REPO_ROOT = Path(__file__).resolve().parents[3]
READY = re.compile(r"Reference Harbor running at http://127\.0\.0\.1:(\d+)")
TOKEN_REQUEST = b"POST /api/files/f-200-img/download-token HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"


@pytest.fixture
def harbor_port(digest_cache_dir, request):
    process = subprocess.Popen(
        [sys.executable, "-m", "reference_harbor", "--port", "0", "--digest-cache-dir", str(digest_cache_dir),
         "--fault", f"connection-reset-once={request.param}"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        ready = READY.search(process.stdout.readline())
        assert ready, "no ready line"
        yield int(ready[1])
    finally:
        process.kill()
        process.wait(timeout=10)


def exchange(port: int, request: bytes) -> bytes:
    """Send one request on a fresh connection; what came back (ConnectionResetError on a reset)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


@pytest.mark.parametrize("harbor_port", [2], indirect=True)
def test_first_n_token_requests_are_reset_before_any_response(harbor_port: int) -> None:
    # Other requests are answered, and say Connection: close (each request on a fresh connection).
    version = exchange(harbor_port, b"GET /api/version HTTP/1.1\r\nHost: h\r\n\r\n")
    assert version.startswith(b"HTTP/1.1 200") and b"connection: close" in version.lower()
    for _ in range(2):
        with pytest.raises(ConnectionResetError):
            exchange(harbor_port, TOKEN_REQUEST)
    # The third is answered (401: it carries no access token): the server itself was fine all along.
    assert exchange(harbor_port, TOKEN_REQUEST).startswith(b"HTTP/1.1 401")


def test_only_matching_first_requests_count() -> None:
    resets = ConnectionResets(1)
    assert not resets.take(b"GET /api/files/f/download-token HTTP/1.1\r\n")
    assert not resets.take(b"POST /api/files/f/download HTTP/1.1\r\n")
    assert resets.take(b"POST /api/files/f-1/download-token HTTP/1.1\r\n")
    assert not resets.take(b"POST /api/files/f-1/download-token HTTP/1.1\r\n")
    assert resets.done == 1
