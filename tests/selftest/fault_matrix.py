"""The fault matrix: for each reference Harbor fault, which e2e tests must fail, for which files, with
which cause codes; everything else must pass. `python tests/selftest/fault_matrix.py` prints the
table that docs/fault-matrix.md holds (a self-test checks that the file is current)."""

from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from reference_harbor.faults import FAULTS  # noqa: E402

DOC = REPOSITORY / "docs" / "fault-matrix.md"

TOOLS, FIRMWARE, SUMS = "harbor-tools-2.0.0.tar.gz", "harbor-firmware-2.0.0.img", "SHA256SUMS-2.0.0.txt"
MAIN_FILES = (TOOLS, FIRMWARE, SUMS)

BUDGET = "test_downloads::test_click_starts_download_within_budget"
SIZE = "test_downloads::test_start_latency_does_not_grow_with_file_size"
STRATEGY = "test_downloads::test_download_goes_by_redirect_strategy"
TOKEN = "test_downloads::test_download_request_carries_accepted_token"
NAME_SIZE = "test_downloads::test_suggested_name_and_size_match_table"
PAGE_BUILD = "test_freshness::test_page_build_matches_api_version"
RELOAD = "test_freshness::test_reload_runs_the_bundle_the_server_now_serves"
HTML_CACHE = "test_freshness::test_html_pages_are_not_cached_for_long"
BUNDLE_CACHE = "test_freshness::test_bundles_cached_long_are_content_hashed"
FULL_SIZE = "test_full_download::test_whole_file_arrives_with_the_announced_size"
FULL_DIGEST = "test_full_download::test_whole_file_matches_the_release_sha256"
FULL_MEMORY = "test_full_download::test_server_memory_stays_flat_during_full_downloads"

Causes = set[tuple[str, str]]


def every_file(code: str) -> Causes:
    return {(name, code) for name in MAIN_FILES}


def no_download(code: str) -> dict[str, Causes]:
    """A download that never starts fails every download check, each naming the same first broken link."""
    return {BUDGET: every_file(code), STRATEGY: every_file(code), TOKEN: every_file(code), NAME_SIZE: every_file(code)}


# fault -> {test -> {(subject, cause code)}}; a test not listed must pass.
EXPECTED: dict[str, dict[str, Causes]] = {
    "legacy-download-service": {
        BUDGET: {(FIRMWARE, "STRATEGY_PROXY")},  # small files arrive whole fast enough; the image does not
        SIZE: {(FIRMWARE, "STRATEGY_PROXY")},  # ...so its start grows with its size
        STRATEGY: every_file("STRATEGY_PROXY"),
        TOKEN: every_file("STRATEGY_PROXY"),
    },
    "large-files-via-proxy": {
        BUDGET: {(FIRMWARE, "STRATEGY_PROXY")},
        SIZE: {(FIRMWARE, "STRATEGY_PROXY")},
        STRATEGY: {(FIRMWARE, "STRATEGY_PROXY")},
        TOKEN: {(FIRMWARE, "STRATEGY_PROXY")},
    },
    "old-endpoint": {
        BUDGET: {(FIRMWARE, "BUFFERED_STREAM")},
        SIZE: {(FIRMWARE, "BUFFERED_STREAM")},
        STRATEGY: every_file("NO_REDIRECT"),
    },
    "token-dropped": no_download("TOKEN_MISSING"),
    "token-wrong-file": no_download("TOKEN_REJECTED"),
    "stale-frontend": {PAGE_BUILD: {("dashboard", "STALE_FRONTEND")}, RELOAD: {("dashboard after reload", "STALE_FRONTEND")}},
    "cache-forever": {
        HTML_CACHE: {("/login", "CACHE_POLICY"), ("/dashboard", "CACHE_POLICY")},
        BUNDLE_CACHE: {
            (f"/assets/{name}", "CACHE_POLICY")
            for name in ("api.js", "dashboard.js", "download-service.js", "legacy-download-service.js", "style.css")
        },
    },
    "slow-token": {BUDGET: every_file("SLOW_HOP")},
    "slow-redirect": {BUDGET: every_file("SLOW_HOP")},
    "slow-stream-start": {BUDGET: every_file("SLOW_HOP")},
    "buffered-stream": {BUDGET: {(FIRMWARE, "BUFFERED_STREAM")}, SIZE: {(FIRMWARE, "BUFFERED_STREAM")}},
    "redirect-chain": {BUDGET: every_file("REDIRECT_CHAIN")},
    "inline-disposition": {
        BUDGET: {(SUMS, "NOT_A_DOWNLOAD")},
        STRATEGY: {(SUMS, "NOT_A_DOWNLOAD")},
        NAME_SIZE: {(SUMS, "NOT_A_DOWNLOAD")},
    },
    "stream-down": {
        BUDGET: {(FIRMWARE, "FALLBACK_USED")},
        SIZE: {(FIRMWARE, "FALLBACK_USED")},
        STRATEGY: every_file("FALLBACK_USED"),
    },
    "stream-down-no-fallback": {
        BUDGET: every_file("NO_FALLBACK"),
        STRATEGY: every_file("NO_FALLBACK"),
        NAME_SIZE: every_file("NO_FALLBACK"),
    },
    "no-content-length": {NAME_SIZE: every_file("NO_CONTENT_LENGTH")},
}

# The same for full-download mode (`--full-download`, tests/e2e/test_full_download.py only): the faults
# that show once whole files are downloaded. A stream that stops early passes every other check (they
# cancel each download once it has started), so it has no row in EXPECTED.
FULL_DOWNLOAD_EXPECTED: dict[str, dict[str, Causes]] = {
    "stream-stops-early": {FULL_SIZE: {(FIRMWARE, "STREAM_TRUNCATED")}, FULL_DIGEST: {(FIRMWARE, "STREAM_TRUNCATED")}},
    "buffered-stream": {FULL_MEMORY: {(FIRMWARE, "SERVER_MEMORY_GROWTH")}},
}

# Network faults: the network, not the product, fails (a TCP reset before any response). The suite makes
# such a click once more (at most once) and says so; `tests/selftest/test_retries.py` proves each row.
# fault spec -> (what the suite does, tests that fail with (subject, code)).
NETWORK_EXPECTED: dict[str, tuple[str, dict[str, Causes]]] = {
    "connection-reset-once": (
        f"the first click (`{TOOLS}`) is made once more and passes; `retries` in downloads.json and the report say why",
        {},
    ),
    "connection-reset-once=2": (
        f"the retry of `{TOOLS}` is reset too: not retried again, its checks fail",
        {test: {(TOOLS, "TOKEN_REQUEST_FAILED")} for test in (BUDGET, STRATEGY, TOKEN, NAME_SIZE)},
    ),
}


def render_markdown() -> str:
    lines = [
        "# Fault matrix",
        "",
        "Generated by `python tests/selftest/fault_matrix.py > docs/fault-matrix.md`; the self-tests in",
        "`tests/selftest/test_fault_matrix.py` start the reference Harbor with each fault, run the e2e suite",
        "against it and check exactly this: the tests listed fail with these cause codes for these files,",
        "and every other test passes. Against the healthy reference Harbor every test passes.",
        "",
        "| fault | what it breaks | test that catches it | cause code | files |",
        "|---|---|---|---|---|",
    ]
    lines += _rows(EXPECTED)
    lines += [
        "",
        "## Full-download mode",
        "",
        "With `--full-download` (or `HARBOR_FULL_DOWNLOAD=1`), `tests/e2e/test_full_download.py` downloads every main",
        "file whole; `tests/selftest/test_full_download.py` starts the reference Harbor with each fault below, runs",
        "those checks against it and checks exactly this, and that a healthy Harbor passes them byte for byte.",
        "The download-start checks above cancel each download once it has started, so a stream that stops early",
        "only shows here.",
        "",
        "| fault | what it breaks | test that catches it | cause code | files |",
        "|---|---|---|---|---|",
    ]
    lines += _rows(FULL_DOWNLOAD_EXPECTED)
    lines += [
        "",
        "## Network faults (retried once)",
        "",
        "A click is made once more, in a fresh context, only when the network failed before any response: no",
        "download, no HTTP status on the download chain, a connection-level error (`download_probe/network_failure.py`).",
        "Product failures (every fault above) are never retried. `tests/selftest/test_retries.py` proves these rows.",
        "",
        "| fault | what it breaks | what the suite does | test that fails | cause code | files |",
        "|---|---|---|---|---|---|",
    ]
    for spec, (outcome, by_test) in NETWORK_EXPECTED.items():
        description = FAULTS[spec.partition("=")[0]].description
        failing = [(test, code, sorted(s for s, c in causes if c == code))
                   for test, causes in sorted(by_test.items()) for code in sorted({c for _, c in causes})]
        for test, code, subjects in failing or [("", "", [])]:
            shown = ", ".join(f"`{s}`" for s in subjects) or "-"
            lines.append(
                f"| `{spec}` | {description} | {outcome} | {f'`{test}`' if test else 'none'} | "
                f"{f'`{code}`' if code else '-'} | {shown} |"
            )
    return "\n".join(lines) + "\n"


def _rows(expected: dict[str, dict[str, Causes]]) -> list[str]:
    rows = []
    for fault, by_test in expected.items():
        for test, causes in sorted(by_test.items()):
            for code in sorted({code for _, code in causes}):
                subjects = sorted(subject for subject, c in causes if c == code)
                shown = "all main files" if set(subjects) == set(MAIN_FILES) else ", ".join(f"`{s}`" for s in subjects)
                rows.append(f"| `{fault}` | {FAULTS[fault].description} | `{test}` | `{code}` | {shown} |")
    return rows


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
