"""Contract tests: the AeroDataBox FIDS adapter against a local server serving recorded-shape answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from flightpipe.core.errors import QuotaExceeded, SourceAuthError, SourceResponseError
from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.sources.aerodatabox.client import AeroDataBoxSource
from flightpipe.sources.settings import AeroDataBoxSettings
from flightpipe.stages.process import process_flight_dates
from tests.conftest import FakeTime, at
from tests.helpers.fake_apis import (
    FakeAeroDataBox,
    dropped_connection,
    html_response,
    json_response,
    malformed_response,
    slow_response,
    wait_for_log,
)
from tests.helpers.source_helpers import Landed, land_board

KEY = "adb-contract-key-77aa66bb"
DAY = dt.date(2024, 6, 1)
AS_OF = dt.datetime(2024, 6, 2, 6, 0, tzinfo=dt.UTC)


def _time(utc: str, local: str) -> dict[str, str]:
    return {"utc": utc, "local": local}


def _dep(
    number: str,
    to: str,
    sched_utc: str,
    sched_local: str,
    *,
    status: str = "Departed",
    codeshare: str = "IsOperator",
    airline: tuple[str, str, str] = ("LH", "DLH", "Lufthansa"),
    **movement: Any,
) -> dict[str, Any]:
    return {
        "departure": {
            "scheduledTime": _time(sched_utc, sched_local),
            "terminal": "1",
            "quality": ["Basic", "Live"],
            **movement,
        },
        "arrival": {"airport": {"icao": to, "iata": None, "name": to}, "quality": ["Basic"]},
        "number": number,
        "callSign": None,
        "status": status,
        "codeshareStatus": codeshare,
        "isCargo": False,
        "aircraft": {"reg": "D-ABYA", "modeS": "3C4B21", "model": "Boeing 747-8"},
        "airline": {"iata": airline[0], "icao": airline[1], "name": airline[2]},
    }


DEPARTURES = [
    _dep(
        "LH 400",
        "KJFK",
        "2024-06-01 08:00Z",
        "2024-06-01 10:00+02:00",
        revisedTime=_time("2024-06-01 08:20Z", "2024-06-01 10:20+02:00"),
        runwayTime=_time("2024-06-01 08:35Z", "2024-06-01 10:35+02:00"),
        gate="A12",
    ),
    _dep(
        "UA 8840",
        "KJFK",
        "2024-06-01 08:00Z",
        "2024-06-01 10:00+02:00",
        codeshare="IsCodeshared",
        airline=("UA", "UAL", "United Airlines"),
    ),
    _dep(
        "AC 9123",
        "KJFK",
        "2024-06-01 08:00Z",
        "2024-06-01 10:00+02:00",
        codeshare="IsCodeshared",
        airline=("AC", "ACA", "Air Canada"),
    ),
    _dep("LH 98", "EDDM", "2024-06-01 09:59Z", "2024-06-01 11:59+02:00", status="Canceled"),
    _dep(
        "EW 9",
        "EGLL",
        "2024-06-01 12:00Z",
        "2024-06-01 14:00+02:00",
        codeshare="IsCodeshared",
        airline=("EW", "EWG", "Eurowings"),
    ),
    _dep("LH 1100", "LEPA", "2024-06-01 10:00Z", "2024-06-01 12:00+02:00"),
    _dep("DE 2000", "LEPA", "2024-06-01 21:30Z", "2024-06-01 23:30+02:00", airline=("DE", "CFG", "Condor")),
]

ARRIVALS = [
    {
        "departure": {
            "airport": {"icao": "KJFK", "iata": "JFK", "name": "New York"},
            "scheduledTime": _time("2024-06-01 02:00Z", "2024-05-31 22:00-04:00"),
            "quality": ["Basic"],
        },
        "arrival": {
            "scheduledTime": _time("2024-06-01 09:30Z", "2024-06-01 11:30+02:00"),
            "revisedTime": _time("2024-06-01 09:10Z", "2024-06-01 11:10+02:00"),
            "baggageBelt": "14",
            "quality": ["Basic", "Live"],
        },
        "number": "LH 401",
        "status": "Arrived",
        "codeshareStatus": "IsOperator",
        "isCargo": False,
        "airline": {"iata": "LH", "icao": "DLH", "name": "Lufthansa"},
    }
]


@pytest.fixture
def fake(api_server: HTTPServer) -> FakeAeroDataBox:
    fake = FakeAeroDataBox(KEY, {("EDDF", "departures"): DEPARTURES, ("EDDF", "arrivals"): ARRIVALS})
    fake.register(api_server)
    return fake


def _source(server: HTTPServer, fake_time: FakeTime, **settings: Any) -> AeroDataBoxSource:
    account = AeroDataBoxSettings(base_url=server.url_for("/"), timeout_s=0.5, requests_per_second=100, **settings)
    return AeroDataBoxSource(account, KEY, sleep=fake_time.sleep, clock=fake_time.monotonic)


def _land(store: ObjectStore, source: AeroDataBoxSource, board: Board = Board.DEPARTURES) -> Landed:
    return land_board(store, source, icao="EDDF", day=DAY, board=board, as_of=AS_OF)


WINDOW_PATHS = [
    "/flights/airports/icao/EDDF/2024-06-01T00:00/2024-06-01T11:59",
    "/flights/airports/icao/EDDF/2024-06-01T12:00/2024-06-01T23:59",
]


def _params(direction: str) -> dict[str, str]:
    return {
        "direction": direction,
        "withLeg": "true",
        "withCancelled": "true",
        "withCodeshared": "true",
        "withCargo": "true",
        "withPrivate": "false",
        "withLocation": "false",
    }


HOST = "aerodatabox.p.rapidapi.com"


def _requests_seen(server: HTTPServer) -> list[tuple[str, str, dict[str, str], str, str]]:
    """(method, path, query, X-RapidAPI-Key, X-RapidAPI-Host) of every request, in the order answered."""
    return [
        (r.method, r.path, dict(r.args.items()), r.headers.get("X-RapidAPI-Key", ""), r.headers.get("X-RapidAPI-Host"))
        for r, _ in server.log
    ]


def _window_request(window: int, key: str = KEY) -> tuple[str, str, dict[str, str], str, str]:
    return ("GET", WINDOW_PATHS[window], _params("Departure"), key, HOST)


ALL_DEPARTURES = ["AC9123", "DE2000", "LH1100", "LH400", "LH98", "UA8840"]


def test_a_day_is_two_12_hour_windows_asking_for_codeshares_and_cancellations_with_rapidapi_headers(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    seen = [(r.method, r.path, dict(r.args.items())) for r, _ in api_server.log]
    assert seen == [("GET", path, _params("Departure")) for path in WINDOW_PATHS]
    assert [(r.headers["X-RapidAPI-Key"], r.headers["X-RapidAPI-Host"]) for r, _ in api_server.log] == [
        (KEY, "aerodatabox.p.rapidapi.com")
    ] * 2
    assert landed.collected.pages == 2 and landed.collected.records == 7
    # Both windows' records landed: 11:59 local in the first, 12:00 and 23:30 in the second.
    assert sorted(landed.column("flight_iata")) == ["AC9123", "DE2000", "LH1100", "LH400", "LH98", "UA8840"]


def test_codeshares_are_matched_to_the_operator_of_the_same_counterpart_airport_and_scheduled_time(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    operating = {
        r["flight_iata"]: (r["is_codeshare"], r["operating_flight_iata"], r["operating_airline_iata"])
        for r in landed.rows.to_pylist()
    }
    assert operating["UA8840"] == (True, "LH400", "LH")
    assert operating["AC9123"] == (True, "LH400", "LH")
    assert operating["LH400"] == (False, "LH400", "LH")
    assert [(q["record"]["number"], q["reason"]) for q in landed.quarantine] == [
        ("EW 9", "codeshare record with no operator record of the same arrival airport and scheduled time")
    ]
    [flight] = [f for f in process_flight_dates(store, [DAY]) if f.flight_date == DAY]
    assert flight.flights_out == 4 and flight.codeshares == 2


def test_times_come_from_the_utc_fields_and_the_flight_date_from_the_local_departure(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    [lh400] = [r for r in landed.rows.to_pylist() if r["flight_iata"] == "LH400"]
    # departed: revisedTime is the off-block (gate) time, runwayTime the take-off, each in its own column
    assert (
        lh400["dep_scheduled_utc"],
        lh400["dep_estimated_utc"],
        lh400["dep_actual_utc"],
        lh400["dep_runway_utc"],
    ) == (
        at("2024-06-01 08:00"),
        at("2024-06-01 08:20"),
        at("2024-06-01 08:20"),
        at("2024-06-01 08:35"),
    )
    assert (lh400["dep_delay_min"], lh400["dep_gate"], lh400["dep_airport_iata"], lh400["arr_airport_icao"]) == (
        20,
        "A12",
        "FRA",
        "KJFK",
    )
    assert (lh400["flight_date"], lh400["flight_icao"], lh400["flight_number"], lh400["status"]) == (
        DAY,
        "DLH400",
        "400",
        "active",
    )
    assert lh400["aircraft_registration"] == "D-ABYA" and lh400["aircraft_type_icao"] is None


def test_cancelled_flights_land_as_cancelled(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    assert [r["status"] for r in landed.rows.to_pylist() if r["flight_iata"] == "LH98"] == ["cancelled"]


def test_an_arrival_takes_its_flight_date_from_the_departure_side_and_its_empty_window_is_no_page(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time), Board.ARRIVALS)
    assert [r.args["direction"] for r, _ in api_server.log] == ["Arrival", "Arrival"]
    assert [status for _, status in [(r, resp.status_code) for r, resp in api_server.log]] == [200, 204]
    assert landed.collected.pages == 1
    [row] = landed.rows.to_pylist()
    assert (row["flight_date"], row["dep_airport_icao"], row["arr_airport_icao"], row["arr_baggage"]) == (
        dt.date(2024, 5, 31),
        "KJFK",
        "EDDF",
        "14",
    )
    assert (row["arr_scheduled_utc"], row["arr_estimated_utc"], row["arr_delay_min"]) == (
        at("2024-06-01 09:30"),
        at("2024-06-01 09:10"),
        0,
    )


def test_a_refused_key_is_not_retried(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    account = AeroDataBoxSettings(base_url=api_server.url_for("/"), requests_per_second=100)
    source = AeroDataBoxSource(account, "wrong-key-123", sleep=fake_time.sleep, clock=fake_time.monotonic)
    with pytest.raises(SourceAuthError, match="RapidAPI refused the key .HTTP 403: You are not subscribed"):
        _land(store, source)
    assert _requests_seen(api_server) == [_window_request(0, key="wrong-key-123")]
    assert fake_time.sleeps == [] and store.list("raw/") == []


def test_a_401_is_a_refused_key_and_is_not_retried(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(json_response({"message": "Invalid API key. Go to https://docs.rapidapi.com for help."}, 401))
    with pytest.raises(SourceAuthError, match="RapidAPI refused the key .HTTP 401: Invalid API key"):
        _land(store, _source(api_server, fake_time))
    assert _requests_seen(api_server) == [_window_request(0)] and store.list("raw/") == []


def test_a_400_is_a_refused_request_and_is_not_retried(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(json_response({"message": "The time range must be positive and at most 12 hours."}, 400))
    with pytest.raises(SourceResponseError, match="AeroDataBox refused the request: The time range must be positive"):
        _land(store, _source(api_server, fake_time))
    assert _requests_seen(api_server) == [_window_request(0)] and store.list("raw/") == []


def test_a_used_up_plan_stops_the_source(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(
        json_response({"message": "You have exceeded the MONTHLY quota for Requests on your current plan, BASIC."}, 429)
    )
    source = _source(api_server, fake_time)
    with pytest.raises(QuotaExceeded, match="MONTHLY quota"):
        _land(store, source)
    with pytest.raises(QuotaExceeded):
        _land(store, source, Board.ARRIVALS)
    # The arrivals board sent nothing: the source is stopped for the run.
    assert _requests_seen(api_server) == [_window_request(0)] and store.list("raw/") == []


def test_an_error_answered_with_http_200_is_an_error(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(json_response({"message": "Airport not found"}, 200))
    with pytest.raises(SourceResponseError, match="answered an error with HTTP 200: Airport not found"):
        _land(store, _source(api_server, fake_time))
    assert _requests_seen(api_server) == [_window_request(0)] and store.list("raw/") == []


@pytest.mark.parametrize(
    ("message", "error", "says"),
    [
        (
            "You have exceeded the DAILY quota for Requests on your current plan, BASIC.",
            QuotaExceeded,
            r"the plan's quota is used up \(You have exceeded the DAILY quota",
        ),
        ("You are not subscribed to this API.", SourceAuthError, r"RapidAPI refused the key \(You are not subscribed"),
    ],
)
def test_a_quota_or_key_error_answered_with_http_200_stops_the_source_without_retries(
    api_server: HTTPServer,
    fake: FakeAeroDataBox,
    fake_time: FakeTime,
    store: ObjectStore,
    message: str,
    error: type[Exception],
    says: str,
) -> None:
    fake.script.push(json_response({"message": message}, 200))
    source = _source(api_server, fake_time)
    with pytest.raises(error, match=says):
        _land(store, source)
    with pytest.raises(error):
        _land(store, source, Board.ARRIVALS)
    assert _requests_seen(api_server) == [_window_request(0)] and fake_time.sleeps == []


@pytest.mark.parametrize("failure", ["429", "500", "html", "malformed", "timeout", "dropped"])
def test_a_transient_failure_is_retried_and_the_board_lands_the_same(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore, failure: str
) -> None:
    answers = {
        "429": json_response({"message": "Too many requests"}, 429, {"Retry-After": "2"}),
        "500": json_response({"message": "Internal Server Error"}, 500),
        "html": html_response(503),
        "malformed": malformed_response(),
        "timeout": slow_response(1.0),
        "dropped": dropped_connection(),
    }
    fake.script.push(answers[failure])
    landed = _land(store, _source(api_server, fake_time))
    wait_for_log(api_server, 3)
    # The server logs a request when its answer is done: a timed-out one comes last, so compare sorted.
    assert sorted(_requests_seen(api_server)) == [_window_request(0), _window_request(0), _window_request(1)]
    assert sorted(landed.column("flight_iata")) == ALL_DEPARTURES and len(landed.quarantine) == 1
    if failure == "429":
        assert fake_time.sleeps[0] == 2.0


def test_a_missing_airport_or_number_is_quarantined_under_required_keys_and_a_bad_time_under_timestamps_parse(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    no_airport = _dep("LH 500", "KJFK", "2024-06-01 08:00Z", "2024-06-01 10:00+02:00")
    # no code and no name (a name alone is kept as ZZZZ: see tests/unit/sources/test_aerodatabox_normalise.py)
    no_airport["arrival"]["airport"] = {"icao": None, "iata": None, "name": None}
    bad_time = _dep("LH 600", "KJFK", "2024-06-01 08:00Z", "2024-06-01 10:00+02:00")
    bad_time["departure"]["runwayTime"] = _time("yesterday morning", "2024-06-01 10:35+02:00")
    no_number = _dep("", "KJFK", "2024-06-01 09:00Z", "2024-06-01 11:00+02:00")
    fake.boards[("EDDF", "departures")] = [no_airport, bad_time, no_number]
    landed = _land(store, _source(api_server, fake_time))
    assert len(landed.rows) == 0
    assert [(q["record"]["number"], q["rule"], q["reason"]) for q in landed.quarantine] == [
        ("LH 500", "required_keys", "arrival.airport missing (no code, no name)"),
        ("LH 600", "timestamps_parse", "departure has a time that is not 'YYYY-MM-DD HH:MMZ'"),
        ("", "required_keys", "number missing: no flight number"),
    ]


def test_a_codeshare_without_its_operator_is_quarantined_under_required_keys(
    api_server: HTTPServer, fake: FakeAeroDataBox, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    assert [(q["record"]["number"], q["rule"]) for q in landed.quarantine] == [("EW 9", "required_keys")]
