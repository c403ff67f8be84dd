"""HARBOR_BROWSER_WS: what is sent to the browser server and how its URL is shown."""

import json

from fixtures.browser import remote_launch_options, shown_ws_url


def test_local_launch_arguments_are_sent_in_the_servers_names() -> None:
    header = remote_launch_options(
        {"headless": True, "args": ["--no-first-run", "--no-sandbox"], "executable_path": "/usr/bin/chromium", "slow_mo": None}
    )
    assert json.loads(header) == {
        "headless": True, "args": ["--no-first-run", "--no-sandbox"], "executablePath": "/usr/bin/chromium"
    }


def test_playwrights_own_chromium_sends_no_executable() -> None:
    assert "executablePath" not in json.loads(remote_launch_options({"headless": True, "args": []}))


def test_the_url_is_shown_without_its_query_or_user_info() -> None:
    assert shown_ws_url("ws://127.0.0.1:3000/") == "ws://127.0.0.1:3000/"
    shown = shown_ws_url("wss://user:pw1@browsers.example.com/pw?token=s3cret&x=1")
    assert shown == "wss://browsers.example.com/pw?[REDACTED]"
