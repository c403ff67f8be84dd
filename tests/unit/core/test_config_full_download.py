"""The settings of full-download mode and of the server-memory check."""

from __future__ import annotations

import pytest

from fixtures.config import SettingsError, load_settings


def test_defaults_leave_full_downloads_off() -> None:
    settings = load_settings({})
    assert settings.full_download is False and settings.full_download_dir is None
    assert settings.full_download_min_mib_s == 2 and settings.memory_growth_max_mib == 64
    assert settings.metrics_url is None


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False)])
def test_full_download_switch(value: str, on: bool) -> None:
    assert load_settings({"HARBOR_FULL_DOWNLOAD": value}).full_download is on


def test_values_are_read() -> None:
    settings = load_settings(
        {
            "HARBOR_FULL_DOWNLOAD_DIR": "/mnt/big",
            "HARBOR_FULL_DOWNLOAD_MIN_MIB_S": "0.5",
            "HARBOR_METRICS_URL": "https://metrics.example.com/harbor/metrics",
            "HARBOR_MEMORY_GROWTH_MAX_MIB": "128",
        }
    )
    assert settings.full_download_dir == "/mnt/big" and settings.full_download_min_mib_s == 0.5
    assert settings.metrics_url == "https://metrics.example.com/harbor/metrics"
    assert settings.memory_growth_max_mib == 128


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HARBOR_FULL_DOWNLOAD", "maybe"),
        ("HARBOR_FULL_DOWNLOAD_MIN_MIB_S", "0"),
        ("HARBOR_MEMORY_GROWTH_MAX_MIB", "lots"),
        ("HARBOR_METRICS_URL", "metrics.example.com:9100"),
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_metrics_url_credentials_stay_out_of_messages_and_repr() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"HARBOR_METRICS_URL": "ftp://scraper:s3cret-pass@metrics.example.com/"})
    assert "s3cret-pass" not in str(refused.value)
    settings = load_settings({"HARBOR_METRICS_URL": "https://scraper:s3cret-pass@metrics.example.com/metrics"})
    assert "s3cret-pass" not in repr(settings)
