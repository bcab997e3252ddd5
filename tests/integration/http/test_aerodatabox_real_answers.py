"""A real AeroDataBox answer in the default ``movement`` shape (tests/fixtures/aerodatabox/, provenance in
tests/fixtures/README.md): Los Angeles departures of the evening of 2023-05-29, served on loopback through the
AeroDataBox client and normaliser with the default quality rules. Expected values are read from the fixture with
the standard library, not through flightpipe.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.sources.aerodatabox.client import AeroDataBoxSource
from flightpipe.sources.settings import AeroDataBoxSettings
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FakeAeroDataBox
from tests.helpers.source_helpers import land_board

ANSWER = Path(__file__).resolve().parents[2] / "fixtures" / "aerodatabox" / "fids-movement-KLAX-2023-05-29-evening.json"
KEY = "adb-real-answers-key-0123456789"
DAY = dt.date(2023, 5, 29)
AS_OF = dt.datetime(2023, 5, 31, 7, 0, tzinfo=dt.UTC)


def _departures() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(ANSWER.read_text())["departures"]
    return records


def test_a_real_movement_answer_lands_untouched_and_every_departure_of_the_day_transforms(
    api_server: HTTPServer, fake_time: FakeTime, store: ObjectStore
) -> None:
    FakeAeroDataBox(KEY, {("KLAX", "departures"): _departures()}).register(api_server)
    account = AeroDataBoxSettings(base_url=api_server.url_for("/"), requests_per_second=100)
    source = AeroDataBoxSource(account, KEY, sleep=fake_time.sleep, clock=fake_time.monotonic)
    landed = land_board(store, source, icao="KLAX", day=DAY, board=Board.DEPARTURES, as_of=AS_OF, rules=None)
    source.close()
    # the day's records: those whose own scheduled local time is on the 29th (the answer runs past midnight)
    of_the_day = [r for r in _departures() if r["movement"]["scheduledTime"]["local"].startswith("2023-05-29")]
    assert len(of_the_day) == 119
    # the morning window is empty (204, no page); raw keeps the evening's records as served, the 2023 API's
    # deprecated ``scheduledTimeLocal``/``scheduledTimeUtc`` and the ``quality`` flightpipe does not read included
    assert landed.envelope["pages"] == [{"departures": of_the_day}]
    assert [r["status"] for r in landed.envelope["requests"] if "status" in r] == [204, 200]
    assert (landed.collected.records, landed.rows.num_rows, landed.quarantine) == (119, 119, [])
    instants = {
        r["number"].replace(" ", ""): dt.datetime.fromisoformat(r["movement"]["scheduledTime"]["local"]).astimezone(
            dt.UTC
        )
        for r in of_the_day
    }
    assert dict(zip(landed.column("flight_iata"), landed.column("dep_scheduled_utc"), strict=True)) == instants
