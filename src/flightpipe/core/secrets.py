"""One resolver for every credential: a secret *reference* is an environment variable or a Secrets Manager ARN.

* ``FLIGHTS_DB_PASSWORD`` (a name): the variable's value, or None when it is unset.
* ``arn:aws:secretsmanager:<region>:<account>:secret:<name>``: the secret's ``SecretString``, read with a client
  for the region the ARN names (one region rule: the ARN's, never the machine's default).

A reference may name one key of a JSON object (``field``): ``{"username": ..., "password": ...}`` as RDS and
Redshift store it, or ``{"client_id": ..., "client_secret": ...}``. One cache policy: a secret read from AWS is
kept for ``CACHE_TTL_S`` per ARN, so a run does not call AWS per board and a rotation is picked up within
minutes, also by a warm Lambda container; environment variables are read afresh every time (they cost
nothing). Every value resolved is registered with ``flightpipe.core.redact`` at once, and errors name the
reference, never the value. boto3 is imported only when a secret is actually read (the ``aws`` extra).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact, register_secret

#: Builds a Secrets Manager client for a region (injectable for tests; boto3 by default).
SecretsClientFactory = Callable[[str], Any]

#: How long a secret read from AWS is reused before it is read again.
CACHE_TTL_S = 600.0

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class SecretReference:
    """Where a secret lives: ``location`` (an environment variable name or a Secrets Manager ARN), and
    optionally the key of the JSON object stored there."""

    location: str
    field: str | None = None

    def __post_init__(self) -> None:
        if not self.is_arn and not _ENV_NAME.match(self.location):
            raise ConfigError(
                f"secret reference {self.location!r} is neither an environment variable name nor a Secrets "
                "Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)"
            )
        if self.is_arn:
            self.region  # noqa: B018 - validates the ARN as the reference is made

    @property
    def is_arn(self) -> bool:
        return self.location.startswith("arn:")

    @property
    def region(self) -> str:
        """The region of a Secrets Manager ARN (ConfigError for anything else)."""
        parts = self.location.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "secretsmanager" or not parts[3]:
            raise ConfigError(
                f"secret_arn {self.location!r} is not a Secrets Manager ARN "
                "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)"
            )
        return parts[3]

    def __str__(self) -> str:
        where = f"secret {self.location}" if self.is_arn else f"environment variable {self.location}"
        return where if self.field is None else f"{where} (key {self.field!r})"


class SecretResolver:
    """Resolves references; caches what it reads from AWS for ``ttl_s`` (thread-safe)."""

    def __init__(
        self,
        *,
        ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        secrets_client: SecretsClientFactory | None = None,
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._secrets_client = secrets_client
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def resolve(
        self, reference: SecretReference | str, *, secrets_client: SecretsClientFactory | None = None
    ) -> str | None:
        """The value (None: an environment variable that is not set); with ``field``, that key's value."""
        ref = reference if isinstance(reference, SecretReference) else SecretReference(reference)
        if ref.is_arn:
            text: str | None = self.read(ref.location, secrets_client=secrets_client)
        else:
            text = os.environ.get(ref.location) or None
            register_secret(text)
        if text is None or ref.field is None:
            return text
        document = _json_object(text)
        if document is None:
            raise ConfigError(f"{ref} must hold a JSON object with the key {ref.field!r}; it holds plain text")
        value = document.get(ref.field)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{ref}: the JSON object has no text under {ref.field!r}")
        register_secret(value)
        return value

    def document(self, arn: str, *, secrets_client: SecretsClientFactory | None = None) -> dict[str, Any] | str:
        """A Secrets Manager secret as its JSON object, or its plain text when it is no JSON object. The caller
        registers the values it takes for redaction (a user name beside a password is no secret)."""
        text = self.read(arn, secrets_client=secrets_client)
        document = _json_object(text)
        return text if document is None else document

    def read(self, arn: str, *, secrets_client: SecretsClientFactory | None = None) -> str:
        """The ``SecretString`` of ``arn``, from the cache while it is fresh."""
        region = SecretReference(arn).region
        now = self._clock()
        with self._lock:
            cached = self._cache.get(arn)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        client = (secrets_client or self._secrets_client or _boto3_client)(region)
        try:
            answer = client.get_secret_value(SecretId=arn)
        except Exception as exc:  # noqa: BLE001 - botocore's errors are many; the message says which and why
            raise ConfigError(f"cannot read secret {arn} from AWS Secrets Manager: {redact(str(exc))}") from None
        value = answer.get("SecretString")
        if not isinstance(value, str) or not value:
            raise ConfigError(f"secret {arn} has no SecretString (binary secrets are not supported)")
        register_secret(value)
        with self._lock:
            self._cache[arn] = (now, value)
        return value

    def forget(self) -> None:
        """Drop every cached secret (tests, and a process that knows a secret was rotated)."""
        with self._lock:
            self._cache.clear()


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _boto3_client(region: str) -> Any:
    try:
        import boto3
    except ImportError:
        raise ConfigError(
            "reading a secret from AWS Secrets Manager needs boto3: install flightpipe with the aws extra "
            "(pip install 'flightpipe[aws]')"
        ) from None
    return boto3.client("secretsmanager", region_name=region)


#: The process's resolver: source credentials and warehouse passwords share its cache.
RESOLVER = SecretResolver()


def resolve_secret(
    reference: SecretReference | str, *, secrets_client: SecretsClientFactory | None = None
) -> str | None:
    return RESOLVER.resolve(reference, secrets_client=secrets_client)


def forget_cached_secrets() -> None:
    RESOLVER.forget()


# The warehouse's readers ----------------------------------------------------------------------------------------


def secret_from_secrets_manager(secret_arn: str, *, client: Any = None) -> dict[str, Any]:
    """The secret's JSON (``{"username", "password", ...}`` as RDS and Redshift store it), or
    ``{"password": text}`` for a plain-text secret."""
    document = RESOLVER.document(secret_arn, secrets_client=None if client is None else (lambda region: client))
    value = document if isinstance(document, dict) else {"password": document}
    for key in ("password", "secret"):
        if isinstance(value.get(key), str):
            register_secret(value[key])
    return value


def postgres_password(password_env: str, secret_arn: str | None) -> str | None:
    """The password for PostgreSQL: Secrets Manager when ``secret_arn`` is set, else ``$password_env``."""
    if secret_arn:
        password = secret_from_secrets_manager(secret_arn).get("password")
        if not isinstance(password, str):
            raise ConfigError(f"warehouse.secret_arn {secret_arn} holds no 'password'")
        return password
    return resolve_secret(SecretReference(password_env))
