"""API credentials: from the environment (already in the settings) or from AWS Secrets Manager.

A credential the environment lacks is read from the account's ``secret_arn`` when one is configured: the
secret is either a JSON object whose keys are the credential field names (``{"client_id": ..., "client_secret":
...}``) or, for an API with a single key, the bare key. Every value is registered with ``flightpipe.core.redact`` the
moment it is known, so nothing logged, stored or raised afterwards can show it. boto3 is imported only when a
secret is actually read (the ``aws`` extra).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact, register_secret
from flightpipe.sources.settings import ApiSettings

#: Builds a Secrets Manager client for a region (injectable for tests; boto3 by default).
SecretsClientFactory = Callable[[str], Any]

_cache: dict[str, str] = {}
_cache_lock = threading.Lock()


def env_name(api: str, field: str) -> str:
    return f"FLIGHTPIPE__SOURCES__{api.upper()}__{field.upper()}"


def resolve_credentials(
    api: str, account: ApiSettings, *, secrets_client: SecretsClientFactory | None = None
) -> dict[str, str]:
    """Every credential of ``account``, or a ConfigError naming what is missing and where to set it."""
    values = account.credential_fields()
    missing = [field for field, value in values.items() if not value]
    if missing and account.secret_arn:
        secret = _read_secret(account.secret_arn, secrets_client)
        values.update(_fields_from_secret(api, secret, missing, single=len(values) == 1))
        missing = [field for field, value in values.items() if not value]
    if missing:
        where = " and ".join(env_name(api, f) for f in missing)
        arn_hint = (
            f" (the secret {account.secret_arn} has no {', '.join(missing)})"
            if account.secret_arn
            else f", or set sources.{api}.secret_arn to read them from AWS Secrets Manager"
        )
        raise ConfigError(f"{api} needs credentials: set {where} in the environment{arn_hint}")
    resolved = {field: value for field, value in values.items() if value}
    for value in resolved.values():
        register_secret(value)
    return resolved


def credential_status(api: str, account: ApiSettings) -> str:
    """Whether the credentials are there, in words; never the values, and without calling AWS."""
    values = account.credential_fields()
    missing = [field for field, value in values.items() if not value]
    if not missing:
        return "set (environment)"
    if account.secret_arn:
        if len(missing) == len(values):
            return "from AWS Secrets Manager (secret_arn)"
        return "partly environment, the rest from AWS Secrets Manager (secret_arn)"
    return "missing: " + ", ".join(env_name(api, f) for f in missing)


def _fields_from_secret(api: str, secret: str, missing: list[str], *, single: bool) -> dict[str, str]:
    try:
        parsed = json.loads(secret)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        found = {field: parsed[field] for field in missing if isinstance(parsed.get(field), str) and parsed[field]}
    elif single:
        found = {missing[0]: secret.strip()}
    else:
        raise ConfigError(
            f"sources.{api}.secret_arn must hold a JSON object with the keys {', '.join(missing)}; it holds plain text"
        )
    for value in found.values():
        register_secret(value)
    return found


def _read_secret(arn: str, secrets_client: SecretsClientFactory | None) -> str:
    with _cache_lock:
        if arn in _cache:
            return _cache[arn]
    client = (secrets_client or _boto3_client)(_region_of(arn))
    try:
        answer = client.get_secret_value(SecretId=arn)
    except Exception as exc:  # noqa: BLE001 - botocore's errors; the message says which secret and why
        raise ConfigError(f"cannot read secret {arn} from AWS Secrets Manager: {redact(str(exc))}") from None
    value = answer.get("SecretString")
    if not isinstance(value, str) or not value:
        raise ConfigError(f"secret {arn} has no SecretString (binary secrets are not supported)")
    register_secret(value)
    with _cache_lock:
        _cache[arn] = value
    return value


def _region_of(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "secretsmanager" or not parts[3]:
        raise ConfigError(
            f"secret_arn {arn!r} is not a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)"
        )
    return parts[3]


def _boto3_client(region: str) -> Any:
    try:
        import boto3
    except ImportError:
        raise ConfigError(
            "reading a secret_arn needs boto3: install flightpipe with the aws extra (pip install 'flightpipe[aws]')"
        ) from None
    return boto3.client("secretsmanager", region_name=region)


def forget_cached_secrets() -> None:
    """Drop cached secrets (tests, and long-lived processes after a rotation)."""
    with _cache_lock:
        _cache.clear()
