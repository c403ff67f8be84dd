"""The sign-in page (`/login`)."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from pages.dashboard_page import DashboardPage


class SignInRejected(Exception):
    """The sign-in form showed an error instead of leading to the dashboard."""


class SignInPage:
    path = "/login"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.username = page.get_by_label("Username")
        self.password = page.get_by_label("Password")
        self.submit = page.get_by_role("button", name="Sign in")
        self.alert = page.get_by_role("alert")

    def open(self) -> SignInPage:
        return self.navigate().wait_for_form()

    def navigate(self) -> SignInPage:
        """Load the page (without waiting for the form: a caller can tell a slow page from a wrong one)."""
        self.page.goto(self.path)
        return self

    def wait_for_form(self) -> SignInPage:
        self.username.wait_for()
        return self

    def sign_in(self, username: str, password: str) -> DashboardPage:
        """Fill in and submit the form; returns the dashboard, or raises SignInRejected with the alert's text."""
        self.username.fill(username)
        self.password.fill(password)
        self.submit.click()
        dashboard = DashboardPage(self.page)
        dashboard.heading.or_(self.alert.filter(has_text=re.compile(r"\S"))).first.wait_for()
        if not dashboard.heading.is_visible():
            raise SignInRejected(self.alert.inner_text().strip() or "the sign-in form showed an error")
        return dashboard
