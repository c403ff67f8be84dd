"""Environments side by side: each difference said once, in words, and nothing said when alike."""

from __future__ import annotations

from download_probe import analyse_download
from fixtures.parity import compare
from fixtures.reporting import DownloadRecord
from pages.deployment_table import FileInfo
from tests.unit.core.test_timeline import redirect_click

FILES = ("tools.tar.gz", "firmware.img")


def info(name: str) -> FileInfo:
    return FileInfo(version="2.0.0", name=name, file_id=f"f-{name}", size_bytes=1000, role="main")


def record(environment: str, name: str, *, proxy: bool = False, redirect_ms: float = 20) -> DownloadRecord:
    click = redirect_click(redirect_ms=redirect_ms, label=name)
    if proxy:
        # The page fetched the body by script and saved it from blob:, no navigation.
        click.exchanges = [click.exchanges[0]]
        click.exchanges[0].response_headers = {"content-disposition": "attachment", "content-length": "1000"}
        click.download_url = "blob:http://h/1"
    analysis = analyse_download(click)
    return DownloadRecord(info(name), [analysis], [], environment=environment)


TARGETS = {"dev": {"target": "http://dev", "build": "2.0.0-44"}, "prod": {"target": "http://prod", "build": "2.0.0-44"}}


def test_alike_environments_have_no_differences() -> None:
    parity = compare([record(e, f) for e in ("dev", "prod") for f in FILES], TARGETS)
    assert parity.differences == []
    assert parity.environments == ["dev", "prod"] and parity.files == list(FILES)


def test_build_strategy_and_slowness_are_written_out() -> None:
    targets = {**TARGETS, "prod": {"target": "http://prod", "build": "2.0.0-41"}}
    records = [
        record("dev", "tools.tar.gz"), record("dev", "firmware.img"),
        record("prod", "tools.tar.gz"), record("prod", "firmware.img", proxy=True),
    ]
    records += [record("slow", "tools.tar.gz", redirect_ms=900)]
    targets["slow"] = {"target": "http://slow", "build": "2.0.0-44"}
    differences = compare(records, targets).differences
    assert "dev serves build 2.0.0-44, prod 2.0.0-41, slow 2.0.0-44" in differences
    assert "dev starts firmware.img by redirect, prod by proxy" in differences
    assert any(d.startswith("slow starts tools.tar.gz") and "slower than" in d for d in differences)
    assert "slow did not list firmware.img; dev, prod did" in differences
    assert compare(records, targets).differs("firmware.img", "strategy")
    assert not compare(records, targets).differs("tools.tar.gz", "strategy")


def test_a_difference_shared_by_every_file_is_said_once() -> None:
    records = [record("dev", f) for f in FILES] + [record("prod", f, proxy=True) for f in FILES]
    differences = compare(records, TARGETS).differences
    assert "dev starts all 2 files by redirect, prod by proxy" in differences
    assert sum("by proxy" in d for d in differences) == 1
