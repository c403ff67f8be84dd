"""Production's downloads let no one in: tokens and signed URLs that are missing, forged, expired or
meant for another file are refused with a proper status and nothing of the file; sign-out ends an
access token; tokens never travel to other origins; pages keep their URLs out of Referer headers.

Safe against production: the suite only signs in (and out of a session of its own), reads, asks
for download tokens and sends requests that must be refused, reading at most a few KiB of any body.
Each failure is one sentence per file (or page) with a stable code in brackets.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from download_probe import NetworkCapture, Problem
from download_probe.security import (
    EXPIRY_PARAMS,
    SIGNATURE_PARAMS,
    alter_secret,
    check_referrer_policy,
    check_refused,
    check_tokens_stay_first_party,
    find_param,
    first_party_tokens,
    later_expiry,
    origin_of,
    param_value,
    replace_param,
    without_param,
)
from fixtures.config import SuiteSettings
from fixtures.harbor_api import RELEASES_PATH, DownloadGrant, HarborApi, ReleaseFile, wait_until_expired
from fixtures.target import HarborTarget
from pages import DashboardPage

# Every check asks for `expiring_grant`, so the first one to run starts the expiry clock.
pytestmark = [pytest.mark.security, pytest.mark.usefixtures("expiring_grant")]

# After a token's advertised expiry, allow this much for clocks and rounding before it must fail.
EXPIRY_MARGIN_S = 1.0
PAGES_WITH_A_REFERRER_POLICY = ("/login", "/dashboard")
PAGE_READ_BYTES = 16 * 1024  # enough to see a <meta name="referrer"> in the page's head


def _failures(problems: list[Problem]) -> str:
    return "\n".join(problem.sentence for problem in problems)


def _forged(harbor_api: HarborApi, value: str) -> str:
    forged = alter_secret(value)
    harbor_api.redactor.learn(forged)  # a forged token is all but the real one: keep it out of output too
    return forged


# -- download URL --------------------------------------------------------------------------------


def test_download_url_without_token_is_refused(
    harbor_api: HarborApi, access_token: str, release_files: list[ReleaseFile], file_starts: dict[str, bytes]
) -> None:
    problems = []
    for file in release_files:
        grant = harbor_api.download_grant(access_token, file)
        answer = harbor_api.ask("GET", without_param(grant.download_url, "token"))
        problems += check_refused(
            answer, subject=file.name, attempt="download URL without a token", expected=(401,),
            accepted_code="TOKEN_NOT_REQUIRED", file_start=file_starts[file.file_id],
        )
    assert not problems, _failures(problems)


def test_download_url_with_altered_token_is_refused(
    harbor_api: HarborApi, access_token: str, release_files: list[ReleaseFile], file_starts: dict[str, bytes]
) -> None:
    problems = []
    for file in release_files:
        grant = harbor_api.download_grant(access_token, file)
        forged_url = replace_param(grant.download_url, "token", _forged(harbor_api, grant.token))
        problems += check_refused(
            harbor_api.ask("GET", forged_url), subject=file.name, attempt="download URL with an altered token",
            expected=(403,), accepted_code="TOKEN_ACCEPTED_ALTERED", file_start=file_starts[file.file_id],
        )
    assert not problems, _failures(problems)


def test_download_token_works_only_for_its_file(
    harbor_api: HarborApi, access_token: str, release_files: list[ReleaseFile], file_starts: dict[str, bytes]
) -> None:
    if len(release_files) < 2:
        pytest.skip(f"version {release_files[0].version} has a single main file: no other file to try its token on")
    problems = []
    for file, other in zip(release_files, release_files[1:] + release_files[:1]):
        token_of_other = harbor_api.download_grant(access_token, other).token
        own_url = harbor_api.download_grant(access_token, file).download_url
        problems += check_refused(
            harbor_api.ask("GET", replace_param(own_url, "token", token_of_other)),
            subject=file.name, attempt=f"download URL with the token issued for {other.name}",
            expected=(403,), accepted_code="TOKEN_ACCEPTED_OTHER_FILE", file_start=file_starts[file.file_id],
        )
    assert not problems, _failures(problems)


def test_download_token_lifetime_is_within_policy(
    harbor_api: HarborApi, access_token: str, release_files: list[ReleaseFile], harbor_settings: SuiteSettings
) -> None:
    policy_s = harbor_settings.token_max_lifetime_s
    problems = []
    for file in release_files:
        grant = harbor_api.download_grant(access_token, file)
        if grant.expires_in is None:
            problems.append(Problem("TOKEN_LIFETIME_MISSING", file.name, "the token API gives no expires_in"))
        elif grant.expires_in > policy_s:
            problems.append(
                Problem(
                    "TOKEN_LIFETIME_OVER_POLICY",
                    file.name,
                    f"download tokens live {grant.expires_in:g} s, the policy allows {policy_s:g} s "
                    "(HARBOR_TOKEN_MAX_LIFETIME_S)",
                )
            )
    assert not problems, _failures(problems)


# -- signed streaming URL ------------------------------------------------------------------------


def test_stream_url_with_altered_signature_is_refused(
    harbor_api: HarborApi, access_token: str, release_files: list[ReleaseFile], file_starts: dict[str, bytes]
) -> None:
    problems = []
    for file in release_files:
        stream_url = harbor_api.stream_url(harbor_api.download_grant(access_token, file))
        name = find_param(stream_url, SIGNATURE_PARAMS)
        if name is None:
            problems.append(
                Problem("STREAM_URL_UNSIGNED", file.name, f"the streaming URL has no signature parameter ({', '.join(SIGNATURE_PARAMS)})")
            )
            continue
        forged_url = replace_param(stream_url, name, _forged(harbor_api, param_value(stream_url, name)))
        problems += check_refused(
            harbor_api.ask("GET", forged_url), subject=file.name, attempt="streaming URL with an altered signature",
            expected=(403,), accepted_code="STREAM_ACCEPTED_ALTERED_SIGNATURE", file_start=file_starts[file.file_id],
        )
    assert not problems, _failures(problems)


def test_stream_url_with_extended_expiry_is_refused(
    harbor_api: HarborApi, access_token: str, release_files: list[ReleaseFile], file_starts: dict[str, bytes]
) -> None:
    problems = []
    for file in release_files:
        stream_url = harbor_api.stream_url(harbor_api.download_grant(access_token, file))
        name = find_param(stream_url, EXPIRY_PARAMS)
        if name is None:
            problems.append(
                Problem("STREAM_URL_NO_EXPIRY", file.name, f"the streaming URL has no expiry parameter ({', '.join(EXPIRY_PARAMS)})")
            )
            continue
        extended_url = replace_param(stream_url, name, later_expiry(param_value(stream_url, name)))
        problems += check_refused(
            harbor_api.ask("GET", extended_url), subject=file.name,
            attempt="streaming URL with its expiry pushed a day later", expected=(403,),
            accepted_code="STREAM_ACCEPTED_ALTERED_EXPIRY", file_start=file_starts[file.file_id],
        )
    assert not problems, _failures(problems)


# -- token API and sign-out ----------------------------------------------------------------------


def test_token_api_refuses_a_missing_access_token(harbor_api: HarborApi, release_files: list[ReleaseFile]) -> None:
    problems = []
    for file in release_files:
        problems += check_refused(
            harbor_api.ask("POST", harbor_api.token_api_path(file)), subject=file.name,
            attempt="the token API without an access token", expected=(401,), accepted_code="TOKEN_API_WITHOUT_SIGN_IN",
        )
    assert not problems, _failures(problems)


def test_token_api_refuses_an_altered_access_token(
    harbor_api: HarborApi, access_token: str, release_files: list[ReleaseFile]
) -> None:
    forged = _forged(harbor_api, access_token)
    problems = []
    for file in release_files:
        problems += check_refused(
            harbor_api.ask("POST", harbor_api.token_api_path(file), headers=harbor_api.bearer(forged)),
            subject=file.name, attempt="the token API with an altered access token", expected=(401,),
            accepted_code="ACCESS_TOKEN_ACCEPTED_ALTERED",
        )
    assert not problems, _failures(problems)


def test_sign_out_ends_the_access_token(harbor_api: HarborApi, harbor_target: HarborTarget) -> None:
    # A session of its own: signing it out leaves the run's other sessions alone.
    session = harbor_api.sign_in(harbor_target.username, harbor_target.password)
    signed_out = harbor_api.sign_out(session)
    if signed_out.status in (404, 405):
        pytest.skip(f"POST /api/auth/logout answers {signed_out.status}: this deployment has no sign-out (a SHOULD)")
    assert 200 <= signed_out.status < 300, _failures(
        [Problem("SIGN_OUT_FAILED", "sign-out", f"POST /api/auth/logout answered {signed_out.status}")]
    )
    problems = check_refused(
        harbor_api.ask("GET", RELEASES_PATH, headers=harbor_api.bearer(session)), subject="sign-out",
        attempt=f"GET {RELEASES_PATH} with the access token just signed out", expected=(401,),
        accepted_code="ACCESS_TOKEN_ALIVE_AFTER_SIGN_OUT",
    )
    assert not problems, _failures(problems)


# -- what leaves the browser ---------------------------------------------------------------------


def test_pages_keep_their_urls_out_of_referer_headers(harbor_api: HarborApi) -> None:
    problems = []
    for path in PAGES_WITH_A_REFERRER_POLICY:
        answer = harbor_api.ask("GET", path, follow_redirects=True, read_bytes=PAGE_READ_BYTES)
        problems += check_referrer_policy(path, answer)
    assert not problems, _failures(problems)


def test_downloads_send_no_token_to_other_origins(
    page: Page,
    network_capture: NetworkCapture,
    harbor_target: HarborTarget,
    release_files: list[ReleaseFile],
    harbor_settings: SuiteSettings,
) -> None:
    """A real click per main file on the dashboard; every request the page makes meanwhile is read."""
    first_party = {origin_of(harbor_target.base_url)}
    row = DashboardPage(page).open().deployment_table.row(harbor_settings.version)
    problems = []
    for file in release_files:
        attempt = row.file(file.name).download(network_capture, timeout_ms=harbor_settings.download_timeout_ms, label=file.name)
        if not first_party_tokens(attempt.exchanges, first_party):
            # Nothing to follow: the check would pass without having looked at anything.
            problems.append(
                Problem("NO_TOKEN_OBSERVED", file.name, "the download showed no token in the page's own requests to follow")
            )
        problems += check_tokens_stay_first_party(attempt.exchanges, subject=file.name, first_party=first_party)
    assert not problems, _failures(problems)


# -- expiry (last: see expiring_grant) ----------------------------------------------------------


def test_expired_download_token_is_refused(
    expiring_grant: DownloadGrant, harbor_api: HarborApi, file_starts: dict[str, bytes], harbor_settings: SuiteSettings
) -> None:
    """Last in the module: its token was asked for before the other checks ran (see `expiring_grant`)."""
    grant, file = expiring_grant, expiring_grant.file
    assert grant.expires_in is not None, _failures(
        [Problem("TOKEN_LIFETIME_MISSING", file.name, "the token API gives no expires_in, so expiry cannot be checked")]
    )
    wait_s = grant.expires_in + EXPIRY_MARGIN_S
    if wait_s > harbor_settings.token_expiry_wait_max_s:
        pytest.skip(
            f"download tokens live {grant.expires_in:g} s; waiting {wait_s:g} s for one to expire exceeds "
            f"HARBOR_TOKEN_EXPIRY_WAIT_MAX_S ({harbor_settings.token_expiry_wait_max_s:g} s)"
        )
    wait_until_expired(grant, EXPIRY_MARGIN_S)
    problems = check_refused(
        harbor_api.ask("GET", grant.download_url), subject=file.name,
        attempt=f"download URL with a token that expired {EXPIRY_MARGIN_S:g} s ago", expected=(403,),
        accepted_code="TOKEN_ACCEPTED_EXPIRED", file_start=file_starts[file.file_id],
    )
    assert not problems, _failures(problems)
