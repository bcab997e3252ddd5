"""Settings of the real flight-data APIs: which one a run uses, and each API's account, endpoint and limits.

Two sections, two jobs:

* ``[source]`` picks what a run collects from: ``type = "simulated" | "aviationstack" | "aerodatabox" |
  "opensky"`` (a discriminated union on ``type``; the simulation keeps its own knobs there).
* ``[sources.<api>]`` describes each API account, whether or not a run uses it: credentials, base URL,
  timeouts and retries, request rate, concurrency and the monthly request budget. Keeping accounts apart from
  the choice lets ``flightpipe sources`` list every account, and switching ``source.type`` needs no other edit.

Credentials are ``SecretStr`` and come from the environment (``FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY``,
...) or from AWS Secrets Manager (``secret_arn``); a secret written in the TOML file is refused, because that
file lives in the repository.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Discriminator, Field, SecretStr, Tag, model_validator

from flightpipe.core.settings_base import StrictModel
from flightpipe.sources.simulated.defects import DefectSettings

# The source a run uses --------------------------------------------------------------------------------------


class SimulatedSourceSettings(StrictModel):
    """The embedded source: a seeded model of real traffic rendered as aviationstack pages. No key, no network."""

    type: Literal["simulated"] = "simulated"
    seed: int = Field(default=20240601, description="Same seed, same traffic.")
    page_size: int = Field(default=100, ge=1, le=1000, description="Records per page, as the API paginates.")
    scale: float = Field(default=1.0, gt=0, le=20, description="Multiplier on the real daily volumes.")
    defects: DefectSettings = Field(
        default_factory=DefectSettings, description="Rates of injected defects, to exercise the quality rules."
    )


class AviationstackSourceSettings(StrictModel):
    """Collect from aviationstack; the account is ``[sources.aviationstack]``."""

    type: Literal["aviationstack"]


class AeroDataBoxSourceSettings(StrictModel):
    """Collect from AeroDataBox (RapidAPI); the account is ``[sources.aerodatabox]``."""

    type: Literal["aerodatabox"]


class OpenSkySourceSettings(StrictModel):
    """Collect from the OpenSky Network; the account is ``[sources.opensky]``."""

    type: Literal["opensky"]


SOURCE_TYPES: dict[str, type[BaseModel]] = {
    "simulated": SimulatedSourceSettings,
    "aviationstack": AviationstackSourceSettings,
    "aerodatabox": AeroDataBoxSourceSettings,
    "opensky": OpenSkySourceSettings,
}


def _source_tag(value: Any) -> str | None:
    # A [source] table without `type` is the simulated source (the default), so `[source] seed = 3` keeps working.
    if isinstance(value, dict):
        tag = value.get("type", "simulated")
        return tag if isinstance(tag, str) else None
    return getattr(value, "type", None)


SourceSettings = Annotated[
    Annotated[SimulatedSourceSettings, Tag("simulated")]
    | Annotated[AviationstackSourceSettings, Tag("aviationstack")]
    | Annotated[AeroDataBoxSourceSettings, Tag("aerodatabox")]
    | Annotated[OpenSkySourceSettings, Tag("opensky")],
    Discriminator(_source_tag),
]


# The API accounts -------------------------------------------------------------------------------------------


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
        if parts.scheme == "http" and not self._plain_http_allowed() and not _is_loopback(parts.hostname):
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reveal(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class AviationstackSettings(ApiSettings):
    """aviationstack ``/v1/flights``: ``access_key`` in the query string."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("access_key",)

    base_url: str = "https://api.aviationstack.com/v1"
    access_key: SecretStr | None = Field(
        default=None, description="From FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY."
    )
    allow_http: bool = Field(default=False, description="Allow an http:// base_url (plans without HTTPS).")
    page_limit: int = Field(default=100, ge=1, le=1000, description="`limit` per page (max 100 below Professional).")
    max_passes: int = Field(
        default=3, ge=1, le=10, description="Full re-reads of a board whose listing changes while it is paged."
    )
    pages_per_board_estimate: int = Field(
        default=10, ge=1, le=1000, description="Pages a board needs, for quota planning before any board was seen."
    )
    requests_per_second: float = Field(default=2.0, gt=0, le=100)

    def _plain_http_allowed(self) -> bool:
        return self.allow_http

    def credential_fields(self) -> dict[str, str | None]:
        return {"access_key": _reveal(self.access_key)}


class AeroDataBoxSettings(ApiSettings):
    """AeroDataBox FIDS through RapidAPI: ``X-RapidAPI-Key`` and ``X-RapidAPI-Host`` headers."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("api_key",)

    base_url: str = "https://aerodatabox.p.rapidapi.com"
    api_key: SecretStr | None = Field(default=None, description="From FLIGHTPIPE__SOURCES__AERODATABOX__API_KEY.")
    rapidapi_host: str = Field(default="aerodatabox.p.rapidapi.com", description="X-RapidAPI-Host header.")
    with_cargo: bool = Field(default=True, description="Include cargo flights.")
    with_private: bool = Field(default=False, description="Include private flights.")
    max_concurrency: int = Field(default=1, ge=1, le=32)

    def credential_fields(self) -> dict[str, str | None]:
        return {"api_key": _reveal(self.api_key)}


class OpenSkySettings(ApiSettings):
    """OpenSky Network: OAuth2 client credentials (a bearer token from ``token_url``)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("client_secret",)

    base_url: str = "https://opensky-network.org/api"
    token_url: str = "https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token"
    client_id: str | None = Field(default=None, description="From FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_ID.")
    client_secret: SecretStr | None = Field(
        default=None, description="From FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_SECRET."
    )
    batch_delay_hours: float = Field(
        default=6.0,
        ge=0,
        le=72,
        description="Hours after the end of a UTC day before OpenSky's nightly batch is taken to have run.",
    )

    @model_validator(mode="after")
    def _token_url_https(self) -> OpenSkySettings:
        parts = urlsplit(self.token_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname or "")):
            raise ValueError(f"token_url must be an https URL (it receives the client secret), got {self.token_url!r}")
        return self

    def credential_fields(self) -> dict[str, str | None]:
        return {"client_id": self.client_id, "client_secret": _reveal(self.client_secret)}


class SourcesSettings(StrictModel):
    """One account section per API."""

    aviationstack: AviationstackSettings = Field(default_factory=AviationstackSettings)
    aerodatabox: AeroDataBoxSettings = Field(default_factory=AeroDataBoxSettings)
    opensky: OpenSkySettings = Field(default_factory=OpenSkySettings)

    def by_name(self, name: str) -> ApiSettings:
        account = getattr(self, name, None)
        if not isinstance(account, ApiSettings):
            raise KeyError(f"no API account {name!r}; known: {', '.join(API_NAMES)}")
        return account


API_NAMES: tuple[str, ...] = ("aviationstack", "aerodatabox", "opensky")
