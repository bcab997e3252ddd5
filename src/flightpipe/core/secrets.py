"""Warehouse passwords: from an environment variable or AWS Secrets Manager, never from the config file.

Whatever is found is registered with flightpipe.core.redact at once, so it is masked in every log line, error and
ledger entry from then on.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact, register_secret


def secret_from_secrets_manager(secret_arn: str, *, region: str | None = None, client: Any = None) -> dict[str, Any]:
    """The secret's JSON (``{"username", "password", ...}`` as RDS and Redshift store it), or
    ``{"password": text}`` for a plain-text secret."""
    if client is None:
        try:
            import boto3
        except ImportError:
            raise ConfigError("warehouse.secret_arn needs boto3: pip install 'flightpipe[aws]'") from None
        client = boto3.client("secretsmanager", region_name=region)
    try:
        text = client.get_secret_value(SecretId=secret_arn)["SecretString"]
    except Exception as exc:  # botocore's errors are many; all mean the same here
        raise ConfigError(f"cannot read warehouse.secret_arn {secret_arn}: {redact(str(exc))}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = {"password": text}
    if not isinstance(value, dict):
        value = {"password": str(value)}
    for key in ("password", "secret"):
        if isinstance(value.get(key), str):
            register_secret(value[key])
    return value


def postgres_password(password_env: str, secret_arn: str | None, *, region: str | None = None) -> str | None:
    """The password for PostgreSQL: Secrets Manager when ``secret_arn`` is set, else ``$password_env``."""
    if secret_arn:
        password = secret_from_secrets_manager(secret_arn, region=region).get("password")
        if not isinstance(password, str):
            raise ConfigError(f"warehouse.secret_arn {secret_arn} holds no 'password'")
        return password
    password = os.environ.get(password_env)
    register_secret(password)
    return password
