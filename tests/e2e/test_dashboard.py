"""The dashboard lists the configured version with its main files."""

from __future__ import annotations

from playwright.sync_api import Page

from download_probe import NetworkCapture
from fixtures.config import SuiteSettings
from pages import DashboardPage


def test_dashboard_lists_configured_version_with_main_files(
    page: Page, network_capture: NetworkCapture, harbor_settings: SuiteSettings, describe_run: None
) -> None:
    table = DashboardPage(page).open().deployment_table
    version = harbor_settings.version

    assert table.has_version(version), f"version {version} is not on the dashboard; it lists {table.versions()}"
    main_files = [entry.info() for entry in table.row(version).main_files()]
    assert main_files, f"version {version} lists no main files"
    for info in main_files:
        assert info.name and info.file_id, f"a main file of {version} has no name or id: {info}"
        assert info.size_bytes > 0, f"{info.name}: the table gives no size (data-size-bytes)"
