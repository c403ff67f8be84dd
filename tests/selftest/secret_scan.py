"""Looks for secrets in everything a run wrote.

Two nets: every known secret in every form it could take (plain, URL-encoded, HTML- and
JSON-escaped, base64 at any alignment), and anything shaped like a credential that was not
redacted. Zip archives (Playwright traces) are opened, nested ones too. A finding names the file
(and member) and the kind of secret, never the secret itself.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, quote_plus

from download_probe.redact import base64_cores

# Credentials by shape: these must never appear unredacted, whatever their value.
SHAPES = {
    "a Bearer credential": re.compile(rb"Bearer\s+(?!\[REDACTED\])[A-Za-z0-9._~+/-]{20,}"),
    "a token or signature in a URL": re.compile(
        rb"[?&](?:token|access_token|sig|signature)=(?!\[REDACTED\]|%5BREDACTED%5D)[A-Za-z0-9._~%-]{16,}"
    ),
    # The reference Harbor's tokens: base64url of a JSON object, a dot, a 43-character HMAC.
    "a Harbor token": re.compile(rb"eyJ[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{43}"),
}
MAX_ARCHIVE_DEPTH = 3


@dataclass(frozen=True)
class Finding:
    where: str  # file, or "archive.zip!member"
    what: str  # the kind of secret ("password", "download-token", "a Bearer credential", ...)
    form: str  # how it appeared ("plain", "url-encoded", "base64", "shape")


def secret_forms(secret: str) -> dict[bytes, str]:
    """Every way `secret` could have been written down -> the name of that way."""
    raw = secret.encode("utf-8")
    forms: dict[bytes, str] = {}
    for core in base64_cores(raw):
        forms[core.encode()] = "base64"
    forms.update(
        {
            quote(secret, safe="").encode(): "url-encoded",
            quote_plus(secret).encode(): "url-encoded",
            html.escape(secret).encode(): "html-escaped",
            json.dumps(secret)[1:-1].encode(): "json-escaped",
            raw: "plain",
        }
    )
    return forms


def blobs(root: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every file under `root`, and of every member of every zip among them."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield from _with_members(str(path.relative_to(root)), path.read_bytes(), 0)


def _with_members(name: str, data: bytes, depth: int) -> Iterator[tuple[str, bytes]]:
    yield name, data
    if depth >= MAX_ARCHIVE_DEPTH or not data.startswith(b"PK"):
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return
    with archive:
        for info in archive.infolist():
            yield from _with_members(f"{name}!{info.filename}", archive.read(info), depth + 1)


def scan_bytes(where: str, data: bytes, secrets: dict[str, str]) -> list[Finding]:
    """Findings in one blob; `secrets` maps each secret to its kind."""
    findings = []
    for secret, kind in secrets.items():
        for form, form_name in secret_forms(secret).items():
            if form in data:
                findings.append(Finding(where, kind, form_name))
                break
    for what, shape in SHAPES.items():
        if shape.search(data):
            findings.append(Finding(where, what, "shape"))
    return findings


def scan_tree(root: Path, secrets: dict[str, str]) -> list[Finding]:
    return [finding for name, data in blobs(root) for finding in scan_bytes(name, data, secrets)]
