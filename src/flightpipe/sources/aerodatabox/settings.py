"""AeroDataBox's settings: the ``[source]`` choice and the ``[sources.aerodatabox]`` account."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from flightpipe.sources.account import ApiSettings, SourceChoice, reveal


class AeroDataBoxSourceSettings(SourceChoice):
    """Collect from AeroDataBox (RapidAPI); the account is ``[sources.aerodatabox]``."""

    type: Literal["aerodatabox"]


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
        return {"api_key": reveal(self.api_key)}
