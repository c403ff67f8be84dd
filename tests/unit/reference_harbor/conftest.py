"""Fixtures for the reference Harbor unit tests (no browser, no network)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette prefers httpx2; the venv has httpx, which works fine.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from reference_harbor import DEMO_PASSWORD, DEMO_USERNAME, OTHER_PASSWORD, OTHER_USERNAME, HarborSettings, create_app
from reference_harbor.content import DigestCache
from reference_harbor.catalog import build_catalog


class FakeClock:
    """Injectable clock: tests move time instead of sleeping."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def digest_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private digest cache, filled once per session (the one full pass over
    every generated file, ~0.5 s), so tests neither touch ~/.cache nor recompute."""
    directory = tmp_path_factory.mktemp("harbor-digests")
    cache = DigestCache(directory)
    build_catalog(cache)
    assert cache.computed, "a fresh cache directory must have been computed"
    return directory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_settings(digest_cache_dir: Path, clock: FakeClock) -> Callable[..., HarborSettings]:
    def make(**overrides: object) -> HarborSettings:
        options: dict[str, object] = {"digest_cache_dir": digest_cache_dir, "clock": clock}
        options.update(overrides)
        return HarborSettings(**options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def settings(make_settings: Callable[..., HarborSettings]) -> HarborSettings:
    return make_settings()


@pytest.fixture
def make_client() -> Iterator[Callable[[HarborSettings], TestClient]]:
    """Build extra apps (other settings, "another process") within one test."""
    clients: list[TestClient] = []

    def make(settings: HarborSettings) -> TestClient:
        test_client = TestClient(create_app(settings), follow_redirects=False)
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()


@pytest.fixture
def client(settings: HarborSettings, make_client: Callable[[HarborSettings], TestClient]) -> TestClient:
    return make_client(settings)


class HarborApi:
    """Shortcuts for the calls most tests need (a fixture, so test modules
    never import from conftest)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def sign_in(self, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD) -> str:
        response = self.client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def download_url(self, token: str, file_id: str) -> str:
        response = self.client.post(f"/api/files/{file_id}/download-token", headers=self.bearer(token))
        assert response.status_code == 200, response.text
        return response.json()["download_url"]

    def stream_url(self, token: str, file_id: str) -> str:
        """The signed streaming URL the download endpoint redirects to."""
        response = self.client.get(self.download_url(token, file_id))
        assert response.status_code == 302, response.text
        return response.headers["location"]


@pytest.fixture
def api(client: TestClient) -> HarborApi:
    return HarborApi(client)


@pytest.fixture
def demo_token(api: HarborApi) -> str:
    return api.sign_in()


@pytest.fixture
def other_token(api: HarborApi) -> str:
    return api.sign_in(OTHER_USERNAME, OTHER_PASSWORD)
