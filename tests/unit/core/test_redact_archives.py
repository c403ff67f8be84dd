"""Redaction of secrets inside base64 at any alignment, and inside zip archives (Playwright traces)."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

import pytest

from download_probe import REDACTED, Redactor

SECRET = "dl-token.c2lnbmF0dXJl-0123456789"


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab"])
def test_secret_inside_a_longer_base64_text_is_found_and_scrubbed(prefix: bytes) -> None:
    redactor = Redactor([SECRET])
    blob = base64.b64encode(prefix + b'{"url": "/x?token=' + SECRET.encode() + b'"}').decode()
    assert redactor.find_in_text(blob)
    assert redactor.find_in_text(redactor.text(blob)) == []


def test_scrub_archive_rewrites_every_member_and_keeps_the_rest(tmp_path: Path) -> None:
    trace = tmp_path / "trace.zip"
    with zipfile.ZipFile(trace, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("trace.network", f'{{"url": "/api/files/f/download?token={SECRET}"}}\n')
        archive.writestr("resources/abc.json", f'{{"token": "{SECRET}"}}')
        archive.writestr("resources/page.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    redactor = Redactor([SECRET])

    assert redactor.scrub_archive(trace) is True

    with zipfile.ZipFile(trace) as archive:
        assert sorted(archive.namelist()) == ["resources/abc.json", "resources/page.png", "trace.network"]
        network = archive.read("trace.network").decode()
        assert SECRET not in network and f"token={REDACTED}" in network
        assert archive.read("resources/page.png") == b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    assert redactor.scrub_archive(trace) is False  # nothing left to remove: the file is left alone


def test_scrub_archive_ignores_files_that_are_not_archives(tmp_path: Path) -> None:
    not_a_zip = tmp_path / "video.webm"
    not_a_zip.write_bytes(b"\x1aE\xdf\xa3 not a zip")
    assert Redactor([SECRET]).scrub_archive(not_a_zip) is False
