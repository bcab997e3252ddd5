"""OpenSky's settings: the ``[source]`` choice and the ``[sources.opensky]`` account."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from flightpipe.sources.account import ApiSettings, SourceChoice, is_loopback, reveal


class OpenSkySourceSettings(SourceChoice):
    """Collect from the OpenSky Network; the account is ``[sources.opensky]``."""

    type: Literal["opensky"]


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
        if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
            raise ValueError(f"token_url must be an https URL (it receives the client secret), got {self.token_url!r}")
        return self

    def credential_fields(self) -> dict[str, str | None]:
        return {"client_id": self.client_id, "client_secret": reveal(self.client_secret)}
