"""HTML pages, hashed assets, the import map, and the build id."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from reference_harbor.assets import STATIC_DIR


class _Collector(HTMLParser):
    """Start tags with their attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}  # id or type -> text
        self._script_key: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script" and "src" not in attributes:
            self._script_key = attributes.get("id") or attributes.get("type")

    def handle_data(self, data):
        if self._script_key:
            self.scripts[self._script_key] = self.scripts.get(self._script_key, "") + data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_key = None

    def find(self, tag: str, **attributes: str) -> list[dict[str, str | None]]:
        return [
            attrs for name, attrs in self.tags
            if name == tag and all(attrs.get(k.replace("_", "-")) == v for k, v in attributes.items())
        ]


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


@pytest.mark.parametrize("path", ["/login", "/dashboard"])
def test_html_pages_headers_and_build_meta(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    page = parse(response.text)
    [meta] = page.find("meta", name="harbor-build")
    assert meta["content"] == client.get("/api/version").json()["build"]


def test_version_endpoint(client):
    response = client.get("/api/version")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "2.0.0"
    assert re.fullmatch(r"2\.0\.0-[0-9a-f]{12}", body["build"])


def test_build_id_is_a_hash_over_the_asset_hashes(client):
    bundle = client.app.state.harbor.assets
    combined = "\n".join(f"{name}:{asset.digest}" for name, asset in sorted(bundle.assets.items()))
    assert client.get("/api/version").json()["build"] == "2.0.0-" + hashlib.sha256(combined.encode()).hexdigest()[:12]


def test_build_id_override(make_settings, make_client):
    other = make_client(make_settings(build_id="2.0.1-deadbeef0000"))
    assert other.get("/api/version").json()["build"] == "2.0.1-deadbeef0000"
    assert 'content="2.0.1-deadbeef0000"' in other.get("/dashboard").text


def test_login_page_form(client):
    page = parse(client.get("/login").text)
    html = client.get("/login").text
    assert re.search(r'<label for="username">Username</label>', html)
    assert re.search(r'<label for="password">Password</label>', html)
    assert page.find("input", id="username") and page.find("input", id="password", type="password")
    assert re.search(r"<button[^>]*>Sign in</button>", html)
    [alert] = page.find("p", role="alert")
    assert "hidden" in alert


def test_dashboard_shell(client):
    html = client.get("/dashboard").text
    page = parse(html)
    assert "<h1>Deployments</h1>" in html
    [table] = page.find("table", data_testid="deployment-table")
    assert table["aria-label"] == "Deployments"
    assert table["data-state"] == "loading" and table["aria-busy"] == "true"
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headers == ["Version", "Channel", "Released", "Files"]
    assert re.search(r"<button[^>]*>Sign out</button>", html)


def test_frontend_config_block(make_settings, make_client):
    plain = parse(make_client(make_settings()).get("/dashboard").text)
    config = json.loads(plain.scripts["harbor-config"])
    assert config["debug"] is False and config["strategyOverride"] is None
    forced = make_client(make_settings(strategy_override="proxy", debug_downloads=True))
    config = json.loads(parse(forced.get("/dashboard").text).scripts["harbor-config"])
    assert config["debug"] is True and config["strategyOverride"] == "proxy"
    with pytest.raises(ValueError):
        make_settings(strategy_override="carrier-pigeon")


def _referenced_assets(html: str) -> list[str]:
    page = parse(html)
    urls = [attrs["src"] for _, attrs in page.tags if attrs.get("src", "") and attrs["src"].startswith("/assets/")]
    urls += [a["href"] for a in page.find("link", rel="stylesheet")]
    urls += list(json.loads(page.scripts["importmap"])["imports"].values())
    return urls


def test_hashed_assets_are_immutable_and_match_their_hash(client):
    urls = set(_referenced_assets(client.get("/login").text) + _referenced_assets(client.get("/dashboard").text))
    assert any(u.startswith("/assets/download-service.") for u in urls)
    assert any(u.endswith(".css") for u in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
        expected_type = "text/javascript" if url.endswith(".js") else "text/css"
        assert response.headers["content-type"].startswith(expected_type)
        name = url.rsplit("/", 1)[1]
        short_hash = name.split(".")[1]
        assert re.fullmatch(r"[0-9a-f]{10}", short_hash)
        assert hashlib.sha256(response.content).hexdigest().startswith(short_hash)


def test_unknown_assets_404(client):
    real = next(u for u in _referenced_assets(client.get("/login").text) if "api." in u)
    stem, digest, ext = real.rsplit("/", 1)[1].split(".")
    for name in (f"{stem}.{ext}", f"{stem}.0000000000.{ext}", "evil.js", "..%2Fapp.py"):
        assert client.get(f"/assets/{name}").status_code == 404, name


def test_modules_import_only_mapped_specifiers(client):
    """Without a browser: every import in every module resolves through the import map."""
    imports = json.loads(parse(client.get("/dashboard").text).scripts["importmap"])["imports"]
    for path in STATIC_DIR.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for specifier in re.findall(r'^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"', source, re.M | re.S):
            assert specifier in imports, f"{path.name} imports unmapped {specifier!r}"
        # No relative imports: they would bypass the hashed names.
        assert not re.search(r'from\s+"\.', source), path.name


def test_download_service_never_logs_tokens():
    source = (STATIC_DIR / "download-service.js").read_text(encoding="utf-8")
    log_calls = re.findall(r"\blog\(([^;]*)\);", source)
    assert log_calls
    assert not [call for call in log_calls if "token" in call.lower() and "token-request" not in call]
    assert "console.info(`[download] " in source


def test_root_redirects_to_dashboard(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["location"] == "/dashboard"


def test_unknown_page_is_html_404_with_build(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert parse(response.text).find("meta", name="harbor-build")


@pytest.mark.parametrize("path", ["/api/nope", "/api/files/f-200-tools"])
def test_unknown_api_paths_are_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.get("/api/auth/login")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
