"""Wires the suite's fixtures; each module owns one concern and holds the logic."""

pytest_plugins = [
    "fixtures.config",
    "fixtures.parallel",
    "fixtures.reporting",
    "fixtures.target",
    "fixtures.browser",
    "fixtures.auth",
    "fixtures.network",
    "fixtures.downloads",
    "fixtures.harbor_api",
    "fixtures.full_download",
    "fixtures.history",
]
