"""Real OpenSky answers (tests/fixtures/opensky/, provenance in tests/fixtures/README.md) served byte for byte as
OpenSky served them, through the OpenSky client and normaliser with the default quality rules.

Namur (EBNM), 28 May 2023: a general-aviation field whose tracks carry no callsign. Expected values are read
from the fixture with the standard library, not through flightpipe.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.sources.opensky.client import OpenSkySource
from flightpipe.sources.settings import OpenSkySettings
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FakeOpenSky
from tests.helpers.source_helpers import Landed, land_board

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "opensky"
DEPARTURES_ANSWER = (FIXTURES / "flights-departure-EBNM-2023-05-28.json").read_bytes()
DAY = dt.date(2023, 5, 28)
AS_OF = dt.datetime(2023, 5, 29, 7, 0, tzinfo=dt.UTC)
BEGIN = int(dt.datetime(2023, 5, 28, tzinfo=dt.UTC).timestamp())
CLIENT_ID, SECRET = "real-answers-client", "real-answers-secret-0123456789"


@pytest.fixture
def fake(api_server: HTTPServer) -> FakeOpenSky:
    fake = FakeOpenSky(CLIENT_ID, SECRET, {})
    fake.register(api_server)
    return fake


def _land(server: HTTPServer, fake_time: FakeTime, store: ObjectStore) -> Landed:
    """One EBNM departures board, with the default quality rules."""
    account = OpenSkySettings(
        base_url=server.url_for("/api"), token_url=server.url_for("/token"), requests_per_second=100
    )
    source = OpenSkySource(account, CLIENT_ID, SECRET, sleep=fake_time.sleep, clock=fake_time.monotonic)
    return land_board(store, source, icao="EBNM", day=DAY, board=Board.DEPARTURES, as_of=AS_OF, rules=None)


def test_a_real_departures_answer_lands_untouched_and_its_track_without_callsign_goes_to_quarantine(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    # the answer exactly as recorded: its bytes, OpenSky's content type (with charset), no rate-limit header
    fake.script.push(Response(DEPARTURES_ANSWER, status=200, content_type="application/json;charset=UTF-8"))
    landed = _land(api_server, fake_time, store)
    [record] = json.loads(DEPARTURES_ANSWER)
    assert BEGIN <= record["firstSeen"] < BEGIN + 86400 and record["callsign"] is None
    # raw keeps the native answer (every field, the distances and candidate counts flightpipe does not read)
    assert landed.envelope["pages"] == [[record]]
    assert landed.collected.records == 1
    # aircraft 391cd9 flew from EBNM and back without a callsign: no flight number to key it on
    assert len(landed.rows) == 0
    [entry] = landed.quarantine
    assert (entry["rule"], entry["reason"]) == ("required_keys", "callsign missing: OpenSky cannot name the flight")
    # the quarantine entry shows the fields flightpipe reads, as OpenSky sent them (raw keeps the rest)
    assert entry["record"] == {key: record[key] for key in entry["record"]} and entry["record"]["icao24"] == "391cd9"


def test_a_real_404_with_an_empty_body_is_a_day_without_flights(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    # OpenSky's recorded "no flights" answer: 404 Not Found, Content-Length: 0
    fake.script.push(Response(b"", status=404))
    landed = _land(api_server, fake_time, store)
    assert landed.envelope["pages"] == [] and landed.collected.records == 0
    assert [r["status"] for r in landed.envelope["requests"] if "status" in r][-1] == 404
    assert len(landed.rows) == 0 and landed.quarantine == []
