"""A whole pipeline run against a fake API on a local server: settings from the environment, as in production."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from flightpipe.config import Settings, load_settings
from flightpipe.sources.aerodatabox.client import AeroDataBoxSource
from flightpipe.sources.aviationstack.client import AviationstackSource
from flightpipe.sources.base import Source
from flightpipe.sources.credentials import resolve_credentials
from flightpipe.sources.opensky.client import OpenSkySource
from tests.helpers.fake_apis import FakeAeroDataBox, FakeApi, FakeAviationstack, FakeOpenSky
from tests.helpers.fake_data import aerodatabox_boards, aviationstack_boards, opensky_boards

DAY = dt.date(2024, 6, 12)
AS_OF = dt.datetime(2024, 6, 13, 7, 0, tzinfo=dt.UTC)

#: Known fake credentials: nothing flightpipe writes or logs may contain them.
SECRETS = {
    "aviationstack": {"ACCESS_KEY": "scan-avs-key-0f1e2d3c4b5a"},
    "aerodatabox": {"API_KEY": "scan-rapid-key-a1b2c3d4e5f6"},
    "opensky": {"CLIENT_ID": "scan-opensky-client", "CLIENT_SECRET": "scan-opensky-secret-9z8y7x"},
}


@dataclass
class FakeSetup:
    fake: FakeApi
    env: dict[str, str]

    def secrets(self) -> list[str]:
        values = [
            v
            for k, v in self.env.items()
            if k.endswith(("__ACCESS_KEY", "__API_KEY", "__CLIENT_ID", "__CLIENT_SECRET"))
        ]
        if isinstance(self.fake, FakeOpenSky):
            values.extend(self.fake.issued)
        return values


def api_env(source: str, server: HTTPServer) -> dict[str, str]:
    """The environment that points flightpipe at ``source``'s fake on ``server``, with its known credentials."""
    prefix = f"FLIGHTPIPE__SOURCES__{source.upper()}__"
    env = {"FLIGHTPIPE__SOURCE__TYPE": source, **{prefix + k: v for k, v in SECRETS[source].items()}}
    if source == "aviationstack":
        env[f"{prefix}BASE_URL"] = server.url_for("/v1")
    elif source == "aerodatabox":
        env[f"{prefix}BASE_URL"] = server.url_for("/")
    else:
        env[f"{prefix}BASE_URL"] = server.url_for("/api")
        env[f"{prefix}TOKEN_URL"] = server.url_for("/token")
    return env


def api_source(
    source: str, server: HTTPServer, monkeypatch: pytest.MonkeyPatch, data_dir: str, airports: list[str], fake_time: Any
) -> tuple[Settings, Source]:
    """Settings for ``airports`` on ``source``'s fake on ``server`` (the environment set through ``monkeypatch``),
    and the API client as a run opens it, its waits on ``fake_time``."""
    for name, value in api_env(source, server).items():
        monkeypatch.setenv(name, value)
    settings = load_settings(data_dir=data_dir, airports=",".join(airports))
    account = settings.sources.by_name(source)
    credentials = resolve_credentials(source, account)
    timing = {"sleep": fake_time.sleep, "clock": fake_time.monotonic}
    client: Source
    if source == "aviationstack":
        client = AviationstackSource(settings.sources.aviationstack, credentials["access_key"], **timing)
    elif source == "aerodatabox":
        client = AeroDataBoxSource(settings.sources.aerodatabox, credentials["api_key"], **timing)
    else:
        opensky = settings.sources.opensky
        client = OpenSkySource(opensky, credentials["client_id"], credentials["client_secret"], **timing)
    return settings, client


def setup_fake(source: str, server: HTTPServer, airports: list[str], **account: Any) -> FakeSetup:
    prefix = f"FLIGHTPIPE__SOURCES__{source.upper()}__"
    env = {**api_env(source, server), f"{prefix}REQUESTS_PER_SECOND": "100"}
    env.update({prefix + k.upper(): str(v) for k, v in account.items()})
    days = [DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)] if source == "opensky" else [DAY]
    avs = aviationstack_boards(airports, days)
    fake: FakeApi
    if source == "aviationstack":
        fake = FakeAviationstack(SECRETS[source]["ACCESS_KEY"], avs)
    elif source == "aerodatabox":
        fake = FakeAeroDataBox(SECRETS[source]["API_KEY"], aerodatabox_boards(avs))
    else:
        fake = FakeOpenSky(SECRETS[source]["CLIENT_ID"], SECRETS[source]["CLIENT_SECRET"], opensky_boards(avs))
    fake.register(server)  # type: ignore[attr-defined]
    return FakeSetup(fake, env)


def settings_for(setup: FakeSetup, monkeypatch: pytest.MonkeyPatch, data_dir: str, airports: list[str]) -> Settings:
    for name, value in setup.env.items():
        monkeypatch.setenv(name, value)
    return load_settings(data_dir=data_dir, airports=",".join(airports))
