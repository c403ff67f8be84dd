"""A run against a broken deployment, or with a bad setting, ends in bounded time with one line
that says what to fix, and still writes its reports with that line at the top.

Each case runs the e2e suite in a pytest process of its own (HARBOR_BASE_URL pointing at a tiny
broken server on 127.0.0.1, or at a reference Harbor used as a real deployment), with a short
page timeout; bad settings must stop the run before any browser starts (a launch spy plugin
notes every launch). The runs go three at a time.
"""

from __future__ import annotations

import html
import json
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from fixtures.target import EmbeddedHarbor
from reference_harbor import DEMO_PASSWORD, DEMO_USERNAME
from tests.selftest.browser_launch_spy import LOG_ENV_VAR as LAUNCH_LOG_ENV_VAR
from tests.selftest.fake_deployments import BrokenEndpoint, FakeHarbor
from tests.selftest.suite_runner import SuiteRun, run_suite

pytestmark = pytest.mark.selftest  # runs the whole suite: the slow part of the project's tests

PAGE_TIMEOUT_MS = 2000
# A run that stops at set-up: pytest's start, maybe a browser, and a few page timeouts at most.
RUN_BOUND_S = 45.0
PARALLEL_RUNS = 3
LAUNCH_SPY = "tests.selftest.browser_launch_spy"


@dataclass(frozen=True)
class Case:
    message: str  # a regular expression the one line must match in full
    target: str | None = None  # a server of the `deployments` fixture; None: settings only
    settings: dict[str, str] = field(default_factory=dict)
    launches_browser: bool | None = None  # None: either is fine (the target is checked as the browser starts)
    args: tuple[str, ...] = ()  # which tests to run (default: the whole e2e suite)


BROKEN_DEPLOYMENTS = {
    "unreachable": Case(
        r"http://127\.0\.0\.1:\d+ is unreachable \(cannot connect: .+\) - check HARBOR_BASE_URL and that the deployment is up",
        target="unreachable",
    ),
    "tls-error": Case(
        r"https://127\.0\.0\.1:\d+: the TLS handshake failed \(.+\) - check that HARBOR_BASE_URL's scheme and port are "
        r"right and that the deployment's certificate is valid for this host and trusted",
        target="not-tls",
    ),
    "not-a-harbor": Case(r"http://127\.0\.0\.1:\d+ does not look like a Harbor: GET /api/version answered 404", target="not-harbor"),
    "api-too-slow": Case(
        r"http://127\.0\.0\.1:\d+ is too slow: GET /api/version got no answer within 2 s \(HARBOR_PAGE_TIMEOUT_MS\)",
        target="never-answers",
    ),
    "pages-too-slow": Case(
        r"http://127\.0\.0\.1:\d+ is too slow: /login did not load within 2 s \(HARBOR_PAGE_TIMEOUT_MS\)",
        target="slow-pages",
        launches_browser=True,
    ),
    "wrong-credentials": Case(
        r"cannot sign in to http://127\.0\.0\.1:\d+ as 'demo': the sign-in page says 'Wrong username or password' - "
        r"check HARBOR_USERNAME and HARBOR_PASSWORD",
        target="reference",
        settings={"HARBOR_PASSWORD": "not-the-password"},
        launches_browser=True,
    ),
    "account-locked": Case(
        r"the account 'demo' is locked or disabled at http://127\.0\.0\.1:\d+: the sign-in page says "
        r"'Sign-in failed: This account is locked' - have it unlocked, or set HARBOR_USERNAME and HARBOR_PASSWORD "
        r"to another account",
        target="account-locked",
        launches_browser=True,
    ),
    "account-locked-security-checks": Case(
        r"the account 'demo' is locked or disabled at http://127\.0\.0\.1:\d+: /api/auth/login answered 423 "
        r"\('This account is locked'\) - have it unlocked, or set HARBOR_USERNAME and HARBOR_PASSWORD to another account",
        target="account-locked",
        launches_browser=False,  # the API checks sign in over HTTP first
        args=("-m", "security"),
    ),
    "no-deployment-table": Case(
        r"signed in at http://127\.0\.0\.1:\d+, but the dashboard shows no deployment table "
        r"\(\[data-testid=deployment-table\]\) within 2 s - is http://127\.0\.0\.1:\d+/dashboard the Harbor dashboard\?",
        target="no-table",
        launches_browser=True,
    ),
    "version-missing": Case(
        r"version 9\.9\.9 is not on the dashboard \(it lists .*2\.0\.0.*\) - set HARBOR_VERSION to one of them",
        target="reference",
        settings={"HARBOR_VERSION": "9.9.9"},
        launches_browser=True,
    ),
}
BAD_SETTINGS = {
    "malformed-base-url": Case(
        r"HARBOR_BASE_URL must be an http\(s\) URL such as https://harbor\.example\.com, got 'harbor\.example\.com'",
        settings={"HARBOR_BASE_URL": "harbor.example.com", "HARBOR_USERNAME": "qa", "HARBOR_PASSWORD": "pw-123456"},
        launches_browser=False,
    ),
    "password-missing": Case(
        r"HARBOR_PASSWORD is not set: HARBOR_BASE_URL points at a real deployment, so put HARBOR_PASSWORD in the "
        r"environment or in \.env",
        settings={"HARBOR_BASE_URL": "https://harbor.example.com", "HARBOR_USERNAME": "qa"},
        launches_browser=False,
    ),
    "budget-not-a-number": Case(
        r"HARBOR_LATENCY_BUDGET_MS must be a number of milliseconds, got 'fast'",
        settings={"HARBOR_LATENCY_BUDGET_MS": "fast"},
        launches_browser=False,
    ),
    "page-timeout-negative": Case(
        r"HARBOR_PAGE_TIMEOUT_MS must be a positive number of milliseconds, got '-5'",
        settings={"HARBOR_PAGE_TIMEOUT_MS": "-5"},
        launches_browser=False,
    ),
    "token-policy-not-a-number": Case(
        r"HARBOR_TOKEN_MAX_LIFETIME_S must be a number of seconds, got 'forever'",
        settings={"HARBOR_TOKEN_MAX_LIFETIME_S": "forever"},
        launches_browser=False,
    ),
}
CASES = {**BROKEN_DEPLOYMENTS, **BAD_SETTINGS}


@dataclass
class TimedRun:
    run: SuiteRun
    seconds: float
    launches: list[str]


@pytest.fixture(scope="module")
def deployments() -> Iterator[dict[str, str]]:
    """name -> base URL of each broken deployment (and of a healthy reference Harbor)."""
    endpoints = [BrokenEndpoint(kind) for kind in BrokenEndpoint.KINDS]
    fakes = [FakeHarbor(kind) for kind in FakeHarbor.KINDS]
    with EmbeddedHarbor() as reference:
        urls = {"reference": reference.base_url}
        urls.update({kind: e.base_url for kind, e in zip(BrokenEndpoint.KINDS, endpoints)})
        urls.update({kind: f.base_url for kind, f in zip(FakeHarbor.KINDS, fakes)})
        try:
            yield urls
        finally:
            for server in [*endpoints, *fakes]:
                server.stop()


def _timed_run(report_dir: Path, env: dict[str, str], args: tuple[str, ...]) -> TimedRun:
    launch_log = report_dir.parent / f"{report_dir.name}-launches.txt"
    started = time.monotonic()
    run = run_suite(report_dir, env={**env, LAUNCH_LOG_ENV_VAR: str(launch_log)}, args=["-p", LAUNCH_SPY, *args])
    seconds = time.monotonic() - started
    launches = launch_log.read_text().splitlines() if launch_log.is_file() else []
    return TimedRun(run, seconds, launches)


@pytest.fixture(scope="module")
def setup_runs(
    request: pytest.FixtureRequest, deployments: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[TimedRun]]]:
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as executor:
        futures = {}
        for name in dict.fromkeys(selected):
            case = CASES[name]
            env = {"HARBOR_PAGE_TIMEOUT_MS": str(PAGE_TIMEOUT_MS)}
            if case.target is not None:
                env |= {"HARBOR_BASE_URL": deployments[case.target], "HARBOR_USERNAME": DEMO_USERNAME, "HARBOR_PASSWORD": DEMO_PASSWORD}
            env |= case.settings
            futures[name] = executor.submit(_timed_run, tmp_path_factory.mktemp(name), env, case.args)
        yield futures


@pytest.mark.parametrize("case", list(CASES))
def test_run_stops_with_one_clear_line_in_bounded_time(case: str, setup_runs: dict[str, Future[TimedRun]]) -> None:
    expected = CASES[case]
    timed = setup_runs[case].result()
    run = timed.run
    said = sorted({line.strip() for line in run.output.splitlines() if line.strip().startswith("harbor-e2e: ")})

    assert run.exit_code == 1, run.describe() + run.output[-3000:]
    assert len(said) == 1, f"expected one harbor-e2e line, got {said}\n{run.output[-3000:]}"
    message = said[0].removeprefix("harbor-e2e: ")
    assert re.fullmatch(expected.message, message), f"{message!r}\ndoes not match\n{expected.message!r}"
    assert timed.seconds < RUN_BOUND_S, f"the run took {timed.seconds:.1f} s (bound {RUN_BOUND_S:g} s)"
    # One cause, one message: the first test stops the run, nothing after it runs.
    assert len(run.failed) == 1 and len(run.outcomes) == 1, run.describe()
    # The reports are written, with the line at the top.
    report = (run.report_dir / "report.html").read_text(encoding="utf-8")
    assert f"Run stopped: {html.escape(message)}" in report
    assert json.loads((run.report_dir / "downloads.json").read_text())["run_error"] == message
    assert (run.report_dir / "junit.xml").is_file()
    if expected.launches_browser is not None:
        assert bool(timed.launches) == expected.launches_browser, f"browser launches: {timed.launches}"
    print(f"{case}: {timed.seconds:.1f} s - {message}")
