"""The embedded reference Harbor: a small but real Harbor deployment for the e2e suite.

    from reference_harbor import HarborSettings, create_app
    app = create_app(HarborSettings(token_lifetime=5))

or from a shell: ``python -m reference_harbor --port 0``.
"""

from .app import create_app
from .settings import DEMO_PASSWORD, DEMO_USERNAME, OTHER_PASSWORD, OTHER_USERNAME, HarborSettings

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "OTHER_PASSWORD",
    "OTHER_USERNAME",
    "HarborSettings",
    "create_app",
]
