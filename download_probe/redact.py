"""Keep secrets out of everything the suite writes.

Two layers: by name (query parameters, headers and JSON keys known to carry secrets) wherever
data is turned into text, and by value (every secret seen during the run, also URL-encoded and
base64-encoded) as a last scrub over whole texts and files.
"""

from __future__ import annotations

import base64
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

SECRET_QUERY_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "key",
        "password",
    }
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
SECRET_JSON_KEYS = frozenset({"password", "token", "access_token", "refresh_token", "id_token", "secret"})
# Secrets shorter than this are not scrubbed by value: they would blank out ordinary words.
MIN_SECRET_LENGTH = 6


def redact_url(url: str) -> str:
    """The URL with the values of secret-bearing query parameters replaced."""
    if not url or "?" not in url:
        return url
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name.lower() in SECRET_QUERY_PARAMS for name, _ in pairs):
        return url
    query = urlencode(
        [(name, REDACTED if name.lower() in SECRET_QUERY_PARAMS and value else value) for name, value in pairs],
        safe="[]",
    )
    return urlunsplit(parts._replace(query=query))


class Redactor:
    """Learns the run's secrets as they pass by and removes them from anything written."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        self._secrets: set[str] = set()
        self._forms_cache: list[str] | None = None
        for secret in secrets or []:
            self.learn(secret)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def learn(self, secret: str | None, *, any_length: bool = False) -> None:
        """Remember a secret; short ones only when told (`any_length`): they could blank ordinary words."""
        if secret and (any_length or len(secret) >= MIN_SECRET_LENGTH) and secret not in self._secrets:
            self._secrets.add(secret)
            self._forms_cache = None

    def learn_from_url(self, url: str) -> None:
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if name.lower() in SECRET_QUERY_PARAMS:
                self.learn(value)

    def learn_from_headers(self, headers: dict[str, str]) -> None:
        for name, value in headers.items():
            if name.lower() in SECRET_HEADERS:
                self.learn(value)
                # "Bearer X": X alone also shows up elsewhere (storage, bodies).
                scheme, _, credential = value.partition(" ")
                if credential:
                    self.learn(credential.strip())

    def learn_from_request(self, request: Any) -> None:
        """Hook for NetworkCapture(on_request=...): anything with `.url` and `.headers`."""
        self.learn_from_url(request.url)
        self.learn_from_headers(dict(request.headers))

    def learn_from_storage_state(self, state: dict[str, Any]) -> None:
        for cookie in state.get("cookies", []):
            self.learn(cookie.get("value"))
        for origin in state.get("origins", []):
            for item in origin.get("localStorage", []):
                if re.search(r"token|auth|session|secret", item.get("name", ""), re.I):
                    self.learn(item.get("value"))

    # -- output --------------------------------------------------------------------------------
    def url(self, url: str) -> str:
        return self.text(redact_url(url))

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {
            name: (REDACTED if name.lower() in SECRET_HEADERS else self.text(value))
            for name, value in headers.items()
        }

    def text(self, text: str) -> str:
        """`text` with every known secret (plain, URL-encoded, base64) replaced."""
        if not text:
            return text
        for form in self._forms():
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def data(self, value: Any) -> Any:
        """A JSON-like structure with secret keys blanked and every string scrubbed."""
        if isinstance(value, dict):
            return {
                key: (REDACTED if str(key).lower() in SECRET_JSON_KEYS and val else self.data(val))
                for key, val in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.url(value) if value.startswith(("http://", "https://", "/")) else self.text(value)
        return value

    def scrub_file(self, path: Path) -> bool:
        """Rewrite a written file without the known secrets; True when something was removed."""
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        cleaned = self.text(original)
        if cleaned != original:
            path.write_text(cleaned, encoding="utf-8")
            return True
        return False

    def scrub_archive(self, path: Path) -> bool:
        """Rewrite a zip archive (a Playwright trace) without the known secrets in any member;
        True when something was removed. Members are scrubbed as bytes, whatever their type."""
        try:
            with zipfile.ZipFile(path) as archive:
                members = [(info, archive.read(info)) for info in archive.infolist()]
        except (OSError, zipfile.BadZipFile):
            return False
        forms = [(form.encode("utf-8"), REDACTED.encode("ascii")) for form in self._forms()]
        cleaned, changed = [], False
        for info, data in members:
            for form, replacement in forms:
                if form in data:
                    data, changed = data.replace(form, replacement), True
            cleaned.append((info, data))
        if changed:
            scrubbing = path.with_name(path.name + ".scrubbing")
            with zipfile.ZipFile(scrubbing, "w") as archive:
                for info, data in cleaned:
                    archive.writestr(info, data)
            scrubbing.replace(path)
        return changed

    def find_in_text(self, text: str) -> list[str]:
        """Which secret forms occur in `text` (for tests that scan what the suite wrote)."""
        return [form for form in self._forms() if form in text]

    def _forms(self) -> list[str]:
        if self._forms_cache is None:
            forms: set[str] = set()
            for secret in self._secrets:
                raw = secret.encode()
                # Whole forms of a secret count at any length (a short password was learned on purpose);
                # base64 cores, which are fragments, only when long enough not to match by chance.
                forms.update(
                    {
                        secret,
                        quote(secret, safe=""),
                        quote_plus(secret),
                        base64.b64encode(raw).decode().rstrip("="),
                        base64.urlsafe_b64encode(raw).decode().rstrip("="),
                    }
                )
                forms.update(core for core in base64_cores(raw) if len(core) >= MIN_SECRET_LENGTH)
            # Longest first, so a secret inside a longer secret's form does not break the longer match.
            self._forms_cache = sorted(filter(None, forms), key=len, reverse=True)
        return self._forms_cache


def base64_cores(raw: bytes) -> set[str]:
    """What `raw` looks like inside a longer base64 text, at each of the three byte alignments:
    the characters that depend on `raw`'s bits only (standard and URL-safe alphabets)."""
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        first = -(-8 * shift // 6)  # the first character made of raw's bits alone
        last = 8 * (shift + len(raw)) // 6  # one past the last such character
        core = encoded[first:last]
        cores.update({core, core.replace("+", "-").replace("/", "_")})
    return cores
