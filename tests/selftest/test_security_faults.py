"""Each security check fails on the reference Harbor fault made for it, and only then.

For every security fault the suite's security checks (`-m security`) run in a pytest process of
their own against an embedded reference Harbor started with that fault; exactly the expected
checks must fail, each with the expected cause codes, and the rest must pass. A healthy Harbor
passes every check, none skipped. The runs go three at a time: most of a run is waiting.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterator

import pytest

from reference_harbor.faults import FAULTS
from tests.selftest.suite_runner import SuiteRun, run_suite

pytestmark = pytest.mark.selftest  # runs the whole suite: the slow part of the project's tests

HEALTHY = "none"
PARALLEL_RUNS = 3
SECURITY_CHECKS = (
    "test_download_url_without_token_is_refused",
    "test_download_url_with_altered_token_is_refused",
    "test_download_token_works_only_for_its_file",
    "test_download_token_lifetime_is_within_policy",
    "test_stream_url_with_altered_signature_is_refused",
    "test_stream_url_with_extended_expiry_is_refused",
    "test_token_api_refuses_a_missing_access_token",
    "test_token_api_refuses_an_altered_access_token",
    "test_sign_out_ends_the_access_token",
    "test_pages_keep_their_urls_out_of_referer_headers",
    "test_downloads_send_no_token_to_other_origins",
    "test_expired_download_token_is_refused",
)
# The checks that send a request which must be refused (all but the lifetime, referrer and third-party ones).
REFUSAL_CHECKS = tuple(
    name
    for name in SECURITY_CHECKS
    if name
    not in {
        "test_download_token_lifetime_is_within_policy",
        "test_pages_keep_their_urls_out_of_referer_headers",
        "test_downloads_send_no_token_to_other_origins",
    }
)

# fault -> {check that must fail: the cause codes its message must give}
EXPECTED_FAILURES: dict[str, dict[str, set[str]]] = {
    "token-not-required": {"test_download_url_without_token_is_refused": {"TOKEN_NOT_REQUIRED"}},
    "download-token-unsigned": {"test_download_url_with_altered_token_is_refused": {"TOKEN_ACCEPTED_ALTERED"}},
    "token-any-file": {"test_download_token_works_only_for_its_file": {"TOKEN_ACCEPTED_OTHER_FILE"}},
    "no-expiry-check": {"test_expired_download_token_is_refused": {"TOKEN_ACCEPTED_EXPIRED"}},
    # The expiry check is skipped then (waiting a day exceeds its bound): a skip, not a failure.
    "long-lived-token": {"test_download_token_lifetime_is_within_policy": {"TOKEN_LIFETIME_OVER_POLICY"}},
    "unsigned-stream": {
        "test_stream_url_with_altered_signature_is_refused": {"STREAM_ACCEPTED_ALTERED_SIGNATURE"},
        "test_stream_url_with_extended_expiry_is_refused": {"STREAM_ACCEPTED_ALTERED_EXPIRY"},
    },
    "stream-expiry-unsigned": {"test_stream_url_with_extended_expiry_is_refused": {"STREAM_ACCEPTED_ALTERED_EXPIRY"}},
    "stream-refusal-with-body": {
        "test_stream_url_with_altered_signature_is_refused": {"FILE_BODY_IN_REFUSAL"},
        "test_stream_url_with_extended_expiry_is_refused": {"FILE_BODY_IN_REFUSAL"},
    },
    "token-api-open": {"test_token_api_refuses_a_missing_access_token": {"TOKEN_API_WITHOUT_SIGN_IN"}},
    "access-token-unsigned": {"test_token_api_refuses_an_altered_access_token": {"ACCESS_TOKEN_ACCEPTED_ALTERED"}},
    "logout-ineffective": {"test_sign_out_ends_the_access_token": {"ACCESS_TOKEN_ALIVE_AFTER_SIGN_OUT"}},
    "error-page-200": {name: {"REFUSED_WITH_200"} for name in REFUSAL_CHECKS},
    "referrer-leak": {"test_pages_keep_their_urls_out_of_referer_headers": {"REFERRER_POLICY_UNSAFE"}},
    "token-to-third-party": {"test_downloads_send_no_token_to_other_origins": {"TOKEN_SENT_TO_THIRD_PARTY"}},
}
EXPECTED_SKIPS = {"long-lived-token": {"test_expired_download_token_is_refused"}}
CASES = [HEALTHY, *EXPECTED_FAILURES]


def _key(check: str) -> str:
    return f"test_security::{check}"


@pytest.fixture(scope="module")
def security_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[SuiteRun]]]:
    """One run per case this session selected, started together and read as each test needs it."""
    selected = [
        item.callspec.params["fault"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec") and "fault" in item.callspec.params
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as executor:
        yield {
            fault: executor.submit(
                run_suite,
                tmp_path_factory.mktemp(f"security-{fault}"),
                faults=[] if fault == HEALTHY else [fault],
                args=["-m", "security"],
            )
            for fault in dict.fromkeys(selected)
        }


def test_every_security_fault_is_a_registered_fault() -> None:
    assert set(EXPECTED_FAILURES) <= set(FAULTS), set(EXPECTED_FAILURES) - set(FAULTS)


@pytest.mark.parametrize("fault", CASES)
def test_security_checks_catch_exactly_their_fault(fault: str, security_runs: dict[str, Future[SuiteRun]]) -> None:
    run = security_runs[fault].result()
    expected = {_key(check): codes for check, codes in EXPECTED_FAILURES.get(fault, {}).items()}
    skipped = {_key(check) for check in EXPECTED_SKIPS.get(fault, set())}

    assert set(run.outcomes) == {_key(check) for check in SECURITY_CHECKS}, run.describe() + "\n" + run.output[-3000:]
    assert run.exit_code == (1 if expected else 0), run.describe() + "\n" + run.output[-3000:]
    assert {name for name, outcome in run.outcomes.items() if outcome.outcome == "skipped"} == skipped, run.describe()
    assert set(run.failed) == set(expected), run.describe()
    for name, codes in expected.items():
        outcome = run.failed[name]
        assert outcome.outcome == "failed", f"{name} errored instead of failing:\n{outcome.message[-2000:]}"
        assert outcome.causes and {code for _, code in outcome.causes} == codes, f"{name}: {sorted(outcome.causes)}\n{outcome.message[-1500:]}"
