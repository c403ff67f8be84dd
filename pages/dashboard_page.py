"""The deployments dashboard (`/dashboard`)."""

from __future__ import annotations

from playwright.sync_api import Page

from download_probe.freshness import bundle_urls
from pages.deployment_table import DeploymentTable


class DashboardPage:
    path = "/dashboard"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Deployments", level=1)
        self.deployment_table = DeploymentTable(page.get_by_test_id("deployment-table"))

    def open(self, *, debug: bool = False) -> DashboardPage:
        """Go to the dashboard and wait until the table lists its releases."""
        self.page.goto(self.path + ("?debug=1" if debug else ""))
        self.heading.wait_for()
        self.deployment_table.wait_until_listed()
        return self

    def reload(self) -> DashboardPage:
        """Reload as a returning user would, and wait for the table again."""
        self.page.reload()
        self.heading.wait_for()
        self.deployment_table.wait_until_listed()
        return self

    def bundle_urls(self) -> list[str]:
        """Absolute URLs of the scripts and styles this page references (including its import map)."""
        return bundle_urls(self.page)

    def build(self) -> str | None:
        """The frontend build that rendered this page (`<meta name="harbor-build">`)."""
        meta = self.page.locator('meta[name="harbor-build"]')
        return meta.get_attribute("content") if meta.count() else None
