"""Keep secrets out of everything the suite writes.

Two layers: by name (query parameters, headers and JSON keys known to carry secrets) wherever
data is turned into text, and by value (every secret seen during the run, also URL-encoded and
base64-encoded) as a last scrub over whole texts and files.
"""

from __future__ import annotations

import base64
import re
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
        for secret in secrets or []:
            self.learn(secret)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def learn(self, secret: str | None) -> None:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            self._secrets.add(secret)

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

    def find_in_text(self, text: str) -> list[str]:
        """Which secret forms occur in `text` (for tests that scan what the suite wrote)."""
        return [form for form in self._forms() if form in text]

    def _forms(self) -> list[str]:
        forms: set[str] = set()
        for secret in self._secrets:
            raw = secret.encode()
            forms.update(
                {
                    secret,
                    quote(secret, safe=""),
                    quote_plus(secret),
                    base64.b64encode(raw).decode().rstrip("="),
                    base64.urlsafe_b64encode(raw).decode().rstrip("="),
                }
            )
        # Longest first, so a secret inside a longer secret's form does not break the longer match.
        return sorted((f for f in forms if len(f) >= MIN_SECRET_LENGTH), key=len, reverse=True)
