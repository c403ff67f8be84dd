"""Deterministic file bodies, generated while streaming.

A 520 MiB firmware image must neither sit in memory nor on disk, yet every
byte range of it must be reproducible (for Range requests and checksums).
Scheme: per file a 1 MiB base block = SHAKE-256(seed); chunk *i* of the file
(bytes ``i*1MiB .. (i+1)*1MiB``) is that block rotated by a per-chunk offset.
Keeping the block twice in a row (2 MiB) turns every rotation into one slice,
i.e. a memcpy, so streaming runs at memory speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Protocol

BLOCK_SIZE = 1 << 20
# Bump when the byte scheme changes: it is part of every digest cache key.
GENERATOR_VERSION = "harbor-gen-1"
_ROTATION_MULTIPLIER = 2654435761  # Knuth's multiplicative hash constant


class FileBody(Protocol):
    """What the HTTP layer needs from a file: its size and any byte range."""

    size: int

    def iter_range(self, start: int, stop: int, max_chunk: int = BLOCK_SIZE) -> Iterator[bytes]:
        ...


@lru_cache(maxsize=4)
def _doubled_block(seed: bytes) -> bytes:
    # Small cache: the few files being downloaded at once keep their block,
    # the rest are recomputed in ~4 ms.
    block = hashlib.shake_256(seed).digest(BLOCK_SIZE)
    return block + block


def chunk_rotation(chunk_index: int) -> int:
    """Rotation of the base block used for 1 MiB chunk number `chunk_index`."""
    return (chunk_index * _ROTATION_MULTIPLIER) % BLOCK_SIZE


class GeneratedBody:
    """Pseudo-random but deterministic bytes of a given size."""

    def __init__(self, seed: bytes, size: int) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self.seed = seed
        self.size = size

    @property
    def cache_key(self) -> str:
        """Key under which this body's digest may be cached."""
        return f"{GENERATOR_VERSION}:{self.seed.decode('utf-8', 'backslashreplace')}:{self.size}"

    def iter_range(self, start: int, stop: int, max_chunk: int = BLOCK_SIZE) -> Iterator[bytes]:
        """Yield bytes ``start..stop`` (stop exclusive) in chunks of at most `max_chunk`."""
        start, stop = _clamp(start, stop, self.size)
        doubled = _doubled_block(self.seed)
        position = start
        while position < stop:
            chunk_index, offset_in_chunk = divmod(position, BLOCK_SIZE)
            # Never cross a chunk boundary: each chunk has its own rotation.
            length = min(BLOCK_SIZE - offset_in_chunk, stop - position, max_chunk)
            begin = chunk_rotation(chunk_index) + offset_in_chunk
            yield doubled[begin : begin + length]
            position += length

    def read(self, start: int = 0, stop: int | None = None) -> bytes:
        """Whole range as bytes; only for small ranges (tests, checksums)."""
        return b"".join(self.iter_range(start, self.size if stop is None else stop))


class TextBody:
    """A small body held in memory (the SHA256SUMS lists)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def iter_range(self, start: int, stop: int, max_chunk: int = BLOCK_SIZE) -> Iterator[bytes]:
        start, stop = _clamp(start, stop, self.size)
        for position in range(start, stop, max_chunk):
            yield self.data[position : min(position + max_chunk, stop)]


def _clamp(start: int, stop: int, size: int) -> tuple[int, int]:
    start = max(0, min(start, size))
    return start, max(start, min(stop, size))


def sha256_hex(chunks: Iterable[bytes]) -> str:
    """sha256 of a chunk stream without ever joining it."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def body_sha256(body: FileBody) -> str:
    return sha256_hex(body.iter_range(0, body.size))


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "harbor-reference"


class DigestCache:
    """sha256 digests of generated bodies, cached in a small JSON file.

    Computing them costs ~0.5 s per start-up without the cache; the cache is a
    pure optimisation, so every I/O problem just falls back to computing.
    """

    FILE_NAME = "digests.json"

    def __init__(self, directory: Path | None, enabled: bool = True) -> None:
        self.path = (directory or default_cache_dir()) / self.FILE_NAME
        self.enabled = enabled
        self.computed: list[str] = []  # cache keys computed by this instance (for tests/logs)

    def _load(self) -> dict[str, str]:
        if not self.enabled:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        digests = data.get("digests") if isinstance(data, dict) else None
        return {k: v for k, v in (digests or {}).items() if isinstance(v, str)}

    def _store(self, digests: dict[str, str]) -> None:
        if not self.enabled:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Merge with what another process may have written meanwhile, then
            # replace atomically so readers never see half a file.
            merged = {**self._load(), **digests}
            fd, tmp_name = tempfile.mkstemp(prefix=".digests-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": 1, "digests": merged}, handle, indent=1, sort_keys=True)
            os.replace(tmp_name, self.path)
        except OSError:
            pass

    def digests_for(self, bodies: Iterable[GeneratedBody]) -> dict[str, str]:
        """Map cache_key -> sha256 for `bodies`, computing what is not cached."""
        known = self._load()
        result: dict[str, str] = {}
        fresh: dict[str, str] = {}
        for body in bodies:
            key = body.cache_key
            if key not in known:
                known[key] = fresh[key] = body_sha256(body)
                self.computed.append(key)
            result[key] = known[key]
        if fresh:
            self._store(fresh)
        return result
