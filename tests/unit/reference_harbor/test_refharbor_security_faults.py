"""The reference Harbor's security faults: each one really breaks its guard (and the healthy Harbor
keeps it), plus the record of issued secrets the secret scan reads."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from reference_harbor.faults import FAULTS
from reference_harbor.issued_secrets import read_issued_secrets

FILE = "f-200-tools"
OTHER_FILE = "f-200-sums"
SMALL_FILE = "f-200-sums"


def _with_query(location: str, **changes: str) -> str:
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


def _flip(text: str) -> str:
    middle = len(text) // 2
    return text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]


def _altered_token(token: str) -> str:
    payload, signature = token.split(".")
    return f"{payload}.{_flip(signature)}"


@pytest.fixture
def harbor(make_settings, make_client, api):
    """A client of a Harbor with the given faults (none: healthy) and its API helper."""

    def make(*faults: str, **settings: object):
        client = make_client(make_settings(faults={name: FAULTS[name].default for name in faults}, **settings))
        return client, type(api)(client)  # the conftest's API helper, on this client

    return make


@pytest.mark.parametrize(("fault", "status"), [(None, 401), ("token-not-required", 302)])
def test_download_without_token(harbor, fault, status) -> None:
    client, _ = harbor(*filter(None, [fault]))
    assert client.get(f"/api/files/{FILE}/download").status_code == status


@pytest.mark.parametrize(("fault", "status"), [(None, 403), ("download-token-unsigned", 302)])
def test_download_with_altered_token(harbor, fault, status) -> None:
    client, api = harbor(*filter(None, [fault]))
    token = parse_qs(urlsplit(api.download_url(api.sign_in(), FILE)).query)["token"][0]
    assert client.get(f"/api/files/{FILE}/download?token={_altered_token(token)}").status_code == status


@pytest.mark.parametrize(("fault", "status"), [(None, 403), ("token-any-file", 302)])
def test_download_with_another_file_s_token(harbor, fault, status) -> None:
    client, api = harbor(*filter(None, [fault]))
    other_url = api.download_url(api.sign_in(), OTHER_FILE)
    assert client.get(other_url.replace(OTHER_FILE, FILE)).status_code == status


@pytest.mark.parametrize(("fault", "status"), [(None, 403), ("no-expiry-check", 302)])
def test_download_with_expired_token(harbor, clock, fault, status) -> None:
    client, api = harbor(*filter(None, [fault]))
    url = api.download_url(api.sign_in(), FILE)
    clock.advance(61)
    assert client.get(url).status_code == status


def test_long_lived_tokens_say_so(harbor) -> None:
    client, api = harbor("long-lived-token")
    grant = client.post(f"/api/files/{FILE}/download-token", headers=api.bearer(api.sign_in())).json()
    assert grant["expires_in"] == 86400


@pytest.mark.parametrize(("fault", "status"), [(None, 403), ("unsigned-stream", 206)])
def test_stream_with_altered_signature(harbor, fault, status) -> None:
    client, api = harbor(*filter(None, [fault]))
    location = api.stream_url(api.sign_in(), FILE)
    sig = parse_qs(urlsplit(location).query)["sig"][0]
    assert client.get(_with_query(location, sig=_flip(sig)), headers={"Range": "bytes=0-0"}).status_code == status


@pytest.mark.parametrize(("fault", "status"), [(None, 403), ("stream-expiry-unsigned", 206), ("unsigned-stream", 206)])
def test_stream_with_extended_expiry(harbor, fault, status) -> None:
    client, api = harbor(*filter(None, [fault]))
    location = api.stream_url(api.sign_in(), FILE)
    expires = int(parse_qs(urlsplit(location).query)["expires"][0])
    extended = _with_query(location, expires=str(expires + 86_400))
    assert client.get(extended, headers={"Range": "bytes=0-0"}).status_code == status


def test_stream_refusal_with_body_sends_the_file(harbor) -> None:
    client, api = harbor("stream-refusal-with-body")
    location = api.stream_url(api.sign_in(), SMALL_FILE)
    good = client.get(location)
    bad = client.get(_with_query(location, sig=_flip(parse_qs(urlsplit(location).query)["sig"][0])))
    assert bad.status_code == 403 and bad.content == good.content and len(good.content) > 0


@pytest.mark.parametrize(("fault", "status"), [(None, 401), ("token-api-open", 200)])
def test_token_api_without_access_token(harbor, fault, status) -> None:
    client, _ = harbor(*filter(None, [fault]))
    assert client.post(f"/api/files/{FILE}/download-token").status_code == status


@pytest.mark.parametrize(("fault", "status"), [(None, 401), ("access-token-unsigned", 200)])
def test_altered_access_token(harbor, fault, status) -> None:
    client, api = harbor(*filter(None, [fault]))
    altered = _altered_token(api.sign_in())
    assert client.get("/api/releases", headers=api.bearer(altered)).status_code == status


@pytest.mark.parametrize(("fault", "status"), [(None, 401), ("logout-ineffective", 200)])
def test_access_token_after_sign_out(harbor, fault, status) -> None:
    client, api = harbor(*filter(None, [fault]))
    token = api.sign_in()
    assert client.post("/api/auth/logout", headers=api.bearer(token)).status_code == 204
    assert client.get("/api/releases", headers=api.bearer(token)).status_code == status


def test_error_page_200_dresses_refusals_as_pages(harbor) -> None:
    client, _ = harbor("error-page-200")
    response = client.get(f"/api/files/{FILE}/download")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert client.get("/api/files/no-such-file/download").status_code == 404  # only refusals


@pytest.mark.parametrize(("fault", "policy"), [(None, "no-referrer"), ("referrer-leak", "unsafe-url")])
def test_referrer_policy(harbor, fault, policy) -> None:
    client, _ = harbor(*filter(None, [fault]))
    for path in ("/login", "/dashboard"):
        assert client.get(path).headers["referrer-policy"] == policy


def test_token_to_third_party_switches_the_frontend_beacon_on(harbor) -> None:
    healthy, _ = harbor()
    leaky, _ = harbor("token-to-third-party")
    assert '"analyticsBeacon": true' not in healthy.get("/dashboard").text
    assert '"analyticsBeacon": true' in leaky.get("/dashboard").text
    assert leaky.get("/analytics/collect?event=download").status_code == 204


def test_issued_secrets_are_recorded_when_asked(harbor, tmp_path: Path) -> None:
    log = tmp_path / "issued.txt"
    client, api = harbor(issued_secrets_file=log)
    access = api.sign_in()
    location = api.stream_url(access, FILE)
    issued = read_issued_secrets(log)
    assert issued["access-token"] == {access}
    assert len(issued["download-token"]) == 1
    assert issued["stream-signature"] == {parse_qs(urlsplit(location).query)["sig"][0]}


def test_nothing_is_recorded_by_default(harbor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _, api = harbor()
    api.stream_url(api.sign_in(), FILE)
    assert list(tmp_path.iterdir()) == []
