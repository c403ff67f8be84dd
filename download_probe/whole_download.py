"""Whole downloads: wait, within bounds, for a browser download to finish, then check every byte
that arrived against what the response announced (Content-Length) and what was published (size,
sha256). The file is read from disk in chunks: a 500 MiB+ file is never held in memory.

Knows nothing of Harbor: any Playwright download, any expected size and digest.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Download
from playwright.sync_api import Error as PlaywrightError

from download_probe.checks import Problem

MIB = 1 << 20
HASH_CHUNK_BYTES = MIB
# How often the wait looks at the bytes on disk: also the resolution of "when the last byte came".
PROGRESS_CHECK_MS = 100.0

# How a wait for a whole download ended.
FINISHED = "finished"  # the browser saved the whole file
FAILED = "failed"  # the browser gave up on it
STALLED = "stalled"  # no byte arrived for the stall window: the harness cancelled it
TIMED_OUT = "timed out"  # still coming when the bound ran out: the harness cancelled it


@dataclass
class WholeDownload:
    """How one whole download went; times in seconds from the first byte of the body on its way."""

    label: str
    ended: str  # FINISHED, FAILED, STALLED or TIMED_OUT
    bytes_received: int  # on disk when it ended (what a failed download got before it stopped)
    seconds: float  # body's headers to the last byte written (or seen growing, when it did not finish)
    path: Path | None  # the saved file, when FINISHED
    browser_failure: str | None  # the browser's own words when it did not finish ("canceled", ...)
    waited_s: float  # how long the harness waited (bound: the timeout)
    stall_s: float
    timeout_s: float
    sha256: str | None = None  # of the saved file, once hashed

    @property
    def finished(self) -> bool:
        return self.ended == FINISHED

    @property
    def throughput_mib_s(self) -> float | None:
        if self.seconds <= 0 or not self.bytes_received:
            return None
        return self.bytes_received / MIB / self.seconds


def mib_s_text(rate: float | None) -> str:
    """A throughput as shown: a small file's tiny rate keeps two digits instead of rounding to 0.0."""
    if rate is None:
        return "-"
    return f"{rate:,.1f}" if rate >= 1 else f"{rate:.2g}"


def bytes_on_disk(directory: Path) -> int:
    """The bytes of all files in `directory` (a download in progress is one of them, under some name)."""
    return sum(
        entry.stat(follow_symlinks=False).st_size for entry in os.scandir(directory) if entry.is_file(follow_symlinks=False)
    )


def wait_for_whole_download(
    download: Download,
    downloads_dir: Path,
    *,
    label: str,
    body_started_ms: float,
    announced_bytes: int | None,
    stall_s: float,
    timeout_s: float,
) -> WholeDownload:
    """Wait until the download finishes, fails, stops getting bytes for `stall_s`, or `timeout_s` passes.

    `downloads_dir` is the browser's download directory (`launch(downloads_path=...)`) with this
    download the only one in it: the bytes there are its progress. Playwright's own wait for a
    download has no bound, so it is only asked once the download has ended or been cancelled:
    with `announced_bytes` (Content-Length) on disk the body is complete and the browser ends it at
    once; otherwise a stall or the timeout cancels it. Never raises for a download that goes wrong.

    `body_started_ms` (epoch ms) is when the body began to come: its response's headers, by the
    browser's clock. The browser's download event is no start for it: for a small file it reaches
    the harness after the last byte is written.
    """
    waited_from = time.monotonic()
    deadline = waited_from + timeout_s
    seen, last_growth, ended = -1, waited_from, FINISHED
    last_growth_epoch = time.time()
    while True:
        size = bytes_on_disk(downloads_dir)
        now = time.monotonic()
        if size > seen:
            seen, last_growth, last_growth_epoch = size, now, time.time()
        if announced_bytes is not None and size >= announced_bytes:
            break
        if now - last_growth >= stall_s:
            ended = STALLED
            break
        if now >= deadline:
            ended = TIMED_OUT
            break
        download.page.wait_for_timeout(PROGRESS_CHECK_MS)
    if ended != FINISHED:
        # Ends the browser's download unless it has already ended (then this changes nothing), so
        # the question below is answered at once.
        _cancel(download)
    failure = _failure(download)
    waited_s = time.monotonic() - waited_from
    path = None
    if failure is None:
        ended, path = FINISHED, Path(download.path())
        stat = path.stat()
        # The last byte's time from the file itself: finer than the progress checks.
        seen, last_byte_epoch = stat.st_size, stat.st_mtime
    else:
        if ended == FINISHED:
            ended = FAILED
        # When the bytes stopped growing, not when the harness gave up: the throughput is of what came.
        last_byte_epoch = last_growth_epoch
    seconds = last_byte_epoch - body_started_ms / 1000
    return WholeDownload(
        label=label,
        ended=ended,
        bytes_received=max(seen, 0),
        seconds=max(seconds, 0.0),
        path=path,
        browser_failure=failure,
        waited_s=waited_s,
        stall_s=stall_s,
        timeout_s=timeout_s,
    )


def _cancel(download: Download) -> None:
    try:
        download.cancel()
    except PlaywrightError:
        pass  # the browser (or its page) is gone: the download has ended anyway


def _failure(download: Download) -> str | None:
    try:
        return download.failure()
    except PlaywrightError as error:
        return str(error).splitlines()[0]


def sha256_of_file(path: Path, chunk_bytes: int = HASH_CHUNK_BYTES) -> str:
    """The file's sha256, read in chunks (never whole in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


# -- checks ----------------------------------------------------------------------------------------


def incomplete_download(whole: WholeDownload, announced_bytes: int | None, published_size: int) -> Problem | None:
    """Why the whole file is not there, as the first broken link; None when the browser saved it."""
    if whole.finished:
        return None
    label, got = whole.label, whole.bytes_received
    expected, source = (announced_bytes, "its Content-Length announced") if announced_bytes else (published_size, "the release lists")
    share = f" ({got / expected:.1%})" if expected else ""
    browser = f"the browser reports {whole.browser_failure!r}" if whole.browser_failure else "the browser reports nothing"
    if whole.ended == TIMED_OUT:
        rate = whole.throughput_mib_s
        return Problem(
            "DOWNLOAD_TOO_SLOW",
            label,
            f"only {got:,} of the {expected:,} bytes {source} arrived within the bound of {whole.timeout_s:g} s"
            f"{share}, at {rate or 0:.2f} MiB/s; the download was cancelled",
        )
    if got < expected:
        why = f"no byte came for {whole.stall_s:g} s, and {browser}" if whole.ended == STALLED else browser
        return Problem(
            "STREAM_TRUNCATED",
            label,
            f"the download stopped after {got:,} of the {expected:,} bytes {source}{share}: {why}",
        )
    return Problem("DOWNLOAD_FAILED", label, f"the browser's download failed after {got:,} bytes: {browser}")


def check_whole_size(whole: WholeDownload, announced_bytes: int | None, published_size: int) -> list[Problem]:
    """The whole file arrived: as many bytes as the response announced and as the release lists."""
    incomplete = incomplete_download(whole, announced_bytes, published_size)
    if incomplete is not None:
        return [incomplete]
    problems = []
    saved = whole.bytes_received
    if announced_bytes is not None and saved != announced_bytes:
        problems.append(
            Problem("SIZE_MISMATCH", whole.label, f"saved {saved:,} bytes, the response's Content-Length said {announced_bytes:,}")
        )
    if saved != published_size:
        problems.append(Problem("SIZE_MISMATCH", whole.label, f"saved {saved:,} bytes, the release lists {published_size:,}"))
    return problems


def check_whole_digest(
    whole: WholeDownload, published_sha256: str | None, announced_bytes: int | None, published_size: int
) -> list[Problem]:
    """The saved file's sha256 is the published one: nothing lost or changed, byte for byte."""
    incomplete = incomplete_download(whole, announced_bytes, published_size)
    if incomplete is not None:
        return [incomplete]  # no digest of a file that is not all there: the first broken link instead
    if not published_sha256:
        return [Problem("NO_PUBLISHED_DIGEST", whole.label, "the release lists no sha256 for it, so its bytes cannot be checked")]
    if whole.sha256 is None:
        return [Problem("NO_DIGEST", whole.label, "the saved file was not hashed")]
    if whole.sha256.lower() != published_sha256.strip().lower():
        return [
            Problem(
                "DIGEST_MISMATCH",
                whole.label,
                f"the saved file's sha256 is {whole.sha256}, the release lists {published_sha256.strip().lower()} "
                f"({whole.bytes_received:,} bytes saved)",
            )
        ]
    return []
