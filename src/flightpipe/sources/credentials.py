"""API credentials: from the environment (already in the settings) or from AWS Secrets Manager.

A credential the environment lacks is read from the account's ``secret_arn`` when one is configured: the
secret is either a JSON object whose keys are the credential field names (``{"client_id": ..., "client_secret":
...}``) or, for an API with a single key, the bare key. Reading, caching and the region come from the one secret
resolver (``flightpipe.core.secrets``); every value is registered with ``flightpipe.core.redact`` the moment it is
known, so nothing logged, stored or raised afterwards can show it.
"""

from __future__ import annotations

from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import register_secret
from flightpipe.core.secrets import RESOLVER, SecretsClientFactory, forget_cached_secrets
from flightpipe.sources.account import ApiSettings

__all__ = ["SecretsClientFactory", "credential_status", "env_name", "forget_cached_secrets", "resolve_credentials"]


def env_name(api: str, field: str) -> str:
    return f"FLIGHTPIPE__SOURCES__{api.upper()}__{field.upper()}"


def resolve_credentials(
    api: str, account: ApiSettings, *, secrets_client: SecretsClientFactory | None = None
) -> dict[str, str]:
    """Every credential of ``account``, or a ConfigError naming what is missing and where to set it."""
    values = account.credential_fields()
    missing = [field for field, value in values.items() if not value]
    if missing and account.secret_arn:
        secret = RESOLVER.document(account.secret_arn, secrets_client=secrets_client)
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
    if not values:
        return "not needed"
    missing = [field for field, value in values.items() if not value]
    if not missing:
        return "set (environment)"
    if account.secret_arn:
        if len(missing) == len(values):
            return "from AWS Secrets Manager (secret_arn)"
        return "partly environment, the rest from AWS Secrets Manager (secret_arn)"
    return "missing: " + ", ".join(env_name(api, f) for f in missing)


def _fields_from_secret(
    api: str, secret: dict[str, object] | str, missing: list[str], *, single: bool
) -> dict[str, str]:
    if isinstance(secret, dict):
        found = {field: value for field in missing if isinstance(value := secret.get(field), str) and value}
    elif single:
        found = {missing[0]: secret.strip()}
    else:
        raise ConfigError(
            f"sources.{api}.secret_arn must hold a JSON object with the keys {', '.join(missing)}; it holds plain text"
        )
    for value in found.values():
        register_secret(value)
    return found
