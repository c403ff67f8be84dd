"""The DeploymentTable component: rows (releases) holding file entries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator

from download_probe import DownloadAttempt, NetworkCapture, start_download

_DOWNLOAD_NAME = re.compile(r"^Download\s+")


@dataclass(frozen=True)
class FileInfo:
    """What the table says about one file."""

    file_id: str
    name: str
    role: str
    size_bytes: int
    version: str


class FileEntry:
    def __init__(self, root: Locator, version: str) -> None:
        self.root = root
        self.version = version
        self.download_button = root.get_by_role("button", name=_DOWNLOAD_NAME)

    def info(self) -> FileInfo:
        button_name = self.download_button.get_attribute("aria-label") or self.download_button.inner_text()
        return FileInfo(
            file_id=self.root.get_attribute("data-file-id") or "",
            name=_DOWNLOAD_NAME.sub("", button_name.strip()),
            role=self.root.get_attribute("data-file-role") or "",
            size_bytes=int(self.root.get_attribute("data-size-bytes") or -1),
            version=self.version,
        )

    def download(
        self, capture: NetworkCapture, *, timeout_ms: float, label: str = "", cancel: bool = True
    ) -> DownloadAttempt:
        """Click this file's Download button; the attempt says whether and when a download started.

        An error alert on the page ends the wait early: the dashboard says so when a download fails.
        The download is cancelled once started, unless `cancel` is False (then it is on the attempt).
        """
        page = self.root.page
        return start_download(
            page,
            self.download_button,
            capture,
            label=label or self.info().name,
            timeout_ms=timeout_ms,
            give_up_when=page.get_by_role("alert"),
            cancel=cancel,
        )


class DeploymentRow:
    def __init__(self, root: Locator) -> None:
        self.root = root

    @property
    def version(self) -> str:
        return self.root.get_attribute("data-version") or ""

    def files(self, role: str | None = None) -> list[FileEntry]:
        entries = self.root.get_by_test_id("deployment-file")
        if role is not None:
            entries = entries.and_(self.root.locator(f'[data-file-role="{role}"]'))
        version = self.version
        return [FileEntry(entry, version) for entry in entries.all()]

    def main_files(self) -> list[FileEntry]:
        return self.files(role="main")

    def file(self, name: str) -> FileEntry:
        entry = self.root.get_by_test_id("deployment-file").filter(
            has=self.root.page.get_by_role("button", name=f"Download {name}", exact=True)
        )
        return FileEntry(entry, self.version)


class DeploymentTable:
    def __init__(self, root: Locator) -> None:
        self.root = root
        self.rows = root.get_by_test_id("deployment-row")

    def wait_until_listed(self) -> DeploymentTable:
        self.rows.first.wait_for()
        return self

    def versions(self) -> list[str]:
        return [row.get_attribute("data-version") or "" for row in self.rows.all()]

    def has_version(self, version: str) -> bool:
        return self._row_locator(version).count() > 0

    def row(self, version: str) -> DeploymentRow:
        return DeploymentRow(self._row_locator(version))

    def _row_locator(self, version: str) -> Locator:
        quoted = version.replace("\\", "\\\\").replace('"', '\\"')
        return self.rows.and_(self.root.locator(f'[data-version="{quoted}"]'))
