"""`python -m reference_harbor`: the ready line, the flags, a clean exit."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reference_harbor.__main__ import parse_args, settings_from_args

REPO_ROOT = Path(__file__).resolve().parents[3]
READY = re.compile(r"^Reference Harbor running at (http://127\.0\.0\.1:(\d+))$")


def _read_lines(process: subprocess.Popen[bytes], count: int, timeout: float = 30.0) -> list[str]:
    """Read `count` stdout lines, failing (not hanging) if the server stalls.

    Reads the raw fd: a buffered readline() would hide already-read lines from select().
    """
    assert process.stdout is not None
    fd = process.stdout.fileno()
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while buffer.count(b"\n") < count:
            if not selector.select(timeout):
                pytest.fail(f"no output within {timeout} s; got {buffer!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                pytest.fail(f"server exited early; got {buffer!r}")
            buffer += chunk
    return buffer.decode().splitlines()[:count]


@pytest.fixture
def start_server(digest_cache_dir):
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "reference_harbor", "--port", "0",
             "--digest-cache-dir", str(digest_cache_dir), *args],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "0"},  # the ready line must be flushed by the server itself
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_serves_and_exits_cleanly(start_server, stop_signal):
    process = start_server("--token-lifetime", "7")
    lines = _read_lines(process, 5)
    match = READY.match(lines[0])
    assert match, lines
    base_url = match.group(1)
    assert "username: demo" in lines and "password: harbor-demo-pass" in lines
    assert any(line.startswith(f"Open {base_url}/login") for line in lines)

    version = httpx.get(f"{base_url}/api/version", timeout=10).json()
    assert f"build: {version['build']}" in lines
    token = httpx.post(
        f"{base_url}/api/auth/login", json={"username": "demo", "password": "harbor-demo-pass"}, timeout=10
    ).json()["access_token"]
    grant = httpx.post(
        f"{base_url}/api/files/f-200-firmware/download-token", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert grant["expires_in"] == 7

    process.send_signal(stop_signal)
    assert process.wait(timeout=15) == 0
    assert process.stderr is not None
    assert b"Traceback" not in process.stderr.read()


def test_stops_while_a_download_is_in_flight(start_server):
    """A stalled client must not keep the server alive after SIGTERM for long."""
    process = start_server()
    base_url = READY.match(_read_lines(process, 1)[0]).group(1)
    token = httpx.post(
        f"{base_url}/api/auth/login", json={"username": "demo", "password": "harbor-demo-pass"}
    ).json()["access_token"]
    url = httpx.post(
        f"{base_url}/api/files/f-200-firmware/download-token", headers={"Authorization": f"Bearer {token}"}
    ).json()["download_url"]
    with httpx.stream("GET", base_url + url, follow_redirects=True, timeout=10) as response:
        assert response.status_code == 200
        first = next(response.iter_raw())  # the body flows; now stop reading
        assert first
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_cli_flags_map_to_settings():
    settings = settings_from_args(
        parse_args(
            [
                "--token-lifetime", "5", "--access-token-lifetime", "30", "--stream-url-lifetime", "9",
                "--build-id", "x", "--strategy-override", "proxy", "--debug-downloads", "--no-digest-cache",
            ]
        )
    )
    assert (settings.token_lifetime, settings.access_token_lifetime, settings.stream_url_lifetime) == (5, 30, 9)
    assert settings.build_id == "x" and settings.strategy_override == "proxy" and settings.debug_downloads
    assert settings.use_digest_cache is False
    defaults = settings_from_args(parse_args([]))
    assert defaults.token_lifetime == 60 and defaults.access_token_lifetime == 3600
    assert defaults.access_token_secret != settings.access_token_secret  # random per process
