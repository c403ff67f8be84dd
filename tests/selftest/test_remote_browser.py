"""Self-test: HARBOR_BROWSER_WS runs the suite in a browser of a Playwright browser server
(`playwright run-server` on loopback), with the results of a plain run and no browser launched here."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from tests.selftest.browser_launch_spy import LOG_ENV_VAR
from tests.selftest.suite_runner import REPOSITORY, SuiteRun, run_suite

pytestmark = pytest.mark.selftest

TESTS = "tests/e2e/test_downloads.py"
# A fault, so the comparison covers failures and their causes too.
FAULT = "large-files-via-proxy"
SPY = ["-p", "tests.selftest.browser_launch_spy"]
_LISTENING = re.compile(r"Listening on (ws://127\.0\.0\.1:\d+/)")


@contextmanager
def browser_server(start_timeout_s: float = 30.0) -> Iterator[str]:
    """`playwright run-server` on a free 127.0.0.1 port (port 0: the server picks it and says which);
    its ws:// URL; stopped on the way out. `--unsafe` lets it take the Chromium the suite sends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", "0", "--unsafe"],
        cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # Its own process group: the Python launcher runs the server in a node child, which must stop too.
        start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=start_timeout_s)
            assert line is not None, "the browser server exited at start"
            if listening := _LISTENING.search(line):
                break
        yield listening[1]
    finally:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _signal_group(pgid: int, signal_number: int) -> None:
    try:
        os.killpg(pgid, signal_number)
    except ProcessLookupError:
        pass  # all gone already


def _results(run: SuiteRun) -> dict[str, tuple[str, frozenset[tuple[str, str]]]]:
    return {name: (outcome.outcome, frozenset(outcome.causes)) for name, outcome in run.outcomes.items()}


def _downloads(run: SuiteRun) -> dict[str, tuple[Any, ...]]:
    return {
        d["file"]: (d["strategy"], d["verdict"], len(d["clicks"]), frozenset(p["code"] for p in d["problems"]))
        for d in run.downloads["downloads"]
    }


def test_remote_browser_gives_the_results_of_a_local_one(tmp_path: Path) -> None:
    local_log, remote_log = tmp_path / "local-launches.log", tmp_path / "remote-launches.log"
    plain = run_suite(tmp_path / "plain", faults=[FAULT], env={LOG_ENV_VAR: str(local_log)}, args=SPY, tests=TESTS)
    with browser_server() as ws_url:
        remote = run_suite(
            tmp_path / "remote", faults=[FAULT], env={"HARBOR_BROWSER_WS": ws_url, LOG_ENV_VAR: str(remote_log)},
            args=SPY, tests=TESTS,
        )
    assert plain.exit_code == remote.exit_code == 1, plain.describe() + "\n" + remote.describe() + remote.output[-3000:]
    assert _results(remote) == _results(plain), plain.describe() + "\n---\n" + remote.describe()
    assert _downloads(remote) == _downloads(plain)
    assert any(strategy == "proxy" for strategy, *_ in _downloads(remote).values())  # the fault was seen remotely too
    # The report names the remote browser; the plain run launched one here, the remote run none.
    browser = remote.downloads["environment"]["Browser"]
    assert re.fullmatch(rf"chromium \S+ \(remote: {re.escape(ws_url)}\)", browser), browser
    assert "remote" not in plain.downloads["environment"]["Browser"]
    assert "(remote: ws://127.0.0.1:" in (tmp_path / "remote" / "report.html").read_text(encoding="utf-8")
    assert local_log.read_text().splitlines() == ["launched chromium"]
    assert not remote_log.exists(), remote_log.read_text()


def test_unreachable_browser_server_is_one_line_with_its_query_redacted(tmp_path: Path) -> None:
    with browser_server() as ws_url:
        pass  # stopped: its port is closed now
    launches = tmp_path / "launches.log"
    run = run_suite(
        tmp_path / "run", env={"HARBOR_BROWSER_WS": f"{ws_url}?token=s3cret-browser-tok", LOG_ENV_VAR: str(launches)},
        args=SPY, tests=TESTS,
    )
    said = sorted({line.strip() for line in run.output.splitlines() if line.strip().startswith("harbor-e2e: ")})
    assert run.exit_code == 1 and len(said) == 1, run.output[-3000:]
    assert said[0].startswith(f"harbor-e2e: cannot connect to the browser server at {ws_url}?[REDACTED] (")
    assert said[0].endswith("- check HARBOR_BROWSER_WS and that `playwright run-server` is running")
    assert "s3cret-browser-tok" not in run.output
    for written in (tmp_path / "run").iterdir():
        assert "s3cret-browser-tok" not in written.read_text(encoding="utf-8", errors="replace"), written
    assert not launches.exists()


def test_full_downloads_are_skipped_with_the_reason_on_a_remote_browser(tmp_path: Path) -> None:
    with browser_server() as ws_url:
        run = run_suite(
            tmp_path / "run", env={"HARBOR_BROWSER_WS": ws_url, "HARBOR_FULL_DOWNLOAD": "1"},
            tests="tests/e2e/test_full_download.py",
        )
    assert run.exit_code == 0 and run.outcomes, run.describe() + run.output[-3000:]
    for outcome in run.outcomes.values():
        assert outcome.outcome == "skipped" and "full downloads need a local browser" in outcome.message, outcome
