"""A real AeroDataBox answer in the default ``movement`` shape (``withLeg=false``): Los Angeles (KLAX), the evening
of 2023-05-29 into the small hours of the 30th, 146 departures and 173 arrivals (tests/fixtures/aerodatabox/,
provenance in tests/fixtures/README.md), served on loopback as the API serves it and run through the whole
pipeline with default settings, one run per local day: raw -> transformed -> processed -> warehouse.

Expected values are read from the fixture with the standard library, independently of flightpipe: UTC instants
from the ``local`` fields (the wall time in Los Angeles' zone through zoneinfo, checked against the offset the
record states), not from the ``utc`` fields flightpipe reads.
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

from flightpipe.pipeline.runner import RunSummary, run_day
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FakeAeroDataBox
from tests.helpers.pipeline_fakes import SECRETS, api_source

ANSWER = Path(__file__).resolve().parents[1] / "fixtures" / "aerodatabox" / "fids-movement-KLAX-2023-05-29-evening.json"
DAYS = (dt.date(2023, 5, 29), dt.date(2023, 5, 30))
AS_OF = dt.datetime(2023, 6, 1, 7, 0, tzinfo=dt.UTC)
BOARDS = ("departures", "arrivals")


def _answer() -> dict[str, list[dict[str, Any]]]:
    answer: dict[str, list[dict[str, Any]]] = json.loads(ANSWER.read_text())
    return answer


def _instant(local: str) -> dt.datetime:
    """``"2023-05-29 20:24-07:00"`` (a time at Los Angeles) -> the UTC instant, by the standard library alone: the
    wall time placed in the airport's zone, which must agree with the offset the record states."""
    stated = dt.datetime.fromisoformat(local)
    placed = stated.replace(tzinfo=ZoneInfo("America/Los_Angeles"))
    assert placed.utcoffset() == stated.utcoffset()
    return placed.astimezone(dt.UTC)


def _expected_row(record: dict[str, Any], board: str) -> tuple[Any, ...]:
    """(number, from, to, flight date, own scheduled instant): the movement holds the counterpart airport (known only
    by name: ICAO's ``ZZZZ``, docs/sources.md) and this airport's times."""
    movement = record["movement"]
    counterpart = movement["airport"].get("icao", "ZZZZ")
    ends = ("KLAX", counterpart) if board == "departures" else (counterpart, "KLAX")
    local = movement["scheduledTime"]["local"]
    return (record["number"].replace(" ", ""), *ends, dt.date.fromisoformat(local[:10]), _instant(local))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunSummary]]:
    """Both local days the answer covers, collected and loaded once for the tests of this module."""
    tmp_path = tmp_path_factory.mktemp("klax")
    answer = _answer()
    key = SECRETS["aerodatabox"]["API_KEY"]
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    monkeypatch = pytest.MonkeyPatch()
    try:
        FakeAeroDataBox(key, {("KLAX", board): answer[board] for board in BOARDS}).register(server)
        data_dir = str(tmp_path / "data")
        settings, source = api_source("aerodatabox", server, monkeypatch, data_dir, ["KLAX"], FakeTime())
        summaries = [run_day(settings, day, clock=lambda: AS_OF, source=source) for day in DAYS]
        source.close()
    finally:
        monkeypatch.undo()
        server.clear()
        if server.is_running():
            server.stop()
    return settings.resolved_warehouse_path(), summaries


def _query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.slow
def test_every_record_of_a_real_movement_answer_loads_once_with_its_true_scheduled_time(
    loaded: tuple[Path, list[RunSummary]],
) -> None:
    warehouse, summaries = loaded
    answer = _answer()
    expected = sorted(_expected_row(record, board) for board in BOARDS for record in answer[board])
    assert len(expected) == 146 + 173
    # one run per local day: the evening of the 29th and the small hours of the 30th, nothing held back
    assert [(s.state, s.records_collected, s.records_quarantined) for s in summaries] == [
        ("succeeded", 119 + 157, 0),
        ("succeeded", 27 + 16, 0),
    ]
    scheduled = "CASE WHEN dep_airport_icao = 'KLAX' THEN dep_scheduled_utc ELSE arr_scheduled_utc END"
    rows = _query(
        warehouse,
        f"SELECT flight_iata, dep_airport_icao, arr_airport_icao, flight_date, {scheduled} FROM fact_flights",
    )
    assert sorted(rows) == expected


@pytest.mark.slow
def test_a_movement_answer_gives_only_this_airports_times_and_says_which_date_basis_it_used(
    loaded: tuple[Path, list[RunSummary]],
) -> None:
    warehouse, _ = loaded
    rows = _query(
        warehouse,
        "SELECT dep_airport_icao = 'KLAX', flight_date_basis, count(*), count(dep_scheduled_utc),"
        " count(arr_scheduled_utc), count(airline_name), min(dep_utc_offset_min), max(dep_utc_offset_min),"
        " min(arr_utc_offset_min), max(arr_utc_offset_min) FROM fact_flights GROUP BY ALL ORDER BY ALL",
    )
    # an arrivals board in this shape has no departure time: the flight date is the scheduled arrival's local date
    # (a documented fallback, and the column says so); every flight carries its airline's name; KLAX is at UTC-7
    # in May, as every record's own offset says
    assert rows == [
        (False, "scheduled_arrival", 173, 0, 173, 173, None, None, -420, -420),
        (True, "scheduled_departure", 146, 146, 0, 146, -420, -420, None, None),
    ]


@pytest.mark.slow
def test_revised_times_of_flights_not_yet_moved_are_estimates_with_their_delay(
    loaded: tuple[Path, list[RunSummary]],
) -> None:
    warehouse, _ = loaded
    revised = {
        record["number"].replace(" ", ""): record["movement"]
        for board in BOARDS
        for record in _answer()[board]
        if "revisedTime" in record["movement"]
    }
    rows = _query(
        warehouse,
        "SELECT flight_iata, coalesce(dep_estimated_utc, arr_estimated_utc), dep_actual_utc, arr_actual_utc,"
        " coalesce(dep_delay_min, arr_delay_min) FROM fact_flights"
        " WHERE dep_estimated_utc IS NOT NULL OR arr_estimated_utc IS NOT NULL",
    )
    # SV 42 and PR 103 leave on time; PR 102 from Manila is 101 minutes late, SQ 38 from Singapore 42 minutes early
    assert sorted(revised) == sorted(row[0] for row in rows) == ["PR102", "PR103", "SQ38", "SV42"]
    for number, estimated, dep_actual, arr_actual, delay in rows:
        movement = revised[number]
        assert estimated == _instant(movement["revisedTime"]["local"])
        assert (dep_actual, arr_actual) == (None, None)  # status Unknown / Expected: not yet moved
        minutes = (estimated - _instant(movement["scheduledTime"]["local"])) // dt.timedelta(minutes=1)
        assert delay == max(minutes, 0)
    assert {row[0]: row[4] for row in rows} == {"PR102": 101, "PR103": 0, "SQ38": 0, "SV42": 0}


@pytest.mark.slow
def test_counterparts_known_only_by_name_load_as_zzzz_instead_of_being_quarantined(
    loaded: tuple[Path, list[RunSummary]],
) -> None:
    warehouse, _ = loaded
    rows = _query(
        warehouse,
        "SELECT flight_iata FROM fact_flights WHERE 'ZZZZ' IN (dep_airport_icao, arr_airport_icao) ORDER BY 1",
    )
    named_only = sorted(
        record["number"].replace(" ", "")
        for board in BOARDS
        for record in _answer()[board]
        if "icao" not in record["movement"]["airport"]
    )
    # "Provo", "Mexico City", "Albukerke" (sic), "Dallas", "Boston", "Montreal", "New York" twice
    assert (
        [row[0] for row in rows]
        == named_only
        == ["6R301", "AA117", "AA2697", "AA300", "B6187", "DL4010", "G41588", "TS240"]
    )


@pytest.mark.slow
def test_a_number_flying_in_and_out_again_is_two_flights_and_no_record_is_taken_for_a_codeshare(
    loaded: tuple[Path, list[RunSummary]],
) -> None:
    warehouse, _ = loaded
    # Seven numbers arrive at KLAX and leave again under the same number (WN 2832 Oakland -> LA -> Las Vegas):
    # two legs, two flights. AeroDataBox marks no record of this answer ``IsCodeshared`` (it says ``Unknown`` or
    # ``IsOperator``), so flights to the same airport at the same time (DL 41 and AA 73 to Sydney) stay apart.
    twice = _query(
        warehouse,
        "SELECT flight_iata, list(dep_airport_icao || '-' || arr_airport_icao ORDER BY arr_airport_icao = 'KLAX' DESC)"
        " FROM fact_flights GROUP BY ALL HAVING count(*) > 1 ORDER BY 1",
    )
    assert [number for number, _ in twice] == ["AA2113", "UA706", "WN136", "WN1937", "WN2416", "WN2832", "WN3230"]
    assert ("WN2832", ["KOAK-KLAX", "KLAX-KLAS"]) in twice
    assert _query(warehouse, "SELECT count(*) FROM flight_codeshares") == [(0,)]
    assert _query(warehouse, "SELECT sum(codeshare_count) FROM fact_flights") == [(0,)]
    sydney = _query(
        warehouse,
        "SELECT flight_iata FROM fact_flights WHERE arr_airport_icao = 'YSSY'"
        " AND dep_scheduled_utc = TIMESTAMPTZ '2023-05-30 05:40:00+00' ORDER BY 1",
    )
    assert sydney == [("AA73",), ("DL41",)]
