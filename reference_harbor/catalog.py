"""The releases and files the reference Harbor offers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .content import DigestCache, FileBody, GeneratedBody, TextBody

MiB = 1 << 20
KiB = 1 << 10


@dataclass(frozen=True)
class _FileSpec:
    id: str
    name: str
    role: str  # "main" or "extra"
    size: int | None  # None = the release's checksum list (size follows from its text)


@dataclass(frozen=True)
class _ReleaseSpec:
    version: str
    channel: str
    released_at: str
    files: tuple[_FileSpec, ...]


# Newest first, as the dashboard lists them. Sizes are deliberately not
# multiples of 1 MiB where it does not matter, to exercise partial chunks.
RELEASE_SPECS: tuple[_ReleaseSpec, ...] = (
    _ReleaseSpec(
        "2.1.0-rc.1",
        "rc",
        "2025-05-20",
        (
            _FileSpec("f-210rc1-tools", "harbor-tools-2.1.0-rc.1.tar.gz", "main", 4 * MiB + 512 * KiB + 777),
            _FileSpec("f-210rc1-firmware", "harbor-firmware-2.1.0-rc.1.img", "main", 60 * MiB),
            _FileSpec("f-210rc1-notes", "release-notes-2.1.0-rc.1.pdf", "extra", 180 * KiB + 99),
        ),
    ),
    _ReleaseSpec(
        "2.0.0",
        "stable",
        "2025-03-04",
        (
            _FileSpec("f-200-tools", "harbor-tools-2.0.0.tar.gz", "main", 4 * MiB + 12_345),
            _FileSpec("f-200-firmware", "harbor-firmware-2.0.0.img", "main", 520 * MiB),
            _FileSpec("f-200-sums", "SHA256SUMS-2.0.0.txt", "main", None),
            _FileSpec("f-200-notes", "Versionshinweise-2.0.0-Überblick.pdf", "extra", 200 * KiB + 1_234),
        ),
    ),
    _ReleaseSpec(
        "1.9.3",
        "stable",
        "2024-11-12",
        (
            _FileSpec("f-193-tools", "harbor-tools-1.9.3.tar.gz", "main", 3 * MiB + 4_321),
            _FileSpec("f-193-firmware", "harbor-firmware-1.9.3.img", "main", 48 * MiB),
            _FileSpec("f-193-sums", "SHA256SUMS-1.9.3.txt", "main", None),
            _FileSpec("f-193-notes", "release-notes-1.9.3.pdf", "extra", 150 * KiB + 7),
        ),
    ),
)


def content_type_for(name: str) -> str:
    """Content-Type the streaming service sends for a file name."""
    lower = name.lower()
    if lower.endswith(".txt"):
        return "text/plain; charset=utf-8"
    if lower.endswith(".pdf"):
        return "application/pdf"
    if lower.endswith((".tar.gz", ".tgz", ".gz")):
        return "application/gzip"
    return "application/octet-stream"


@dataclass(frozen=True)
class CatalogFile:
    id: str
    name: str
    role: str
    size: int
    sha256: str
    content_type: str
    release_version: str
    body: FileBody

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Release:
    version: str
    channel: str
    released_at: str
    files: tuple[CatalogFile, ...]

    def to_api(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "channel": self.channel,
            "released_at": self.released_at,
            "files": [f.to_api() for f in self.files],
        }


class Catalog:
    def __init__(self, releases: tuple[Release, ...]) -> None:
        self.releases = releases
        self._files = {f.id: f for r in releases for f in r.files}

    def get(self, file_id: str) -> CatalogFile | None:
        return self._files.get(file_id)

    def files(self) -> list[CatalogFile]:
        return list(self._files.values())

    def to_api(self) -> list[dict[str, Any]]:
        return [r.to_api() for r in self.releases]


def file_seed(spec_id: str, name: str) -> bytes:
    # Seed from id and name: renaming a file changes its bytes, like a real build would.
    return f"harbor-reference/{spec_id}/{name}".encode()


def checksum_text(entries: list[tuple[str, str]]) -> bytes:
    """`sha256sum` output: "<hex>  <name>" per line (two spaces = text mode)."""
    return "".join(f"{digest}  {name}\n" for digest, name in entries).encode("utf-8")


def build_catalog(cache: DigestCache) -> Catalog:
    """Build the catalog; streams every generated body once unless its digest is cached."""
    generated = {
        spec.id: GeneratedBody(file_seed(spec.id, spec.name), spec.size)
        for release in RELEASE_SPECS
        for spec in release.files
        if spec.size is not None
    }
    digests = cache.digests_for(generated.values())

    releases = []
    for release in RELEASE_SPECS:
        files: list[CatalogFile] = []
        for spec in release.files:
            if spec.size is not None:
                body: FileBody = generated[spec.id]
                digest = digests[generated[spec.id].cache_key]
            else:
                # The checksum list covers every other file of its release.
                entries = [
                    (digests[generated[other.id].cache_key], other.name)
                    for other in release.files
                    if other.size is not None
                ]
                text_body = TextBody(checksum_text(entries))
                body, digest = text_body, hashlib.sha256(text_body.data).hexdigest()
            files.append(
                CatalogFile(
                    id=spec.id,
                    name=spec.name,
                    role=spec.role,
                    size=body.size,
                    sha256=digest,
                    content_type=content_type_for(spec.name),
                    release_version=release.version,
                    body=body,
                )
            )
        releases.append(Release(release.version, release.channel, release.released_at, tuple(files)))
    return Catalog(tuple(releases))
