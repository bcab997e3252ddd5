"""What every source's settings share.

* ``SourceChoice``: the ``[source]`` section names the source a run collects from by ``type``; each source
  subclasses it with ``type: Literal["<name>"]`` (and its own knobs, as the simulation has).
* ``SourceAccounts``: the ``[sources]`` section, one ``ApiSettings`` per real API (``[sources.<api>]``):
  credentials, base URL, timeouts and retries, request rate, concurrency and the monthly request budget.
  Credentials are ``SecretStr`` and come from the environment (``FLIGHTPIPE__SOURCES__<API>__<FIELD>``) or from
  AWS Secrets Manager (``secret_arn``); a secret written in the TOML file is refused, because that file lives in
  the repository.
"""

from __future__ import annotations

import ipaddress
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from flightpipe.core.settings_base import StrictModel


class SourceChoice(StrictModel):
    """The ``[source]`` section: which registered source a run uses (``type``)."""

    type: str


class SourceAccounts(StrictModel):
    """The ``[sources]`` section: one account per API; ``flightpipe.sources.settings.SourcesSettings`` adds a
    field for every registered source that has an account."""

    def by_name(self, name: str) -> ApiSettings:
        account = getattr(self, name, None)
        if not isinstance(account, ApiSettings):
            raise KeyError(f"no API account {name!r}; known: {', '.join(type(self).model_fields)}")
        return account


class ApiSettings(StrictModel):
    """What every API account has: endpoint, timeouts, retries, rate, concurrency, budget."""

    base_url: str
    secret_arn: str | None = Field(
        default=None,
        description="AWS Secrets Manager secret holding the credentials (a JSON object with the credential "
        "field names as keys, or the bare key for single-key APIs); used for credentials the environment lacks.",
    )
    timeout_s: float = Field(default=30.0, gt=0, le=600, description="Per-request timeout (connect and read).")
    max_attempts: int = Field(default=5, ge=1, le=20, description="Attempts per request, the first included.")
    backoff_initial_s: float = Field(default=1.0, ge=0, le=600, description="First retry wait (doubles each time).")
    backoff_max_s: float = Field(default=60.0, ge=0, le=3600, description="Longest wait between two attempts.")
    max_retry_after_s: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        description="Longest Retry-After the client waits for; a longer one ends the board with an error.",
    )
    requests_per_second: float = Field(default=1.0, gt=0, le=100, description="Request starts per second.")
    max_concurrency: int = Field(default=2, ge=1, le=32, description="Requests in flight at once.")
    monthly_budget: int | None = Field(
        default=None,
        ge=0,
        description="Requests allowed per calendar month (UTC); runs that would exceed it are refused.",
    )

    #: The fields holding secrets (never printed, never accepted from the TOML file).
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _https_unless_allowed(self) -> ApiSettings:
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if parts.scheme == "http" and not self._plain_http_allowed() and not is_loopback(parts.hostname):
            raise ValueError(
                f"base_url {self.base_url!r} is plain HTTP: credentials would travel unencrypted; use https"
                + (" (or set allow_http = true if your plan has no HTTPS)" if _has_allow_http(self) else "")
            )
        return self

    def _plain_http_allowed(self) -> bool:
        return False

    def credential_fields(self) -> dict[str, str | None]:
        """Every credential field and its value (secrets revealed): for building clients, never for printing."""
        return {}


def _has_allow_http(account: ApiSettings) -> bool:
    return "allow_http" in type(account).model_fields


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reveal(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
