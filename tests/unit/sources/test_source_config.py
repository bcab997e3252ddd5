"""Source selection, API accounts, credentials from the environment or AWS Secrets Manager, never from a file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact
from flightpipe.sources.credentials import credential_status, forget_cached_secrets, resolve_credentials
from flightpipe.sources.settings import AviationstackSettings, OpenSkySettings

ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:flightpipe/opensky-AbCdEf"


def test_source_type_picks_the_api_and_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTPIPE__SOURCE__TYPE", "aviationstack")
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY", "env-key-0a1b2c3d")
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__AVIATIONSTACK__MONTHLY_BUDGET", "100")
    settings = load_settings()
    assert settings.source.type == "aviationstack" and not settings.is_simulated
    account = settings.sources.aviationstack
    assert account.credential_fields() == {"access_key": "env-key-0a1b2c3d"} and account.monthly_budget == 100
    assert "env-key-0a1b2c3d" not in repr(settings) and "env-key-0a1b2c3d" not in str(settings.model_dump())


def test_a_loaded_secret_is_registered_for_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__AERODATABOX__API_KEY", "rapid-key-99887766")
    load_settings()
    assert redact("header X-Thing: rapid-key-99887766") == "header X-Thing: ***REDACTED***"


def test_a_secret_written_in_the_config_file_is_refused_naming_where_it_belongs(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('[sources.aviationstack]\naccess_key = "abc123456"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(config)
    message = str(exc.value)
    assert "sources.aviationstack.access_key is a secret and must not be written in a config file" in message
    assert "FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY" in message and "abc123456" not in message


def test_limits_and_endpoints_may_be_set_in_the_file(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text(
        '[source]\ntype = "opensky"\n[sources.opensky]\nclient_id = "me-api-client"\nrequests_per_second = 0.5\n'
        "monthly_budget = 3000\n"
    )
    settings = load_settings(config)
    assert (settings.source.type, settings.sources.opensky.client_id, settings.sources.opensky.monthly_budget) == (
        "opensky",
        "me-api-client",
        3000,
    )


def test_the_simulated_source_keeps_its_options_without_naming_its_type(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text("[source]\nscale = 0.5\n")
    assert load_settings(config).source.type == "simulated"


def test_an_option_of_another_source_type_is_an_unknown_key(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('[source]\ntype = "aviationstack"\nseed = 3\n')
    with pytest.raises(ConfigError, match="source.seed: unknown key; allowed here: type"):
        load_settings(config)


def test_plain_http_is_refused_unless_the_plan_needs_it() -> None:
    with pytest.raises(ValueError, match="plain HTTP: credentials would travel unencrypted.*allow_http = true"):
        AviationstackSettings(base_url="http://api.aviationstack.com/v1")
    assert AviationstackSettings(base_url="http://api.aviationstack.com/v1", allow_http=True).allow_http
    with pytest.raises(ValueError, match="token_url must be an https URL"):
        OpenSkySettings(token_url="http://auth.example.org/token")


def test_plain_http_from_the_environment_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__AERODATABOX__BASE_URL", "http://aerodatabox.example.com")
    with pytest.raises(ConfigError, match="sources.aerodatabox: .*plain HTTP"):
        load_settings()


def test_missing_credentials_say_which_variable_to_set() -> None:
    with pytest.raises(
        ConfigError,
        match="opensky needs credentials: set FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_ID and "
        "FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_SECRET in the environment, or set sources.opensky.secret_arn",
    ):
        resolve_credentials("opensky", OpenSkySettings())


def test_credential_status_never_shows_a_value() -> None:
    account = AviationstackSettings(access_key="visible-if-broken-123")  # type: ignore[arg-type]
    assert credential_status("aviationstack", account) == "set (environment)"
    assert credential_status("opensky", OpenSkySettings(secret_arn=ARN)) == "from AWS Secrets Manager (secret_arn)"


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    import moto  # the dev extra: a missing moto must fail the test, not skip it

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    forget_cached_secrets()
    with moto.mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-central-1")
    forget_cached_secrets()


def test_credentials_missing_from_the_environment_are_read_from_secrets_manager(secrets_manager: Any) -> None:
    arn = secrets_manager.create_secret(
        Name="flightpipe/opensky", SecretString=json.dumps({"client_id": "sm-client", "client_secret": "sm-secret-42x"})
    )["ARN"]
    credentials = resolve_credentials("opensky", OpenSkySettings(secret_arn=arn))
    assert credentials == {"client_id": "sm-client", "client_secret": "sm-secret-42x"}
    assert redact("sm-secret-42x") == "***REDACTED***"


def test_a_single_key_secret_may_be_the_bare_value(secrets_manager: Any) -> None:
    arn = secrets_manager.create_secret(Name="flightpipe/avs", SecretString="bare-key-7777")["ARN"]
    assert resolve_credentials("aviationstack", AviationstackSettings(secret_arn=arn)) == {
        "access_key": "bare-key-7777"
    }


def test_the_environment_wins_over_secrets_manager(secrets_manager: Any) -> None:
    arn = secrets_manager.create_secret(Name="flightpipe/avs2", SecretString="from-aws-1234")["ARN"]
    account = AviationstackSettings(access_key="from-env-5678", secret_arn=arn)  # type: ignore[arg-type]
    assert resolve_credentials("aviationstack", account) == {"access_key": "from-env-5678"}


def test_an_unreadable_secret_is_a_config_error_naming_the_arn(secrets_manager: Any) -> None:
    missing = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:nope-XyZ123"
    with pytest.raises(ConfigError, match=f"cannot read secret {missing} from AWS Secrets Manager"):
        resolve_credentials("aviationstack", AviationstackSettings(secret_arn=missing))
