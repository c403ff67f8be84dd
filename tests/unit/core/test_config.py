import pytest

from fixtures.config import SettingsError, load_settings


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
    environ = {"HARBOR_USERNAME": "qa", "HARBOR_PASSWORD": "pw", name: value}
    with pytest.raises(SettingsError, match=name):
        load_settings(environ)


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
