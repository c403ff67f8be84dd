import re
from pathlib import Path

import pytest

from fixtures.config import SETTING_NAMES, SettingsError, load_settings


def test_defaults_use_the_embedded_harbor() -> None:
    settings = load_settings({})
    assert settings.uses_embedded_harbor
    assert settings.version == "2.0.0" and settings.latency_budget_ms == 2000


def test_environment_wins_over_dotenv(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("HARBOR_VERSION=1.9.3\nHARBOR_LATENCY_BUDGET_MS=1500\n")
    settings = load_settings({"HARBOR_VERSION": "2.0.0"}, dotenv)
    assert settings.version == "2.0.0" and settings.latency_budget_ms == 1500


@pytest.mark.parametrize("missing", ["HARBOR_USERNAME", "HARBOR_PASSWORD"])
def test_real_deployment_needs_credentials_named_in_the_error(missing: str) -> None:
    environ = {"HARBOR_BASE_URL": "https://harbor.example.com", "HARBOR_USERNAME": "qa", "HARBOR_PASSWORD": "pw"}
    del environ[missing]
    with pytest.raises(SettingsError, match=missing):
        load_settings(environ)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HARBOR_BASE_URL", "harbor.example.com"),
        ("HARBOR_LATENCY_BUDGET_MS", "fast"),
        ("HARBOR_LATENCY_BUDGET_MS", "-1"),
        ("HARBOR_REPEAT", "0"),
        ("HARBOR_REPEAT", "2.5"),
        ("HARBOR_DEGRADED_MIN_INCREASE_MS", "-5"),
    ],
)
def test_malformed_settings_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:8799 /x", "http://h.example:port"],
)
def test_urls_python_cannot_use_are_refused_by_name(url: str) -> None:
    real = {"HARBOR_USERNAME": "qa", "HARBOR_PASSWORD": "pw"}
    with pytest.raises(SettingsError, match="^HARBOR_BASE_URL "):
        load_settings({**real, "HARBOR_BASE_URL": url})
    with pytest.raises(SettingsError, match="^HARBOR_ENVIRONMENTS: dev's URL "):
        load_settings({**real, "HARBOR_ENVIRONMENTS": f"dev={url}"})
    with pytest.raises(SettingsError, match="^HARBOR_METRICS_URL "):
        load_settings({"HARBOR_METRICS_URL": url})


def test_a_refused_url_is_repeated_without_its_credentials() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"HARBOR_BASE_URL": "htps://qa:s3cret-pass@harbor", "HARBOR_USERNAME": "qa", "HARBOR_PASSWORD": "p"})
    assert "s3cret-pass" not in str(refused.value) and "htps://[REDACTED]@harbor" in str(refused.value)
    with pytest.raises(SettingsError) as refused:
        load_settings({"HARBOR_METRICS_URL": "https://m.example:99999/metrics?token=tok-s3cret"})
    assert "tok-s3cret" not in str(refused.value) and "/metrics?[REDACTED]'" in str(refused.value)


@pytest.mark.parametrize("name", ["HARBOR_USERNAME", "HARBOR_PASSWORD"])
def test_credentials_without_a_base_url_are_refused_rather_than_used_on_the_embedded_harbor(name: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name} is set but HARBOR_BASE_URL is not: set HARBOR_BASE_URL"):
        load_settings({name: "qa-bot"})


def test_an_embedded_environment_signs_in_with_its_own_account() -> None:
    settings = load_settings({"HARBOR_ENVIRONMENTS": "dev=embedded", "HARBOR_USERNAME": "qa", "HARBOR_PASSWORD": "pw"})
    assert settings.environments[0].username is None and settings.environments[0].password is None
    with pytest.raises(SettingsError, match="^HARBOR_DEV_PASSWORD is set, but dev is an embedded reference Harbor"):
        load_settings({"HARBOR_ENVIRONMENTS": "dev=embedded", "HARBOR_DEV_PASSWORD": "pw"})


def test_reference_faults_come_from_dotenv_too_and_only_for_the_embedded_harbor(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("HARBOR_REFERENCE_FAULTS=legacy-download-service, slow-token=2.5\n")
    assert load_settings({}, dotenv).environments[0].reference_faults == ("legacy-download-service", "slow-token=2.5")
    with pytest.raises(SettingsError, match="^HARBOR_REFERENCE_FAULTS: unknown fault 'legacy';.*\\(set in .env\\)$"):
        dotenv.write_text("HARBOR_REFERENCE_FAULTS=legacy\n")
        load_settings({}, dotenv)
    with pytest.raises(SettingsError, match="^HARBOR_REFERENCE_FAULTS only applies to the embedded reference Harbor"):
        load_settings({"HARBOR_REFERENCE_FAULTS": "stream-down", "HARBOR_BASE_URL": "https://h.example",
                       "HARBOR_USERNAME": "u", "HARBOR_PASSWORD": "p"})
    with pytest.raises(SettingsError, match="^HARBOR_REFERENCE_FAULTS does not go with HARBOR_ENVIRONMENTS"):
        load_settings({"HARBOR_REFERENCE_FAULTS": "stream-down", "HARBOR_ENVIRONMENTS": "dev=embedded"})


def test_an_unknown_name_in_dotenv_is_refused_with_the_likely_one(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("HARBOR_URL=http://127.0.0.1:8799\n")
    with pytest.raises(SettingsError, match=r"^HARBOR_URL in .env is not a setting of this suite \(did you mean HARBOR_BASE_URL\?\)"):
        load_settings({}, dotenv)
    dotenv.write_text("HARBOR_PROD_PASSWORD=pw\n")
    with pytest.raises(SettingsError, match="an account of an environment 'prod', which HARBOR_ENVIRONMENTS does not name"):
        load_settings({}, dotenv)


def test_an_unknown_name_in_the_environment_is_a_notice() -> None:
    # Other tools use HARBOR_* names too (a container registry's CLI): said, not refused.
    settings = load_settings({"HARBOR_URL": "https://registry.example", "HARBOR_VERSON": "2.0.0", "HARBOR_EMPTY": ""})
    assert settings.notices == (
        "HARBOR_URL is set in the environment but is not a setting of this suite (did you mean HARBOR_BASE_URL?); ignored",
        "HARBOR_VERSON is set in the environment but is not a setting of this suite (did you mean HARBOR_VERSION?); ignored",
    )
    assert load_settings({"HARBOR_ENVIRONMENTS": "prod=embedded", "HARBOR_VERSION": "2.0.0"}).notices == ()


def test_a_bad_value_says_where_it_came_from_when_that_may_surprise(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("HARBOR_LATENCY_BUDGET_MS=2000\n")
    with pytest.raises(SettingsError, match=r"got 'fast' \(from the environment, which wins over .env\)$"):
        load_settings({"HARBOR_LATENCY_BUDGET_MS": "fast"}, dotenv)
    dotenv.write_text("HARBOR_LATENCY_BUDGET_MS=2s\n")
    with pytest.raises(SettingsError, match=r"got '2s' \(set in .env\)$"):
        load_settings({}, dotenv)
    with pytest.raises(SettingsError, match=r"got 'fast'$"):
        load_settings({"HARBOR_LATENCY_BUDGET_MS": "fast"})


def test_degraded_needs_100_ms_more_by_default_and_0_turns_that_off() -> None:
    assert load_settings({}).degraded_min_increase_ms == 100
    assert load_settings({"HARBOR_DEGRADED_MIN_INCREASE_MS": "0"}).degraded_min_increase_ms == 0
    with pytest.raises(SettingsError, match="HARBOR_DEGRADED_MIN_INCREASE_MS must be 0 or a positive number of ms"):
        load_settings({"HARBOR_DEGRADED_MIN_INCREASE_MS": "-1"})


def test_base_url_trailing_slash_is_dropped() -> None:
    settings = load_settings({"HARBOR_BASE_URL": "https://h.example/", "HARBOR_USERNAME": "u", "HARBOR_PASSWORD": "p"})
    assert settings.base_url == "https://h.example"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="HARBOR_LATENCY_BUDGET_MS"):
        load_settings({"HARBOR_LATENCY_BUDGET_MS": value})


def test_password_stays_out_of_the_settings_repr() -> None:
    settings = load_settings({"HARBOR_BASE_URL": "https://h.example", "HARBOR_USERNAME": "u", "HARBOR_PASSWORD": "pw123"})
    assert "pw123" not in repr(settings)


def test_dotenv_is_ignored_when_asked(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("HARBOR_BASE_URL=https://prod.example\nHARBOR_USERNAME=u\nHARBOR_PASSWORD=p\n")
    assert load_settings({}, dotenv).base_url == "https://prod.example"
    assert load_settings({"HARBOR_IGNORE_DOTENV": "1"}, dotenv).uses_embedded_harbor


def test_repeat_defaults_to_more_clicks_on_the_embedded_harbor_than_on_a_real_one() -> None:
    real = {"HARBOR_BASE_URL": "https://h.example", "HARBOR_USERNAME": "u", "HARBOR_PASSWORD": "p"}
    assert load_settings({}).repeat == 5 and load_settings(real).repeat == 3
    assert load_settings({**real, "HARBOR_REPEAT": "7"}).repeat == 7


def test_environments_name_each_harbor_with_its_own_credentials() -> None:
    settings = load_settings(
        {
            "HARBOR_ENVIRONMENTS": "dev=https://dev.example/, prod=https://harbor.example",
            "HARBOR_DEV_USERNAME": "qa-dev",
            "HARBOR_DEV_PASSWORD": "pw-dev",
            "HARBOR_USERNAME": "qa",
            "HARBOR_PASSWORD": "pw",
        }
    )
    dev, prod = settings.environments
    assert (dev.name, dev.base_url, dev.username, dev.password) == ("dev", "https://dev.example", "qa-dev", "pw-dev")
    assert (prod.name, prod.base_url, prod.username, prod.password) == ("prod", "https://harbor.example", "qa", "pw")
    assert settings.compares_environments and not settings.uses_embedded_harbor and settings.repeat == 3
    assert "pw-dev" not in repr(settings)


def test_embedded_environments_take_reference_faults() -> None:
    settings = load_settings({"HARBOR_ENVIRONMENTS": "healthy=embedded,faulty=embedded:slow-token=2.5+stream-down"})
    healthy, faulty = settings.environments
    assert healthy.embedded and healthy.reference_faults == ()
    assert faulty.embedded and faulty.reference_faults == ("slow-token=2.5", "stream-down")
    assert settings.uses_embedded_harbor and settings.repeat == 5


def test_one_harbor_is_the_default_environment() -> None:
    (only,) = load_settings({}).environments
    assert only.name == "default" and only.embedded


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"HARBOR_ENVIRONMENTS": "dev"}, "HARBOR_ENVIRONMENTS"),
        ({"HARBOR_ENVIRONMENTS": "Dev=embedded"}, "HARBOR_ENVIRONMENTS"),
        ({"HARBOR_ENVIRONMENTS": "dev=embedded,dev=embedded"}, "twice"),
        ({"HARBOR_ENVIRONMENTS": "dev=ftp://x"}, "HARBOR_ENVIRONMENTS"),
        ({"HARBOR_ENVIRONMENTS": "dev=embedded:no-such-fault"}, "no-such-fault"),
        ({"HARBOR_ENVIRONMENTS": "prod=https://harbor.example"}, "HARBOR_PROD_USERNAME"),
        ({"HARBOR_ENVIRONMENTS": "dev=embedded", "HARBOR_BASE_URL": "https://h.example", "HARBOR_USERNAME": "u",
          "HARBOR_PASSWORD": "p"}, "not both"),
    ],
)
def test_bad_environments_are_refused_with_what_to_fix(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)


def test_every_name_in_the_env_example_is_a_setting() -> None:
    # Else copying .env.example to .env would be refused (an unknown HARBOR_* name in .env is a typo).
    example = Path(__file__).resolve().parents[3] / ".env.example"
    names = set(re.findall(r"^#?\s*(HARBOR_[A-Z0-9_]+)=", example.read_text(), re.M))
    accounts = {name for name in names if re.fullmatch(r"HARBOR_PROD_(USERNAME|PASSWORD)", name)}
    assert names - accounts <= SETTING_NAMES, names - accounts - SETTING_NAMES
    assert SETTING_NAMES - names <= {"HARBOR_IGNORE_DOTENV"}, SETTING_NAMES - names
