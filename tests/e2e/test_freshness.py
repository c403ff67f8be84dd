"""Freshness: the browser runs the build the deployment serves, and caching cannot pin an old one."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from download_probe import NetworkCapture
from download_probe.freshness import bundle_cache_problem, bundle_urls, html_cache_problem
from fixtures.config import SuiteSettings
from pages import DashboardPage, SignInPage

_ASSET_TYPES = {"script", "stylesheet"}


def _api_build(page: Page) -> str | None:
    response = page.request.get("/api/version", headers={"Cache-Control": "no-cache"})
    return response.json().get("build") if response.ok else None


def test_page_build_matches_api_version(page: Page, describe_run: None) -> None:
    dashboard = DashboardPage(page).open()
    page_build, api_build = dashboard.build(), _api_build(page)
    assert page_build and api_build, (
        f"dashboard: no build to compare (page harbor-build: {page_build}, /api/version build: {api_build}); "
        "the contract requires both [NO_BUILD_ID]"
    )
    assert page_build == api_build, (
        f"dashboard: the page runs frontend build {page_build}, the API reports {api_build}: "
        "the browser got an older (or other) frontend than the deployment's [STALE_FRONTEND]"
    )


def test_deployment_runs_expected_build(page: Page, harbor_settings: SuiteSettings) -> None:
    if harbor_settings.expected_build is None:
        pytest.skip("HARBOR_EXPECTED_BUILD is not set (set it for pre-release runs)")
    page_build, api_build = DashboardPage(page).open().build(), _api_build(page)
    expected = harbor_settings.expected_build
    assert page_build == expected and api_build == expected, (
        f"deployment: expected build {expected}, the API runs {api_build} and the page {page_build} [UNEXPECTED_BUILD]"
    )


def test_html_pages_are_not_cached_for_long(page: Page) -> None:
    problems = []
    for path in (SignInPage.path, DashboardPage.path):
        response = page.request.get(path, max_redirects=0)
        problem = html_cache_problem(response.headers.get("cache-control"))
        if problem:
            problems.append(f"{path}: HTML {problem} [CACHE_POLICY]")
    assert not problems, "\n".join(problems)


def test_bundles_cached_long_are_content_hashed(page: Page, network_capture: NetworkCapture) -> None:
    DashboardPage(page).open()
    bundles = [e for e in network_capture.exchanges() if e.resource_type in _ASSET_TYPES and e.status == 200]
    assert bundles, "dashboard: no script or stylesheet was loaded, nothing to check"
    problems = []
    for bundle in bundles:
        problem = bundle_cache_problem(bundle.url, bundle.response_headers.get("cache-control"))
        if problem:
            problems.append(f"{urlsplit(bundle.url).path}: bundle {problem} [CACHE_POLICY]")
    assert not problems, "\n".join(problems)


def test_reload_runs_the_bundle_the_server_now_serves(page: Page) -> None:
    dashboard = DashboardPage(page).open().reload()
    served_html = page.request.get(DashboardPage.path, headers={"Cache-Control": "no-cache"}).text()
    missing = sorted(set(bundle_urls(page, served_html)) - set(dashboard.bundle_urls()))
    page_build, api_build = dashboard.build(), _api_build(page)
    assert not missing and page_build and page_build == api_build, (
        f"dashboard after reload: runs build {page_build} (API: {api_build}); bundles the server serves now but the "
        f"page does not run: {missing or 'none'} [STALE_FRONTEND]"
    )
