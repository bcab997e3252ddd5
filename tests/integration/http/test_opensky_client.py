"""Contract tests: the OpenSky adapter against a local server (token endpoint and flights API)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from flightpipe.config import load_settings
from flightpipe.core.errors import (
    DayNotAvailableYet,
    QuotaExceeded,
    SourceAuthError,
    SourceResponseError,
    SourceUnavailable,
)
from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.sources import open_source, source_rows
from flightpipe.quality.records import RecordRuleSet
from flightpipe.sources.opensky.client import OpenSkySource
from flightpipe.sources.settings import OpenSkySettings
from tests.conftest import FakeTime, at
from tests.helpers.fake_apis import (
    FakeOpenSky,
    html_response,
    json_response,
    malformed_response,
    slow_response,
    wait_for_log,
)
from tests.helpers.source_helpers import Landed, land_board

CLIENT_ID = "flightpipe-test-api-client"
SECRET = "osk-secret-31415926535"
DAY = dt.date(2024, 6, 1)
BEGIN = int(dt.datetime(2024, 6, 1, tzinfo=dt.UTC).timestamp())
AS_OF = dt.datetime(2024, 6, 2, 7, 0, tzinfo=dt.UTC)


def _flight(callsign: str | None, dep: str | None, arr: str | None, first: int, last: int) -> dict[str, Any]:
    return {
        "icao24": "3c6444",
        "firstSeen": BEGIN + first,
        "estDepartureAirport": dep,
        "lastSeen": BEGIN + last,
        "estArrivalAirport": arr,
        "callsign": callsign,
        "estDepartureAirportHorizDistance": 1234,
        "estDepartureAirportVertDistance": 56,
        "estArrivalAirportHorizDistance": None,
        "estArrivalAirportVertDistance": None,
        "departureAirportCandidatesCount": 1,
        "arrivalAirportCandidatesCount": 0,
    }


NO_RECORD_RULES = RecordRuleSet(())

DEPARTURES = [
    _flight("DLH4AB  ", "EDDF", "EGLL", 6 * 3600, 7 * 3600 + 20 * 60),
    _flight("EWG9KL  ", "EDDF", None, 9 * 3600, 10 * 3600),
    _flight("N123AB  ", "EDDF", "LFPG", 23 * 3600 + 30 * 60, 24 * 3600 + 40 * 60),
    _flight(None, "EDDF", "EDDM", 12 * 3600, 13 * 3600),
    _flight("DLH9ZZ  ", "EDDF", "EDDM", -3600, 1800),  # left the day before: not on this day's board
]


@pytest.fixture
def fake(api_server: HTTPServer) -> FakeOpenSky:
    fake = FakeOpenSky(CLIENT_ID, SECRET, {("EDDF", "departures"): DEPARTURES})
    fake.register(api_server)
    return fake


def _source(server: HTTPServer, fake_time: FakeTime, **settings: Any) -> OpenSkySource:
    account = OpenSkySettings(
        base_url=server.url_for("/api"),
        token_url=server.url_for("/token"),
        requests_per_second=100,
        timeout_s=0.5,
        **settings,
    )
    return OpenSkySource(account, CLIENT_ID, SECRET, sleep=fake_time.sleep, clock=fake_time.monotonic)


def _land(
    store: ObjectStore,
    source: OpenSkySource,
    board: Board = Board.DEPARTURES,
    icao: str = "EDDF",
    as_of: dt.datetime = AS_OF,
    run_id: str = "r1",
    rules: RecordRuleSet | None = NO_RECORD_RULES,
) -> Landed:
    # These are contract tests of the adapter and its normaliser: record quality rules are off unless a test asks
    # for them (see test_default_quality_rules_keep_a_track_without_arrival_as_zzzz_and_quarantine_general_aviation).
    return land_board(store, source, icao=icao, day=DAY, board=board, as_of=as_of, run_id=run_id, rules=rules)


def _flights_request(kind: str = "departure", icao: str = "EDDF") -> tuple[str, str, dict[str, str]]:
    return ("GET", f"/api/flights/{kind}", {"airport": icao, "begin": str(BEGIN), "end": str(BEGIN + 86399)})


def _lines(server: HTTPServer) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (r.method, r.path, dict(r.args.items()) if r.method == "GET" else dict(r.form.items())) for r, _ in server.log
    ]


TOKEN_REQUEST = (
    "POST",
    "/token",
    {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET},
)


def test_a_board_is_one_utc_day_asked_with_a_client_credentials_token(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    assert _lines(api_server) == [TOKEN_REQUEST, _flights_request()]
    [_, (flights_request, _)] = api_server.log
    assert flights_request.headers["Authorization"] == f"Bearer {fake.issued[0]}"
    assert landed.collected.pages == 1 and landed.collected.records == 4


def test_callsigns_are_trimmed_and_mapped_to_the_airline_and_missing_fields_stay_null(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    rows = {r["flight_icao"]: r for r in landed.rows.to_pylist()}
    assert sorted(rows) == ["DLH4AB", "EWG9KL", "N123AB"]
    assert [(rows[c]["airline_icao"], rows[c]["airline_iata"], rows[c]["airline_name"]) for c in sorted(rows)] == [
        ("DLH", "LH", "Lufthansa"),
        ("EWG", "EW", "Eurowings"),
        (None, None, None),
    ]
    dlh = rows["DLH4AB"]
    assert (dlh["dep_actual_utc"], dlh["arr_actual_utc"], dlh["arr_airport_icao"], dlh["status"]) == (
        at("2024-06-01 06:00"),
        at("2024-06-01 07:20"),
        "EGLL",
        "landed",
    )
    never_filled = [
        "flight_iata",
        "flight_number",
        "dep_scheduled_utc",
        "dep_estimated_utc",
        "dep_delay_min",
        "dep_terminal",
        "dep_gate",
        "arr_baggage",
        "aircraft_registration",
        "aircraft_type_icao",
    ]
    assert {c: dlh[c] for c in never_filled} == dict.fromkeys(never_filled)
    assert rows["EWG9KL"]["status"] == "unknown"
    # 23:30 UTC is 01:30 local in Frankfurt: the flight date is the local date of departure.
    assert rows["N123AB"]["flight_date"] == dt.date(2024, 6, 2)
    assert [q["reason"] for q in landed.quarantine] == ["callsign missing: OpenSky cannot name the flight"]


def test_404_means_no_flights(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time), Board.ARRIVALS)
    assert _lines(api_server) == [TOKEN_REQUEST, _flights_request("arrival")]
    assert api_server.log[1][1].status_code == 404
    assert landed.envelope["pages"] == [] and len(landed.rows) == 0 and landed.quarantine == []


def test_credits_left_are_read_from_x_rate_limit_remaining(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    source = _source(api_server, fake_time)
    landed = _land(store, source)
    assert source.credits_remaining == 3996
    assert landed.envelope["requests"][-1]["rate_limit_remaining"] == "3996"


def test_the_token_is_reused_until_it_is_about_to_expire_then_renewed(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    source = _source(api_server, fake_time)
    _land(store, source, run_id="r1")
    _land(store, source, Board.ARRIVALS, run_id="r2")
    fake_time.now += 1800  # the token's 30 minutes are over
    _land(store, source, run_id="r3")
    assert [line[1] for line in _lines(api_server)] == [
        "/token",
        "/api/flights/departure",
        "/api/flights/arrival",
        "/token",
        "/api/flights/departure",
    ]
    assert api_server.log[4][0].headers["Authorization"] == f"Bearer {fake.issued[1]}"


def test_a_401_renews_the_token_and_sends_the_request_again(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    source = _source(api_server, fake_time)
    _land(store, source, run_id="r1")
    fake.expire_all_tokens()  # revoked early: the API answers 401
    landed = _land(store, source, run_id="r2")
    assert _lines(api_server) == [
        TOKEN_REQUEST,
        _flights_request(),
        _flights_request(),
        TOKEN_REQUEST,
        _flights_request(),
    ]
    assert [r.status_code for _, r in api_server.log] == [200, 200, 401, 200, 200]
    assert len(landed.rows) == 3


def test_bad_client_credentials_are_refused_without_retries(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    account = OpenSkySettings(base_url=api_server.url_for("/api"), token_url=api_server.url_for("/token"))
    source = OpenSkySource(account, CLIENT_ID, "wrong-secret-xyz", sleep=fake_time.sleep, clock=fake_time.monotonic)
    with pytest.raises(SourceAuthError, match="OpenSky refused the client credentials .HTTP 401, invalid_client"):
        _land(store, source)
    wrong = ("POST", "/token", {**TOKEN_REQUEST[2], "client_secret": "wrong-secret-xyz"})
    assert _lines(api_server) == [wrong] and fake_time.sleeps == [] and store.list("raw/") == []


@pytest.mark.parametrize("status", [400, 403])
def test_a_token_endpoint_refusal_is_a_credentials_error_and_is_not_retried(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore, status: int
) -> None:
    fake.token_script.push(json_response({"error": "unauthorized_client", "error_description": "no"}, status))
    with pytest.raises(
        SourceAuthError, match=f"OpenSky refused the client credentials .HTTP {status}, unauthorized_client"
    ):
        _land(store, _source(api_server, fake_time))
    assert _lines(api_server) == [TOKEN_REQUEST] and fake_time.sleeps == [] and store.list("raw/") == []


def test_a_token_answer_without_access_token_is_retried_then_the_board_lands(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.token_script.push(json_response({"token_type": "Bearer", "expires_in": 1800}))
    landed = _land(store, _source(api_server, fake_time))
    assert _lines(api_server) == [TOKEN_REQUEST, TOKEN_REQUEST, _flights_request()]
    assert sorted(landed.column("flight_icao")) == ["DLH4AB", "EWG9KL", "N123AB"]


def test_a_token_endpoint_that_never_sends_a_token_fails_after_max_attempts(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.token_script.push(*[json_response({"token_type": "Bearer"}) for _ in range(3)])
    with pytest.raises(SourceUnavailable, match="failed 3 times; last: the token endpoint answered HTTP 200 without"):
        _land(store, _source(api_server, fake_time, max_attempts=3))
    assert _lines(api_server) == [TOKEN_REQUEST] * 3 and store.list("raw/") == []


def test_a_404_with_a_body_is_an_error_not_an_empty_day(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(json_response({"error": "Not Found", "path": "/api/flights/departure"}, 404))
    with pytest.raises(
        SourceResponseError, match=r'HTTP 404 with a body \(is base_url right\?\): \{"error": "Not Found"'
    ):
        _land(store, _source(api_server, fake_time))
    assert _lines(api_server) == [TOKEN_REQUEST, _flights_request()] and store.list("raw/") == []


def test_a_200_that_is_not_a_list_of_flights_is_retried_then_the_board_lands(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(json_response({"flights": []}))
    landed = _land(store, _source(api_server, fake_time))
    assert _lines(api_server) == [TOKEN_REQUEST, _flights_request(), _flights_request()]
    assert sorted(landed.column("flight_icao")) == ["DLH4AB", "EWG9KL", "N123AB"]


def test_a_day_the_nightly_batch_has_not_processed_is_reported_as_such_not_as_an_empty_day(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    with pytest.raises(
        DayNotAvailableYet,
        match=r"2024-06-01 \(UTC\) is not processed by OpenSky's nightly batch yet; "
        "it is expected after 2024-06-02 06:00 UTC",
    ):
        _land(store, _source(api_server, fake_time), as_of=dt.datetime(2024, 6, 2, 3, 0, tzinfo=dt.UTC))
    assert len(api_server.log) == 0 and store.list("raw/") == []


def test_a_429_waits_x_rate_limit_retry_after_seconds_then_lands(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    source = _source(api_server, fake_time)
    _land(store, source, run_id="r0")  # a token first, so the script hits the flights request
    fake.script.push(json_response({}, 429, {"X-Rate-Limit-Retry-After-Seconds": "42"}))
    landed = _land(store, source, run_id="r1")
    assert 42.0 in fake_time.sleeps
    assert _lines(api_server) == [TOKEN_REQUEST, _flights_request(), _flights_request(), _flights_request()]
    assert [r.status_code for _, r in api_server.log] == [200, 200, 429, 200]
    assert sorted(landed.column("flight_icao")) == ["DLH4AB", "EWG9KL", "N123AB"]


def test_credits_used_up_for_longer_than_allowed_stop_the_source(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    source = _source(api_server, fake_time)
    _land(store, source, run_id="r0")
    fake.script.push(json_response({}, 429, {"X-Rate-Limit-Retry-After-Seconds": "50000"}))
    with pytest.raises(QuotaExceeded, match="credits are used up"):
        _land(store, source, run_id="r1")
    with pytest.raises(QuotaExceeded):
        _land(store, source, Board.ARRIVALS, run_id="r2")
    # No retry of the 429, and the arrivals board sent nothing.
    assert _lines(api_server) == [TOKEN_REQUEST, _flights_request(), _flights_request()]
    assert store.list("raw/EDDF/2024-06-01/arrivals") == []


@pytest.mark.parametrize("failure", ["500", "html", "malformed", "timeout"])
def test_a_transient_failure_is_retried_and_the_board_lands_the_same(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore, failure: str
) -> None:
    source = _source(api_server, fake_time)
    _land(store, source, run_id="r0")
    answers = {
        "500": json_response({"error": "x"}, 500),
        "html": html_response(502),
        "malformed": malformed_response(),
        "timeout": slow_response(1.0),
    }
    fake.script.push(answers[failure])
    landed = _land(store, source, run_id="r1")
    wait_for_log(api_server, 4)
    # The server logs a request when its answer is done: a timed-out one comes last, so compare sorted.
    assert sorted(_lines(api_server)) == sorted([TOKEN_REQUEST, *[_flights_request()] * 3])
    assert [r.headers["Authorization"] for r, _ in api_server.log if r.path != "/token"] == [
        f"Bearer {fake.issued[0]}"
    ] * 3
    assert sorted(landed.column("flight_icao")) == ["DLH4AB", "EWG9KL", "N123AB"]


def test_default_quality_rules_keep_a_track_without_arrival_as_zzzz_and_quarantine_general_aviation(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time), rules=None)
    # EWG9KL's destination is unknown to OpenSky (estArrivalAirport null): loaded with the arrival airport ZZZZ
    # (counted by the warn rule airports_known), status unknown (no landing seen), its times as OpenSky gave them
    rows = {row["flight_icao"]: row for row in landed.rows.to_pylist()}
    assert sorted(rows) == ["DLH4AB", "EWG9KL"]
    unknown_destination = rows["EWG9KL"]
    assert (unknown_destination["arr_airport_icao"], unknown_destination["arr_airport_iata"]) == ("ZZZZ", None)
    assert unknown_destination["status"] == "unknown"
    assert unknown_destination["arr_actual_utc"] == dt.datetime.fromtimestamp(BEGIN + 10 * 3600, dt.UTC)
    assert (rows["DLH4AB"]["arr_airport_icao"], rows["DLH4AB"]["status"]) == ("EGLL", "landed")
    assert [(q["rule"], q["reason"]) for q in landed.quarantine] == [
        (
            "codes_well_formed",
            "flight_icao 'N123AB' is not an ICAO flight id (airline code, up to 5 letters or digits)",
        ),
        ("required_keys", "callsign missing: OpenSky cannot name the flight"),
    ]


def test_an_arrival_whose_departure_airport_opensky_could_not_estimate_loads_with_zzzz(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.boards[("EGLL", "arrivals")] = [_flight("BAW9AB  ", None, "EGLL", 8 * 3600, 9 * 3600)]
    landed = _land(store, _source(api_server, fake_time), Board.ARRIVALS, icao="EGLL", rules=None)
    [row] = landed.rows.to_pylist()
    assert (row["flight_icao"], row["dep_airport_icao"], row["arr_airport_icao"]) == ("BAW9AB", "ZZZZ", "EGLL")
    # no departure airport, so no local zone: the flight date is firstSeen's UTC date
    assert (row["flight_date"], row["status"]) == (DAY, "landed")
    assert landed.quarantine == []


def test_a_missing_airport_or_time_is_quarantined_under_required_keys_and_a_time_not_in_seconds_under_parse(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    no_airport = _flight("DLH1AA  ", None, "EGLL", 8 * 3600, 9 * 3600)
    no_time = {**_flight("DLH2BB  ", "EDDF", "EGLL", 8 * 3600, 9 * 3600), "firstSeen": None}
    text_time = {**_flight("DLH3CC  ", "EDDF", "EGLL", 8 * 3600, 9 * 3600), "firstSeen": "2024-06-01T08:00"}
    fake.script.push(json_response([no_airport, no_time, text_time]))
    landed = _land(store, _source(api_server, fake_time))
    assert len(landed.rows) == 0
    assert sorted((q["record"]["callsign"], q["rule"], q["reason"]) for q in landed.quarantine) == [
        ("DLH1AA  ", "required_keys", "estDepartureAirport missing: the board's own airport"),
        ("DLH2BB  ", "required_keys", "firstSeen missing: no departure time, so no flight date"),
        (
            "DLH3CC  ",
            "parse",
            "record does not match the format: Could not convert '2024-06-01T08:00' with type str: tried to "
            "convert to int64",
        ),
    ]


def test_credits_reaching_zero_stop_the_source_after_landing_that_board(
    api_server: HTTPServer, fake: FakeOpenSky, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.credits = 4  # the departures board costs 4: the answer says 0 are left
    source = _source(api_server, fake_time)
    landed = _land(store, source)
    with pytest.raises(QuotaExceeded, match="opensky: no API credits left .X-Rate-Limit-Remaining: 0 on the last"):
        _land(store, source, Board.ARRIVALS, run_id="r2")
    assert _lines(api_server) == [TOKEN_REQUEST, _flights_request()]
    assert sorted(landed.column("flight_icao")) == ["DLH4AB", "EWG9KL", "N123AB"]


def test_flightpipe_sources_shows_the_last_credits_opensky_reported_or_unknown(
    api_server: HTTPServer,
    fake: FakeOpenSky,
    store: ObjectStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in {
        "SOURCE__TYPE": "opensky",
        "SOURCES__OPENSKY__CLIENT_ID": CLIENT_ID,
        "SOURCES__OPENSKY__CLIENT_SECRET": SECRET,
        "SOURCES__OPENSKY__BASE_URL": api_server.url_for("/api"),
        "SOURCES__OPENSKY__TOKEN_URL": api_server.url_for("/token"),
    }.items():
        monkeypatch.setenv(f"FLIGHTPIPE__{key}", value)
    settings = load_settings(data_dir=str(tmp_path / "data"))

    def opensky_used() -> str:
        return next(row.used for row in source_rows(settings) if row.name == "opensky")

    assert opensky_used() == "0; credits left unknown (none reported yet)"
    source = open_source(settings)
    _land(store, source)
    source.close()
    assert re.fullmatch(r"1; credits left 3996 \(as of \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", opensky_used())
