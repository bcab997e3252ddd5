"""fakeair's settings: the ``[source]`` choice and the ``[sources.fakeair]`` account (one bearer token)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from flightpipe.sources.account import ApiSettings, SourceChoice, reveal


class FakeAirSourceSettings(SourceChoice):
    type: Literal["fakeair"]


class FakeAirSettings(ApiSettings):
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("token",)

    base_url: str = "https://api.fakeair.example/v2"
    token: SecretStr | None = Field(default=None)
    windows_per_day: int = Field(default=3, ge=1)

    def credential_fields(self) -> dict[str, str | None]:
        return {"token": reveal(self.token)}
