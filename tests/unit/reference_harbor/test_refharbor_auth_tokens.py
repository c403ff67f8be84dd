"""Access tokens, download tokens and streaming URL signatures."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from reference_harbor.signing import b64url_encode

FILE = "f-200-tools"
OTHER_FILE = "f-200-notes"


def _token_from(download_url: str) -> str:
    return parse_qs(urlsplit(download_url).query)["token"][0]


def _payload(token: str) -> dict:
    encoded = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def _reencode(token: str, **changes: object) -> str:
    """Same signature, altered payload."""
    payload = {**_payload(token), **changes}
    encoded = b64url_encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{encoded}.{token.split('.')[1]}"


# -- sign-in and access tokens -----------------------------------------------------


def test_login_returns_bearer_token(client, settings):
    response = client.post("/api/auth/login", json={"username": "demo", "password": "harbor-demo-pass"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_lifetime
    assert _payload(body["access_token"])["sub"] == "demo"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "demo", "password": "wrong"},
        {"username": "nobody", "password": "harbor-demo-pass"},
        {"username": "demo"},
        {},
        {"username": 1, "password": ["x"]},
    ],
)
def test_login_refuses_bad_credentials(client, credentials):
    response = client.post("/api/auth/login", json=credentials)
    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong username or password"


def test_login_refuses_non_json_body(client):
    response = client.post("/api/auth/login", content=b"username=demo", headers={"content-type": "text/plain"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic ZGVtbzp4"}, {"Authorization": "Bearer not.a-token"}],
)
def test_releases_require_valid_access_token(client, headers):
    response = client.get("/api/releases", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] in {"unauthorized", "invalid_token"}


def test_access_token_expires(client, api, demo_token, clock, settings):
    assert client.get("/api/releases", headers=api.bearer(demo_token)).status_code == 200
    clock.advance(settings.access_token_lifetime)
    assert client.get("/api/releases", headers=api.bearer(demo_token)).status_code == 401


def test_tampered_access_token_is_refused(client, api, demo_token):
    forged = _reencode(demo_token, sub="other")
    assert client.get("/api/releases", headers=api.bearer(forged)).status_code == 401


def test_logout_revokes_only_that_token(client, api):
    first, second = api.sign_in(), api.sign_in()
    assert first != second
    assert client.post("/api/auth/logout", headers=api.bearer(first)).status_code == 204
    assert client.get("/api/releases", headers=api.bearer(first)).status_code == 401
    assert client.post("/api/files/f-200-tools/download-token", headers=api.bearer(first)).status_code == 401
    assert client.get("/api/releases", headers=api.bearer(second)).status_code == 200
    # Signing out twice is refused like any other invalid token.
    assert client.post("/api/auth/logout", headers=api.bearer(first)).status_code == 401


def test_access_token_is_not_a_download_token(client, demo_token):
    response = client.get(f"/api/files/{FILE}/download", params={"token": demo_token})
    assert response.status_code == 403


# -- download tokens ----------------------------------------------------------------


def test_download_token_response(client, api, demo_token, settings, clock):
    response = client.post(f"/api/files/{FILE}/download-token", headers=api.bearer(demo_token))
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == settings.token_lifetime == 60
    assert body["download_url"] == f"/api/files/{FILE}/download?token={body['token']}"
    payload = _payload(body["token"])
    assert payload["fid"] == FILE and payload["sub"] == "demo"
    assert payload["exp"] == int(clock.now) + 60


def test_download_token_requires_access_token(client):
    assert client.post(f"/api/files/{FILE}/download-token").status_code == 401


def test_download_token_unknown_file_is_404(client, api, demo_token):
    response = client.post("/api/files/f-999-nope/download-token", headers=api.bearer(demo_token))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_valid_download_token_redirects_to_signed_stream(client, api, demo_token):
    url = api.download_url(demo_token, FILE)
    response = client.get(url)
    assert response.status_code == 302
    location = response.headers["location"]
    parts = urlsplit(location)
    assert parts.path == f"/nas/v1/stream/{FILE}"
    query = parse_qs(parts.query)
    assert set(query) == {"user", "expires", "sig"} and query["user"] == ["demo"]
    # The download token never leaves the download URL's query.
    assert _token_from(url) not in location
    assert response.headers["cache-control"] == "no-store"


def test_download_token_stays_valid_within_lifetime(client, api, demo_token, clock):
    url = api.download_url(demo_token, FILE)
    clock.advance(59)
    assert client.get(url).status_code == 302
    assert client.get(url).status_code == 302  # not single-use: the browser may retry


def test_expired_download_token_is_403(client, api, demo_token, clock):
    url = api.download_url(demo_token, FILE)
    clock.advance(60)
    response = client.get(url)
    assert response.status_code == 403
    assert response.json()["error"] == "expired_token"


def test_short_token_lifetime_setting(make_settings, make_client, clock):
    short = make_client(make_settings(token_lifetime=5))
    token = short.post("/api/auth/login", json={"username": "demo", "password": "harbor-demo-pass"}).json()
    grant = short.post(
        f"/api/files/{FILE}/download-token", headers={"Authorization": f"Bearer {token['access_token']}"}
    ).json()
    assert grant["expires_in"] == 5
    clock.advance(4)
    assert short.get(grant["download_url"]).status_code == 302
    clock.advance(1)
    assert short.get(grant["download_url"]).status_code == 403


def test_download_token_for_other_file_is_403(client, api, demo_token):
    token = _token_from(api.download_url(demo_token, OTHER_FILE))
    response = client.get(f"/api/files/{FILE}/download", params={"token": token})
    assert response.status_code == 403
    assert response.json()["error"] == "wrong_file"


def test_download_token_is_bound_to_its_user(client, api, demo_token, other_token):
    url = api.download_url(demo_token, FILE)
    # Presented together with another user's credentials: refused.
    assert client.get(url, headers=api.bearer(other_token)).status_code == 403
    # With the owner's credentials (or none, as a browser navigation): accepted.
    assert client.get(url, headers=api.bearer(demo_token)).status_code == 302
    # Each user's token leads to a streaming URL for that user only.
    other_location = client.get(api.download_url(other_token, FILE)).headers["location"]
    assert parse_qs(urlsplit(other_location).query)["user"] == ["other"]


def test_download_token_changed_to_other_user_is_403(client, api, demo_token):
    token = _token_from(api.download_url(demo_token, FILE))
    forgeries = [_reencode(token, sub="other"), _reencode(token, fid=OTHER_FILE), _reencode(token, exp=4_000_000_000)]
    for forged in forgeries:
        response = client.get(f"/api/files/{FILE}/download", params={"token": forged})
        assert response.status_code == 403
        assert response.json()["error"] == "invalid_token"


def test_download_token_with_tampered_signature_is_403(client, api, demo_token):
    token = _token_from(api.download_url(demo_token, FILE))
    payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (f"{payload}.{flipped}", f"{payload}.{signature[:-2]}", f"{payload}."):
        assert client.get(f"/api/files/{FILE}/download", params={"token": forged}).status_code == 403


@pytest.mark.parametrize(
    "token",
    ["x", "a.b.c", ".", "!!!.???", "eyJ9.abc", "é.é", "a" * 5000, "eyJhIjoxfQ==.AAAA"],
)
def test_malformed_download_token_is_403(client, token):
    response = client.get(f"/api/files/{FILE}/download", params={"token": token})
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_token"


def test_missing_download_token_is_401(client):
    assert client.get(f"/api/files/{FILE}/download").status_code == 401
    assert client.get(f"/api/files/{FILE}/download?token=").status_code == 401


def test_download_of_unknown_file_is_404(client):
    assert client.get("/api/files/f-999-nope/download", params={"token": "x.y"}).status_code == 404


def test_tokens_from_another_process_are_refused(client, make_settings, make_client, api):
    # Another process = other random secrets.
    other_process = make_client(make_settings())
    token = other_process.post(
        "/api/auth/login", json={"username": "demo", "password": "harbor-demo-pass"}
    ).json()["access_token"]
    foreign = other_process.post(
        f"/api/files/{FILE}/download-token", headers={"Authorization": f"Bearer {token}"}
    ).json()["token"]
    assert client.get(f"/api/files/{FILE}/download", params={"token": foreign}).status_code == 403
    assert client.get("/api/releases", headers=api.bearer(token)).status_code == 401


# -- streaming URL signatures -----------------------------------------------------------


def _with_query(location: str, **changes: str) -> str:
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_signed_stream_url_works(client, api, demo_token):
    response = client.get(api.stream_url(demo_token, FILE), headers={"Range": "bytes=0-0"})
    assert response.status_code == 206


def test_stream_url_with_tampered_signature_is_403(client, api, demo_token):
    location = api.stream_url(demo_token, FILE)
    sig = parse_qs(urlsplit(location).query)["sig"][0]
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    response = client.get(_with_query(location, sig=flipped))
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_signature"


def test_stream_url_with_tampered_expiry_or_user_is_403(client, api, demo_token):
    location = api.stream_url(demo_token, FILE)
    expires = int(parse_qs(urlsplit(location).query)["expires"][0])
    assert client.get(_with_query(location, expires=str(expires + 3600))).status_code == 403
    assert client.get(_with_query(location, expires="soon")).status_code == 403
    assert client.get(_with_query(location, user="other")).status_code == 403


def test_stream_url_for_other_file_is_403(client, api, demo_token):
    location = api.stream_url(demo_token, FILE)
    assert client.get(location.replace(FILE, OTHER_FILE)).status_code == 403


def test_stream_url_without_signature_is_403(client):
    assert client.get(f"/nas/v1/stream/{FILE}").status_code == 403
    assert client.head(f"/nas/v1/stream/{FILE}?user=demo&expires=1").status_code == 403


def test_expired_stream_url_is_403(client, api, demo_token, clock, settings):
    location = api.stream_url(demo_token, FILE)
    clock.advance(settings.stream_url_lifetime - 1)
    assert client.get(location, headers={"Range": "bytes=0-0"}).status_code == 206
    clock.advance(1)
    response = client.get(location)
    assert response.status_code == 403
    assert response.json()["error"] == "expired_signature"


def test_stream_of_unknown_file_is_404(client):
    assert client.get("/nas/v1/stream/f-999-nope?user=demo&expires=1&sig=x").status_code == 404
