"""Full downloads check the free disk space first, and say how much is needed and where."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from fixtures import full_download
from fixtures.full_download import FREE_DISK_HEADROOM_BYTES, free_space_shortfall

MIB = 1 << 20
SIZES = {"tools.tar.gz": 4 * MIB, "firmware.img": 520 * MIB, "SHA256SUMS.txt": 300}


def _free(monkeypatch: pytest.MonkeyPatch, free_bytes: int) -> None:
    monkeypatch.setattr(full_download.shutil, "disk_usage", lambda path: SimpleNamespace(free=free_bytes))


def test_room_for_the_largest_file_and_the_headroom_is_enough(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _free(monkeypatch, 520 * MIB + FREE_DISK_HEADROOM_BYTES)
    assert free_space_shortfall(tmp_path, SIZES) is None


def test_too_little_room_names_what_is_needed_and_where(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _free(monkeypatch, 500 * MIB)
    reason = free_space_shortfall(tmp_path, SIZES)
    assert reason is not None
    assert f"needs {520 + FREE_DISK_HEADROOM_BYTES // MIB} MiB free in {tmp_path}" in reason
    assert "firmware.img" in reason and "only 500 MiB are free" in reason and "HARBOR_FULL_DOWNLOAD_DIR" in reason
