"""A real aviationstack answer with ``live`` filled (tests/fixtures/aviationstack/, provenance in its README),
served on loopback as the API serves it, through the whole pipeline with default settings: raw -> transformed ->
processed -> warehouse.

Expected UTC instants are computed here with the standard library from the record's own wall times and its
``timezone`` field (aviationstack labels local wall time ``+00:00``), not by flightpipe.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from flightpipe.pipeline.runner import run_day
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FakeAviationstack
from tests.helpers.pipeline_fakes import SECRETS, api_source

ANSWER = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "aviationstack"
    / "aviationstack-flight-AA100-2024-12-07-live.json"
)
DAY = dt.date(2024, 12, 7)
AS_OF = dt.datetime(2024, 12, 9, 7, 0, tzinfo=dt.UTC)


def _utc(wall_time: str, zone: str) -> dt.datetime:
    """``"2024-12-07T19:00:00+00:00"`` (local wall time, mislabelled UTC) in ``zone`` -> the UTC instant."""
    wall = dt.datetime.fromisoformat(wall_time).replace(tzinfo=None)
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


@pytest.mark.slow
def test_a_real_answer_with_live_filled_loads_its_flight_with_its_true_times(
    api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_time: FakeTime
) -> None:
    answer = json.loads(ANSWER.read_text())
    [record] = answer["data"]
    assert record["live"]["is_ground"] is True and answer["pagination"]["total"] == 1
    key = SECRETS["aviationstack"]["ACCESS_KEY"]
    boards: dict[tuple[str, str], list[dict[str, Any]]] = {("KJFK", "departures"): answer["data"]}
    FakeAviationstack(key, boards).register(api_server)
    settings, source = api_source("aviationstack", api_server, monkeypatch, str(tmp_path / "data"), ["KJFK"], fake_time)
    summary = run_day(settings, DAY, clock=lambda: AS_OF, source=source)
    assert (summary.records_collected, summary.records_quarantined, summary.state) == (1, 0, "succeeded")
    with duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True) as con:
        flights = con.execute(
            "SELECT flight_date, flight_iata, dep_airport_icao, arr_airport_icao, dep_scheduled_utc, dep_actual_utc,"
            " dep_runway_utc, arr_scheduled_utc, arr_actual_utc, dep_delay_min, airline_name,"
            " aircraft_registration, status FROM fact_flights"
        ).fetchall()
    dep, arr = record["departure"], record["arrival"]
    assert flights == [
        (
            DAY,
            "AA100",
            "KJFK",
            "EGLL",
            _utc(dep["scheduled"], dep["timezone"]),  # 19:00 in New York: 00:00 UTC the next day
            _utc(dep["actual"], dep["timezone"]),
            _utc(dep["actual_runway"], dep["timezone"]),
            _utc(arr["scheduled"], arr["timezone"]),
            None,  # not landed in the answer's departure and arrival blocks: ``live`` is position only
            dep["delay"],
            "American Airlines",
            "N762AN",
            "scheduled",  # as the answer says, although the flight left 96 minutes late
        )
    ]
    assert flights[0][4] == dt.datetime(2024, 12, 8, 0, 0, tzinfo=dt.UTC)
