"""The security checks of the core (download_probe/security.py) on hand-made answers and traffic."""

from __future__ import annotations

import base64

import pytest

from download_probe import CapturedExchange
from download_probe.security import (
    HttpAnswer,
    alter_secret,
    check_referrer_policy,
    check_refused,
    check_tokens_stay_first_party,
    effective_referrer_policy,
    later_expiry,
    replace_param,
    without_param,
)

FILE_START = bytes(range(256)) * 16
TOKEN = "eyJleHAiOjE3NTAwMDAwMDAsImZpZCI6ImYxIn0.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf"


def answer(status: int, body: bytes = b"", **headers: str) -> HttpAnswer:
    return HttpAnswer("GET", "http://h.example/x?token=secret", status, {k.replace("_", "-"): v for k, v in headers.items()}, body)


def codes(problems: list) -> list[str]:
    return [p.code for p in problems]


def refused(a: HttpAnswer, expected: tuple[int, ...] = (403,)) -> list[str]:
    return codes(
        check_refused(a, subject="f.bin", attempt="download URL with an altered token", expected=expected,
                      accepted_code="TOKEN_ACCEPTED_ALTERED", file_start=FILE_START)
    )


def test_alter_secret_changes_one_significant_character_of_the_signature() -> None:
    forged = alter_secret(TOKEN)
    assert forged != TOKEN and len(forged) == len(TOKEN)
    payload, signature = TOKEN.split(".")
    forged_payload, forged_signature = forged.split(".")
    assert forged_payload == payload
    assert sum(a != b for a, b in zip(signature, forged_signature)) == 1
    assert forged_signature[-1] == signature[-1]  # never the last character (padding bits)
    decoded = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    assert decoded(forged_signature) != decoded(signature)


def test_url_params_are_replaced_or_dropped_and_the_rest_kept() -> None:
    url = "https://h.example/nas/f?user=demo&expires=1750000000&sig=abc"
    assert replace_param(url, "sig", "x+y") == "https://h.example/nas/f?user=demo&expires=1750000000&sig=x%2By"
    assert without_param(url, "sig") == "https://h.example/nas/f?user=demo&expires=1750000000"
    assert later_expiry("1750000000") == "1750086400"


def test_a_proper_refusal_passes() -> None:
    assert refused(answer(403, b'{"error": "invalid_token"}', content_type="application/json")) == []


def test_a_redirect_or_the_file_is_an_acceptance() -> None:
    assert refused(answer(302, location="/nas/v1/stream/f?sig=1")) == ["TOKEN_ACCEPTED_ALTERED"]
    assert refused(answer(200, FILE_START[:4096], content_type="application/octet-stream")) == ["TOKEN_ACCEPTED_ALTERED"]


def test_an_error_page_with_200_is_not_a_refusal() -> None:
    assert refused(answer(200, b"<h1>Access denied</h1>", content_type="text/html")) == ["REFUSED_WITH_200"]
    assert refused(answer(200, b'{"error": "denied"}', content_type="application/json")) == ["REFUSED_WITH_200"]


def test_a_refusal_that_sends_the_file_leaks_it() -> None:
    assert refused(answer(403, FILE_START[:4096], content_type="application/octet-stream")) == ["FILE_BODY_IN_REFUSAL"]
    assert refused(answer(403, b"", content_length=str(500 << 20))) == ["FILE_BODY_IN_REFUSAL"]


def test_another_status_is_named_with_the_contract_s() -> None:
    problems = check_refused(answer(404), subject="f.bin", attempt="download URL without a token", expected=(401,),
                             accepted_code="TOKEN_NOT_REQUIRED")
    assert codes(problems) == ["WRONG_REFUSAL_STATUS"]
    assert problems[0].sentence == "f.bin: download URL without a token answered 404, the contract says 401 [WRONG_REFUSAL_STATUS]"


def test_sentences_never_show_a_query() -> None:
    problems = check_refused(answer(302, location="https://nas.example/s/f?sig=SECRETSIG"), subject="f", attempt="x",
                             expected=(403,), accepted_code="TOKEN_ACCEPTED_ALTERED")
    assert "SECRETSIG" not in problems[0].sentence and "https://nas.example/s/f" in problems[0].sentence


@pytest.mark.parametrize(
    ("header", "html", "policy"),
    [
        ("no-referrer", b"", "no-referrer"),
        ("unsafe-url, strict-origin-when-cross-origin", b"", "strict-origin-when-cross-origin"),
        ("strict-origin, made-up-policy", b"", "strict-origin"),
        (None, b'<head><meta name="referrer" content="same-origin"></head>', "same-origin"),
        ("no-referrer", b'<meta name="referrer" content="unsafe-url">', "unsafe-url"),
        (None, b"<head></head>", None),
    ],
)
def test_effective_referrer_policy(header: str | None, html: bytes, policy: str | None) -> None:
    assert effective_referrer_policy(header, html) == policy


def test_referrer_policy_check_names_unsafe_and_missing_policies() -> None:
    assert codes(check_referrer_policy("/login", answer(200, referrer_policy="unsafe-url"))) == ["REFERRER_POLICY_UNSAFE"]
    assert codes(check_referrer_policy("/login", answer(200, referrer_policy="no-referrer-when-downgrade"))) == [
        "REFERRER_POLICY_UNSAFE"
    ]
    assert codes(check_referrer_policy("/login", answer(200))) == ["REFERRER_POLICY_MISSING"]
    assert check_referrer_policy("/login", answer(200, referrer_policy="no-referrer")) == []


def exchange(index: int, url: str, headers: dict[str, str] | None = None, post_data: str | None = None) -> CapturedExchange:
    return CapturedExchange(index, url, "GET", "image", False, headers or {}, 0.0, 0.0, post_data=post_data)


HOME = {"http://127.0.0.1:8000"}
AT_HOME = [
    exchange(0, "http://127.0.0.1:8000/api/files/f/download-token", {"authorization": "Bearer access-token-123456"}),
    exchange(1, f"http://127.0.0.1:8000/api/files/f/download?token={TOKEN}"),
]


def test_tokens_at_home_are_fine_and_elsewhere_are_caught_in_any_form() -> None:
    assert check_tokens_stay_first_party(AT_HOME, subject="f", first_party=HOME) == []
    elsewhere = [
        exchange(2, "http://localhost:8000/collect?url=http%3A%2F%2F127.0.0.1%3A8000%2Fdl%3Ftoken%3D" + TOKEN),
        exchange(3, "https://cdn.example/pixel.gif", {"referer": "http://127.0.0.1:8000/x?t=access-token-123456"}),
        exchange(4, "https://stats.example/b", post_data=base64.b64encode(f"u={TOKEN}".encode()).decode()),
        exchange(5, "https://fonts.example/font.woff2", {"referer": "http://127.0.0.1:8000/"}),
    ]
    problems = check_tokens_stay_first_party(AT_HOME + elsewhere, subject="f", first_party=HOME)
    assert [p.message.split(" (")[0] for p in problems] == [
        "GET http://localhost:8000/collect",
        "GET https://cdn.example/pixel.gif",
        "GET https://stats.example/b",
    ]
    assert codes(problems) == ["TOKEN_SENT_TO_THIRD_PARTY"] * 3
    assert TOKEN not in " ".join(p.sentence for p in problems)
