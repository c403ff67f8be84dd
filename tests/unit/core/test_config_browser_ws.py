"""HARBOR_BROWSER_WS: a remote Playwright browser server, validated before anything starts."""

import pytest

from fixtures.config import SettingsError, load_settings


def test_browser_ws_is_unset_by_default() -> None:
    assert load_settings({}).browser_ws is None


@pytest.mark.parametrize("url", ["ws://127.0.0.1:3000/", "wss://browsers.example.com/pw?token=abc"])
def test_browser_ws_accepts_ws_and_wss(url: str) -> None:
    assert load_settings({"HARBOR_BROWSER_WS": url}).browser_ws == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000/", "127.0.0.1:3000", "ws://", "ws://[::1/?token=s3cret-tok"])
def test_browser_ws_must_be_a_ws_url_named_in_one_line(url: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"HARBOR_BROWSER_WS": url})
    message = str(raised.value)
    assert message.startswith("HARBOR_BROWSER_WS must be a ws:// or wss:// URL") and "\n" not in message
    assert "s3cret-tok" not in message


def test_browser_ws_token_stays_out_of_the_settings_repr() -> None:
    settings = load_settings({"HARBOR_BROWSER_WS": "wss://browsers.example.com/pw?token=s3cret-tok"})
    assert "s3cret-tok" not in repr(settings)
