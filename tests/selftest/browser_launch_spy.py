"""A pytest plugin for suite runs (`-p tests.selftest.browser_launch_spy`): notes every browser launch
in the file named by HARBOR_SELFTEST_LAUNCH_LOG, so a self-test can tell whether a run got as far
as starting a browser."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserType

LOG_ENV_VAR = "HARBOR_SELFTEST_LAUNCH_LOG"
_launch = BrowserType.launch


def _noted_launch(self: BrowserType, *args: Any, **kwargs: Any) -> Browser:
    log = os.environ.get(LOG_ENV_VAR)
    if log:
        with Path(log).open("a", encoding="utf-8") as notes:
            notes.write(f"launched {self.name}\n")
    return _launch(self, *args, **kwargs)


BrowserType.launch = _noted_launch  # type: ignore[method-assign]
