"""Nothing the suite writes holds a secret: a full e2e run, then a scan of every file it wrote.

The embedded reference Harbor records every access token, download token and streaming-URL
signature it hands out (HARBOR_REFERENCE_ISSUED_SECRETS_FILE, kept outside the scanned folder):
that record, plus the demo password, is the list of secrets, independent of what the suite's
redactor learned. The scan covers the reports, the Playwright output folder, pytest's temporary
folder and the run's terminal output, in every encoding (see secret_scan.py); once more with
Playwright tracing on.
"""

from __future__ import annotations

import base64
import html
import io
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from fixtures.reporting import TRACE_WARNING
from fixtures.target import EmbeddedHarbor
from reference_harbor import DEMO_PASSWORD, DEMO_USERNAME
from reference_harbor.issued_secrets import ENV_VAR as ISSUED_SECRETS_ENV_VAR
from reference_harbor.issued_secrets import read_issued_secrets
from tests.selftest.secret_scan import Finding, blobs, scan_bytes, scan_tree
from tests.selftest.suite_runner import SuiteRun, run_suite

pytestmark = pytest.mark.selftest  # runs the whole suite: the slow part of the project's tests

EXPECTED_E2E_TESTS = 20  # at least: a run that stopped early would scan too little
# Failure reports are where secrets leak (tracebacks print fixture values, timelines print URLs):
# download checks fail on a token used for the wrong file, security checks on an expiry not checked
# and a token sent to a third party.
FAILING_FAULTS = ("token-wrong-file", "no-expiry-check", "token-to-third-party")


@dataclass
class ScannedRun:
    run: SuiteRun
    written: Path
    issued_counts: dict[str, int]
    findings: list[Finding]


def _run_and_scan(tmp_path: Path, extra_args: list[str], faults: tuple[str, ...] = ()) -> ScannedRun:
    written = tmp_path / "written"  # everything the run writes, and nothing else
    issued_log = tmp_path / "issued-secrets.txt"
    run = run_suite(
        written / "reports",
        faults=faults,
        env={ISSUED_SECRETS_ENV_VAR: str(issued_log)},
        args=["--output", str(written / "test-results"), "--basetemp", str(written / "basetemp"), *extra_args],
    )
    issued = read_issued_secrets(issued_log)
    secrets = {DEMO_PASSWORD: "password"} | {secret: kind for kind, values in issued.items() for secret in values}
    findings = scan_tree(written, secrets) + scan_bytes("terminal output", run.output.encode(), secrets)
    return ScannedRun(run, written, {kind: len(values) for kind, values in issued.items()}, findings)


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[ScannedRun]]]:
    """The full runs at once (most of a run is waiting on the browser and the Harbor)."""
    with ThreadPoolExecutor(max_workers=3) as executor:
        yield {
            "plain": executor.submit(_run_and_scan, tmp_path_factory.mktemp("scan-plain"), []),
            "tracing": executor.submit(_run_and_scan, tmp_path_factory.mktemp("scan-tracing"), ["--tracing", "on"]),
            "failing": executor.submit(
                _run_and_scan, tmp_path_factory.mktemp("scan-failing"), ["--tracing", "retain-on-failure"], FAILING_FAULTS
            ),
        }


def _assert_a_full_run(scanned: ScannedRun) -> None:
    run = scanned.run
    # Every test ran (a failing one is fine: its message is written too, and scanned).
    assert len(run.outcomes) >= EXPECTED_E2E_TESTS and "harbor-e2e:" not in run.output, run.describe() + run.output[-2000:]
    # The scan means something only if the run handed out and used secrets of every kind.
    assert {"access-token", "download-token", "stream-signature"} <= scanned.issued_counts.keys(), scanned.issued_counts


def _findings(findings: list[Finding]) -> str:
    return "\n".join(f"{f.where}: {f.what} ({f.form})" for f in findings)


def test_a_full_run_writes_no_secret_anywhere(full_runs: dict[str, Future[ScannedRun]]) -> None:
    scanned = full_runs["plain"].result()
    _assert_a_full_run(scanned)
    reports = scanned.written / "reports"
    assert (reports / "report.html").is_file() and (reports / "downloads.json").is_file() and (reports / "junit.xml").is_file()
    assert not scanned.findings, _findings(scanned.findings)


def test_a_full_run_with_tracing_writes_no_secret_anywhere(full_runs: dict[str, Future[ScannedRun]]) -> None:
    scanned = full_runs["tracing"].result()
    _assert_a_full_run(scanned)
    results = scanned.written / "test-results"
    assert sorted(results.rglob("trace.zip")), "tracing on wrote no trace"
    # The traces did record secrets (the token requests of real downloads): the scrub removed them.
    scrubbed = [name for name, data in blobs(results) if name.endswith("trace.network") and b"[REDACTED]" in data]
    assert scrubbed, "no trace recorded a secret, so this scan proves nothing about traces"
    assert not scanned.findings, _findings(scanned.findings)


def test_a_failing_run_writes_no_secret_anywhere(full_runs: dict[str, Future[ScannedRun]]) -> None:
    scanned = full_runs["failing"].result()
    _assert_a_full_run(scanned)
    assert len(scanned.run.failed) >= 3, scanned.run.describe()
    assert sorted((scanned.written / "test-results").rglob("trace.zip")), "a failed browser test kept no trace"
    assert not scanned.findings, _findings(scanned.findings)


def test_tracing_against_a_real_deployment_warns_and_is_scrubbed(tmp_path: Path) -> None:
    written, issued_log = tmp_path / "written", tmp_path / "issued-secrets.txt"
    with EmbeddedHarbor(["--issued-secrets-file", str(issued_log)]) as deployment:
        run = run_suite(
            written / "reports",
            env={"HARBOR_BASE_URL": deployment.base_url, "HARBOR_USERNAME": DEMO_USERNAME, "HARBOR_PASSWORD": DEMO_PASSWORD},
            args=["--tracing", "on", "--output", str(written / "test-results"), "-k", "dashboard"],
        )
    assert run.exit_code == 0 and list((written / "test-results").rglob("trace.zip")), run.output[-2000:]
    assert f"harbor-e2e: WARNING: {TRACE_WARNING}" in " ".join(run.output.split())
    assert html.escape(TRACE_WARNING) in (written / "reports" / "report.html").read_text(encoding="utf-8")
    secrets = {DEMO_PASSWORD: "password"} | {s: kind for kind, values in read_issued_secrets(issued_log).items() for s in values}
    findings = scan_tree(written, secrets)
    assert not findings, _findings(findings)


def test_tracing_against_the_embedded_harbor_does_not_warn(tmp_path: Path) -> None:
    run = run_suite(tmp_path / "reports", args=["--tracing", "on", "--output", str(tmp_path / "test-results"), "-k", "dashboard"])
    assert run.exit_code == 0, run.output[-2000:]
    assert "WARNING" not in run.output and html.escape(TRACE_WARNING) not in (tmp_path / "reports" / "report.html").read_text()


# -- the scan itself finds what it must ------------------------------------------------------------


def test_scan_finds_secrets_in_every_form_and_inside_archives(tmp_path: Path) -> None:
    secret = "eyJleHAiOjE3NTAwMDAwMDB9.c2lnbmF0dXJlLW9mLWZvcnR5LXRocmVlLWNoYXJzLXh4"
    shifted = base64.b64encode(b"xy" + secret.encode() + b"z").decode()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("trace.network", f'{{"url": "/x?u={shifted}"}}')
    (tmp_path / "trace.zip").write_bytes(archive.getvalue())
    (tmp_path / "report.html").write_text("nothing here")

    findings = scan_tree(tmp_path, {secret: "download-token"})

    assert Finding("trace.zip!trace.network", "download-token", "base64") in findings
    assert not [f for f in findings if f.where == "report.html"]


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123", "a Bearer credential"),
        ("GET /nas/v1/stream/f?user=demo&sig=abcdefghijklmnopqrstu", "a token or signature in a URL"),
    ],
)
def test_scan_finds_unredacted_credentials_by_shape(text: str, what: str) -> None:
    assert Finding("x", what, "shape") in scan_bytes("x", text.encode(), {})
    redacted = text.replace(text.split()[-1].split("=")[-1], "[REDACTED]")
    assert scan_bytes("x", redacted.encode(), {}) == []
