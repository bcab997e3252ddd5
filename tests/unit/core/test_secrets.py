"""The one secret resolver: environment variables and Secrets Manager ARNs, one cache, the ARN's region."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact
from flightpipe.core.secrets import SecretReference, SecretResolver, postgres_password, secret_from_secrets_manager

REGION = "ap-southeast-2"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    import moto  # the dev extra: a missing moto must fail the test, not skip it

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # not the secret's region: the ARN's must win
    with moto.mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


class Clients:
    """A client factory that records the regions asked for and counts reads."""

    def __init__(self) -> None:
        self.regions: list[str] = []

    def __call__(self, region: str) -> Any:
        import boto3

        self.regions.append(region)
        return boto3.client("secretsmanager", region_name=region)


def test_an_environment_variable_reference_is_its_value_and_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTS_TEST_TOKEN", "env-token-5a6b7c")
    assert SecretResolver().resolve("FLIGHTS_TEST_TOKEN") == "env-token-5a6b7c"
    assert redact("sent env-token-5a6b7c") == "sent ***REDACTED***"


def test_an_unset_environment_variable_resolves_to_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLIGHTS_TEST_UNSET", raising=False)
    assert SecretResolver().resolve("FLIGHTS_TEST_UNSET") is None


def test_a_field_of_a_json_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTS_TEST_JSON", json.dumps({"user": "me", "password": "env-pass-8d9e"}))
    assert SecretResolver().resolve(SecretReference("FLIGHTS_TEST_JSON", "password")) == "env-pass-8d9e"


def test_an_arn_reference_is_the_secret_string_read_in_the_arns_region(aws: Any) -> None:
    arn = aws.create_secret(Name="flightpipe/plain", SecretString="arn-value-1f2e3d")["ARN"]
    clients = Clients()
    assert SecretResolver(secrets_client=clients).resolve(arn) == "arn-value-1f2e3d"
    assert clients.regions == [REGION]
    assert redact("got arn-value-1f2e3d") == "got ***REDACTED***"


def test_a_field_of_a_json_secret_is_that_keys_value_and_is_registered(aws: Any) -> None:
    text = json.dumps({"username": "loader", "password": "arn-pass-4c5d6e"})
    arn = aws.create_secret(Name="flightpipe/json", SecretString=text)["ARN"]
    assert SecretResolver().resolve(SecretReference(arn, "password")) == "arn-pass-4c5d6e"
    assert redact("auth arn-pass-4c5d6e") == "auth ***REDACTED***"


def test_a_secret_is_read_once_while_fresh_and_again_after_the_cache_time(aws: Any) -> None:
    arn = aws.create_secret(Name="flightpipe/cached", SecretString="first-value-0001")["ARN"]
    clients, clock = Clients(), Clock()
    resolver = SecretResolver(secrets_client=clients, clock=clock, ttl_s=600)
    assert resolver.resolve(arn) == "first-value-0001"
    aws.put_secret_value(SecretId=arn, SecretString="second-value-0002")  # rotated
    clock.now += 599
    assert (resolver.resolve(arn), len(clients.regions)) == ("first-value-0001", 1)
    clock.now += 1
    assert (resolver.resolve(arn), len(clients.regions)) == ("second-value-0002", 2)


def test_forgetting_the_cache_reads_the_secret_again(aws: Any) -> None:
    arn = aws.create_secret(Name="flightpipe/forget", SecretString="before-rotation-1")["ARN"]
    resolver = SecretResolver()
    assert resolver.resolve(arn) == "before-rotation-1"
    aws.put_secret_value(SecretId=arn, SecretString="after-rotation-22")
    resolver.forget()
    assert resolver.resolve(arn) == "after-rotation-22"


def test_an_environment_variable_is_read_afresh_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = SecretResolver()
    monkeypatch.setenv("FLIGHTS_TEST_TOKEN", "one-token-1111")
    assert resolver.resolve("FLIGHTS_TEST_TOKEN") == "one-token-1111"
    monkeypatch.setenv("FLIGHTS_TEST_TOKEN", "two-token-2222")
    assert resolver.resolve("FLIGHTS_TEST_TOKEN") == "two-token-2222"


def test_a_missing_key_names_the_secret_and_the_key_never_the_value(aws: Any) -> None:
    arn = aws.create_secret(Name="flightpipe/nokey", SecretString=json.dumps({"user": "hidden-value-77"}))["ARN"]
    with pytest.raises(ConfigError) as raised:
        SecretResolver().resolve(SecretReference(arn, "password"))
    assert str(raised.value) == f"secret {arn} (key 'password'): the JSON object has no text under 'password'"


def test_a_field_of_a_plain_text_secret_is_an_error_that_does_not_show_it(aws: Any) -> None:
    arn = aws.create_secret(Name="flightpipe/text", SecretString="plain-hidden-88")["ARN"]
    with pytest.raises(ConfigError) as raised:
        SecretResolver().resolve(SecretReference(arn, "password"))
    message = str(raised.value)
    assert (
        message == f"secret {arn} (key 'password') must hold a JSON object with the key 'password'; it holds plain text"
    )
    assert "plain-hidden-88" not in message


def test_an_unreadable_secret_names_the_arn(aws: Any) -> None:
    missing = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nope-XyZ123"
    with pytest.raises(ConfigError, match=f"^cannot read secret {missing} from AWS Secrets Manager: "):
        SecretResolver().resolve(missing)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (
            "arn:aws:s3:::bucket",
            "secret_arn 'arn:aws:s3:::bucket' is not a Secrets Manager ARN "
            "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
        ),
        (
            "not a name",
            "secret reference 'not a name' is neither an environment variable name nor a Secrets Manager ARN "
            "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
        ),
    ],
)
def test_a_reference_that_is_neither_is_refused_naming_it(reference: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        SecretReference(reference)
    assert str(raised.value) == message


def test_the_warehouse_reads_a_plain_text_secret_as_its_password(aws: Any) -> None:
    arn = aws.create_secret(Name="flightpipe/warehouse", SecretString="wh-pass-3b4c5d")["ARN"]
    assert secret_from_secrets_manager(arn) == {"password": "wh-pass-3b4c5d"}
    assert postgres_password("FLIGHTS_UNUSED_ENV", arn) == "wh-pass-3b4c5d"


def test_the_warehouse_password_names_the_secret_without_a_password(aws: Any) -> None:
    arn = aws.create_secret(Name="flightpipe/nopass", SecretString=json.dumps({"username": "loader"}))["ARN"]
    with pytest.raises(ConfigError, match=f"^warehouse.secret_arn {arn} holds no 'password'$"):
        postgres_password("FLIGHTS_UNUSED_ENV", arn)
    assert redact("user loader") == "user loader"  # a user name is no secret
