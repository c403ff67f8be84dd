"""Page objects for Harbor: one class per page or component, found by role, label or test id."""

from pages.dashboard_page import DashboardPage
from pages.deployment_table import DeploymentRow, DeploymentTable, FileEntry
from pages.sign_in_page import SignInPage, SignInRejected

__all__ = ["DashboardPage", "DeploymentRow", "DeploymentTable", "FileEntry", "SignInPage", "SignInRejected"]
