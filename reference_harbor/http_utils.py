"""Small HTTP helpers: Range parsing and Content-Disposition."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")
# RFC 8187 attr-char minus ALPHA/DIGIT (quote() keeps those and "_.-~" anyway).
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"


@dataclass(frozen=True)
class ByteRange:
    start: int
    stop: int  # exclusive

    @property
    def length(self) -> int:
        return self.stop - self.start

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.stop - 1}/{size}"


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """Interpret a Range header for a body of `size` bytes.

    Returns None when the whole body should be sent (no header, another unit,
    several ranges, or syntax we ignore as RFC 9110 allows), a ByteRange for a
    206, and raises RangeNotSatisfiable for a 416.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _RANGE_SPEC.match(spec.strip())
    if not match:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None  # invalid range-spec: ignore the header
        if start >= size:
            raise RangeNotSatisfiable()
        stop = min(int(last) + 1, size) if last else size
        return ByteRange(start, stop)
    if last:  # suffix range "-n": the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable()
        return ByteRange(max(0, size - suffix), size)
    return None  # "bytes=-"


def ascii_fallback(filename: str) -> str:
    """An ASCII approximation of `filename` for the plain filename= parameter."""
    decomposed = unicodedata.normalize("NFKD", filename)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    # No quotes, backslashes or control characters inside a quoted-string.
    cleaned = "".join("_" if ch in '"\\' or ord(ch) < 0x20 or ch == "\x7f" else ch for ch in ascii_only)
    return cleaned.strip() or "download"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """`attachment; filename="..."` plus RFC 6266 `filename*` for non-ASCII names."""
    fallback = ascii_fallback(filename)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe=_ATTR_CHAR_SAFE)}"
    return value
