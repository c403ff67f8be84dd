"""The settings of the security checks and of the bounds on waiting."""

from __future__ import annotations

import pytest

from fixtures.config import SettingsError, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.token_max_lifetime_s == 300 and settings.token_expiry_wait_max_s == 90
    assert settings.embedded_token_lifetime_s == 3 and settings.page_timeout_ms == 20_000


def test_values_are_read() -> None:
    settings = load_settings(
        {"HARBOR_TOKEN_MAX_LIFETIME_S": "120", "HARBOR_PAGE_TIMEOUT_MS": "5000", "HARBOR_EMBEDDED_TOKEN_LIFETIME_S": "5"}
    )
    assert settings.token_max_lifetime_s == 120 and settings.page_timeout_ms == 5000
    assert settings.embedded_token_lifetime_s == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HARBOR_TOKEN_MAX_LIFETIME_S", "forever"),
        ("HARBOR_TOKEN_MAX_LIFETIME_S", "0"),
        ("HARBOR_TOKEN_EXPIRY_WAIT_MAX_S", "-1"),
        ("HARBOR_EMBEDDED_TOKEN_LIFETIME_S", "2.5"),
        ("HARBOR_PAGE_TIMEOUT_MS", "soon"),
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})
