"""What the full-download checks lean on: the `stream-stops-early` fault really cuts the body short
under a promise of the whole Content-Length (and, over a real socket, closes the connection), and
`/metrics` exposes the process's resident memory in Prometheus' text format."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from reference_harbor import create_app
from reference_harbor.__main__ import base_url, bind_socket
from reference_harbor.faults import FAULTS

SMALL = "f-200-tools"  # 4 MiB + 12345 bytes
FIRMWARE = "f-200-firmware"  # 520 MiB
MiB = 1 << 20


@pytest.fixture
def harbor_with(make_settings, make_client, api):
    """A client of a Harbor with these faults ({name: value}) and its API helper."""

    def make(**faults: float | None):
        client = make_client(make_settings(faults={name.replace("_", "-"): value for name, value in faults.items()}))
        return client, type(api)(client)

    return make


@pytest.fixture
def files(client, api, demo_token):
    releases = client.get("/api/releases", headers=api.bearer(demo_token)).json()
    return {f["id"]: f for r in releases for f in r["files"]}


def test_fault_is_registered_with_a_size_in_mib():
    fault = FAULTS["stream-stops-early"]
    assert fault.default == 8.0 and fault.unit == "MiB"


def test_stream_stops_after_the_configured_bytes_but_announces_the_whole_file(harbor_with, files):
    client, api = harbor_with(stream_stops_early=8.0)
    response = client.get(api.stream_url(api.sign_in(), FIRMWARE))
    assert response.status_code == 200
    assert response.headers["content-length"] == str(files[FIRMWARE]["size"])
    assert len(response.content) == 8 * MiB


def test_stop_point_need_not_be_a_chunk_boundary(harbor_with, files):
    client, api = harbor_with(stream_stops_early=1.5)
    response = client.get(api.stream_url(api.sign_in(), SMALL))
    assert response.headers["content-length"] == str(files[SMALL]["size"])
    assert len(response.content) == int(1.5 * MiB)
    # What did arrive is the file's own start: the fault truncates, it does not corrupt.
    whole = client.app.state.harbor.catalog.get(SMALL).body.read()
    assert response.content == whole[: int(1.5 * MiB)]


def test_files_smaller_than_the_stop_point_arrive_whole(harbor_with, files):
    client, api = harbor_with(stream_stops_early=8.0)
    body = client.get(api.stream_url(api.sign_in(), SMALL)).content
    assert len(body) == files[SMALL]["size"]
    assert hashlib.sha256(body).hexdigest() == files[SMALL]["sha256"]


def test_healthy_stream_sends_the_whole_large_file(client, api, demo_token, files):
    """The counterpart: without the fault every byte of the 520 MiB file arrives, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with client.stream("GET", api.stream_url(demo_token, FIRMWARE)) as response:
        for chunk in response.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    assert size == files[FIRMWARE]["size"]
    assert digest.hexdigest() == files[FIRMWARE]["sha256"]


class _ServerInThread(uvicorn.Server):
    """uvicorn in a thread of this process; `ready` is set once it accepts requests."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


@pytest.fixture
def serve(make_settings) -> Iterator[Callable[..., str]]:
    """Serve a reference Harbor with these faults on a free 127.0.0.1 port; its base URL."""
    running: list[tuple[_ServerInThread, threading.Thread]] = []

    def start(**faults: float | None) -> str:
        sock = bind_socket("127.0.0.1", 0)
        app = create_app(make_settings(faults={name.replace("_", "-"): value for name, value in faults.items()}))
        server = _ServerInThread(uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread))
        assert server.ready.wait(timeout=15), "the reference Harbor did not start within 15 s"
        return base_url(sock)

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=15)


def _stream_url(base: str, file_id: str) -> str:
    with httpx.Client(base_url=base, timeout=10) as http:
        access = http.post("/api/auth/login", json={"username": "demo", "password": "harbor-demo-pass"}).json()
        grant = http.post(
            f"/api/files/{file_id}/download-token", headers={"Authorization": f"Bearer {access['access_token']}"}
        ).json()
        return base + http.get(grant["download_url"]).headers["location"]


def test_over_a_socket_the_connection_closes_mid_body(serve):
    """A real client sees what a browser sees: the promised length never comes and the connection ends
    (it does not hang), after exactly the configured bytes."""
    base = serve(stream_stops_early=2.0)
    received = 0
    with httpx.Client(timeout=10) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            with http.stream("GET", _stream_url(base, FIRMWARE)) as response:
                assert response.headers["content-length"] == str(520 * MiB)
                for chunk in response.iter_raw():
                    received += len(chunk)
    assert received == 2 * MiB


# -- /metrics --------------------------------------------------------------------------------------


def _samples(text: str) -> dict[str, float]:
    return {sample.name: sample.value for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_expose_resident_memory(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    # A live Python process with the reference Harbor loaded holds well over 10 MiB.
    assert samples["process_resident_memory_bytes"] > 10 * MiB


def test_metrics_need_no_sign_in_and_are_not_cached(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
