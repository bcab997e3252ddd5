"""aviationstack's settings: the ``[source]`` choice and the ``[sources.aviationstack]`` account."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from flightpipe.sources.account import ApiSettings, SourceChoice, reveal


class AviationstackSourceSettings(SourceChoice):
    """Collect from aviationstack; the account is ``[sources.aviationstack]``."""

    type: Literal["aviationstack"]


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
        return {"access_key": reveal(self.access_key)}
