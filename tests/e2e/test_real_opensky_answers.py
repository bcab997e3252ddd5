"""OpenSky through the whole pipeline with default settings (raw -> transformed -> processed -> warehouse):
the real answers of tests/fixtures/opensky/ (see its README), and OpenSky's other-end nulls.

Expected values are computed here from the records with the standard library, not by flightpipe.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from flightpipe.pipeline.runner import RunSummary, run_day
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FakeOpenSky
from tests.helpers.pipeline_fakes import SECRETS, api_source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "opensky"


def _answer(name: str) -> list[dict[str, Any]]:
    return list(json.loads((FIXTURES / name).read_bytes()))


def _run(
    server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fake_time: FakeTime,
    boards: dict[tuple[str, str], list[dict[str, Any]]],
    day: dt.date,
) -> tuple[Any, RunSummary]:
    FakeOpenSky(SECRETS["opensky"]["CLIENT_ID"], SECRETS["opensky"]["CLIENT_SECRET"], boards).register(server)
    airports = sorted({icao for icao, _ in boards})
    settings, source = api_source("opensky", server, monkeypatch, str(tmp_path / "data"), airports, fake_time)
    as_of = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(7), tzinfo=dt.UTC)
    return settings, run_day(settings, day, clock=lambda: as_of, source=source)


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@pytest.mark.slow
def test_a_real_general_aviation_day_without_callsigns_loads_nothing_and_is_not_succeeded(
    api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_time: FakeTime
) -> None:
    # Namur (EBNM), 28 May 2023: OpenSky's boards list the tracks whose estimated airport is EBNM; the records
    # are the real answers' (the departures answer's one record is also in the aircraft answer).
    records = {(r["icao24"], r["firstSeen"]): r for r in _answer("flights-aircraft-391cd9-2023-05-28.json")}
    records.update({(r["icao24"], r["firstSeen"]): r for r in _answer("flights-departure-EBNM-2023-05-28.json")})
    departures = [r for r in records.values() if r["estDepartureAirport"] == "EBNM"]
    arrivals = [r for r in records.values() if r["estArrivalAirport"] == "EBNM"]
    assert (len(departures), len(arrivals)) == (2, 2)  # one leaves towards an airport OpenSky could not estimate
    settings, summary = _run(
        api_server,
        monkeypatch,
        tmp_path,
        fake_time,
        {("EBNM", "departures"): departures, ("EBNM", "arrivals"): arrivals},
        dt.date(2023, 5, 28),
    )
    # no track names its flight: every record in quarantine, none in the warehouse, and the run says so
    assert (summary.records_collected, summary.records_quarantined) == (4, 4)
    with duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM fact_flights").fetchone() == (0,)
    assert summary.state != "succeeded"
    assert sorted(q.split(":")[0] for q in summary.quality_failures) == [
        "EBNM arrivals 2023-05-28 quarantine_share",
        "EBNM departures 2023-05-28 quarantine_share",
    ]


@pytest.mark.slow
def test_tracks_whose_other_end_opensky_could_not_estimate_reach_the_warehouse_with_zzzz_and_are_counted(
    api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_time: FakeTime
) -> None:
    day = dt.date(2024, 6, 1)
    begin = int(dt.datetime(2024, 6, 1, tzinfo=dt.UTC).timestamp())

    def track(callsign: str, dep: str | None, arr: str | None, first: int, last: int) -> dict[str, Any]:
        return {
            "icao24": "3c6444",
            "firstSeen": begin + first,
            "estDepartureAirport": dep,
            "lastSeen": begin + last,
            "estArrivalAirport": arr,
            "callsign": callsign,
        }

    boards = {
        ("EDDF", "departures"): [
            track("DLH4AB  ", "EDDF", "EGLL", 6 * 3600, 7 * 3600),
            track("EWG9KL  ", "EDDF", None, 9 * 3600, 10 * 3600),
        ],
        ("EDDF", "arrivals"): [track("BAW9AB  ", None, "EDDF", 8 * 3600, 9 * 3600)],
    }
    settings, summary = _run(api_server, monkeypatch, tmp_path, fake_time, boards, day)
    assert summary.records_quarantined == 0 and summary.state == "succeeded"
    with duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True) as con:
        flights = con.execute(
            "SELECT flight_icao, dep_airport_icao, arr_airport_icao, dep_actual_utc, arr_actual_utc, status"
            " FROM fact_flights ORDER BY flight_icao"
        ).fetchall()
        warned = con.execute(
            "SELECT board, outcome, counts_json FROM quality_results WHERE rule = 'airports_known' ORDER BY board"
        ).fetchall()
    assert flights == [
        ("BAW9AB", "ZZZZ", "EDDF", _utc(begin + 8 * 3600), _utc(begin + 9 * 3600), "landed"),
        ("DLH4AB", "EDDF", "EGLL", _utc(begin + 6 * 3600), _utc(begin + 7 * 3600), "landed"),
        ("EWG9KL", "EDDF", "ZZZZ", _utc(begin + 9 * 3600), _utc(begin + 10 * 3600), "unknown"),
    ]
    assert [(board, outcome, json.loads(counts)["violations"]) for board, outcome, counts in warned] == [
        ("arrivals", "warn", 1),
        ("departures", "warn", 1),
    ]
