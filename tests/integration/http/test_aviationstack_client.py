"""Contract tests: the aviationstack adapter against a local server serving recorded-shape pages.

The board is the real page in tests/fixtures (2023-07-19), cut to Copenhagen's departures: 46 records,
codeshares included. Each test asserts the exact requests the server saw and the exact records that landed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request

from flightpipe.core.errors import (
    QuotaExceeded,
    SourceAuthError,
    SourceError,
    SourceResponseError,
    SourceUnavailable,
)
from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.sources.aviationstack.client import AviationstackPagesError, AviationstackSource
from flightpipe.sources.settings import AviationstackSettings
from tests.conftest import FIXTURE_SAMPLE_PAGE, FakeTime
from tests.helpers.fake_apis import (
    FakeAviationstack,
    dropped_connection,
    html_response,
    json_response,
    malformed_response,
    request_lines,
    slow_response,
    wait_for_log,
)
from tests.helpers.source_helpers import Landed, land_board

KEY = "avs-contract-key-5c4b3a21"
DAY = dt.date(2023, 7, 19)
AS_OF = dt.datetime(2023, 7, 20, 6, 0, tzinfo=dt.UTC)


def _sample() -> list[dict[str, Any]]:
    return list(json.loads(FIXTURE_SAMPLE_PAGE.read_text())["data"])


def _board(icao: str, side: str) -> list[dict[str, Any]]:
    return [r for r in _sample() if r[side]["icao"] == icao]


@pytest.fixture
def fake(api_server: HTTPServer) -> FakeAviationstack:
    fake = FakeAviationstack(
        KEY, {("EKCH", "departures"): _board("EKCH", "departure"), ("EDDF", "arrivals"): _board("EDDF", "arrival")}
    )
    fake.register(api_server)
    return fake


def _source(server: HTTPServer, fake_time: FakeTime, **settings: Any) -> AviationstackSource:
    account = AviationstackSettings(
        **{"base_url": server.url_for("/v1"), "page_limit": 20, "timeout_s": 0.5, **settings}
    )
    return AviationstackSource(account, KEY, sleep=fake_time.sleep, clock=fake_time.monotonic)


def _land(
    store: ObjectStore, source: AviationstackSource, icao: str = "EKCH", board: Board = Board.DEPARTURES
) -> Landed:
    return land_board(store, source, icao=icao, day=DAY, board=board, as_of=AS_OF)


def _expected_flights(records: list[dict[str, Any]]) -> list[str]:
    return sorted(r["flight"]["iata"].upper() for r in records)


def _page_requests(
    offsets: list[int], icao: str = "EKCH", by: str = "dep_icao"
) -> list[tuple[str, str, dict[str, str]]]:
    base = {"access_key": KEY, by: icao, "limit": "20", "flight_date": "2023-07-19"}
    return [("GET", "/v1/flights", {**base, "offset": str(o)}) for o in offsets]


def test_pagination_lands_every_record_of_the_board_once_using_limit_and_offset_until_total(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time))
    # Two passes: a board of several pages lands only when two passes in a row list the same records.
    assert request_lines(api_server) == _page_requests([0, 20, 40, 0, 20, 40])
    assert sorted(landed.column("flight_iata")) == _expected_flights(_board("EKCH", "departure"))
    assert landed.quarantine == [] and landed.collected.pages == 3 and landed.collected.records == 46
    assert landed.envelope["requests"][3] == {
        "pass": 1,
        "discarded": "kept for comparison: a board of several pages lands when two passes in a row list the same "
        "records",
    }
    codeshares = [r for r in landed.rows.to_pylist() if r["is_codeshare"]]
    assert {r["operating_flight_iata"] for r in codeshares} >= {"LH825"}


def test_the_arrivals_board_is_asked_by_arr_icao(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time), icao="EDDF", board=Board.ARRIVALS)
    assert request_lines(api_server) == _page_requests([0], icao="EDDF", by="arr_icao")
    assert sorted(landed.column("flight_iata")) == _expected_flights(_board("EDDF", "arrival"))


def test_todays_board_is_the_real_time_listing_without_flight_date(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    land_board(
        store,
        _source(api_server, fake_time),
        icao="EDDF",
        day=DAY,
        board=Board.ARRIVALS,
        as_of=dt.datetime(2023, 7, 19, 18, 0, tzinfo=dt.UTC),
    )
    assert request_lines(api_server) == [
        ("GET", "/v1/flights", {"access_key": KEY, "arr_icao": "EDDF", "limit": "20", "offset": "0"})
    ]


def _extra_record(iata: str = "DX999") -> dict[str, Any]:
    extra = copy.deepcopy(_board("EKCH", "departure")[0])
    extra["flight"] = {**extra["flight"], "iata": iata, "icao": f"DTR{iata[2:]}", "number": iata[2:]}
    return extra


def _change_once_at_offset(fake: FakeAviationstack, offset: str, *changes: str) -> None:
    """Before the first request for ``offset``: insert DX999 at the top, delete the top record, or append DX777."""
    done = False

    def shift(records: list[dict[str, Any]], request: Request) -> None:
        nonlocal done
        if not done and request.args.get("offset") == offset:
            done = True
            for change in changes:
                if change == "insert":
                    records.insert(0, _extra_record())
                elif change == "delete":
                    del records[0]
                else:
                    records.append(_extra_record("DX777"))

    fake.before_page = shift


def test_a_record_added_while_paging_discards_the_pass_and_lands_each_record_once(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    _change_once_at_offset(fake, "20", "insert")
    landed = _land(store, _source(api_server, fake_time))
    # Pass 1 saw the total move (46 -> 47) and a record twice; passes 2 and 3 read the settled listing and agree.
    assert request_lines(api_server) == _page_requests([0, 20, 40] * 3)
    assert sorted(landed.column("flight_iata")) == sorted([*_expected_flights(_board("EKCH", "departure")), "DX999"])
    assert landed.envelope["requests"][3] == {
        "pass": 1,
        "discarded": "listing changed while paging: total moved from 46 to 47 between pages",
    }


def test_a_record_removed_while_paging_loses_nothing_that_is_still_listed(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    _change_once_at_offset(fake, "20", "delete")
    landed = _land(store, _source(api_server, fake_time))
    assert request_lines(api_server) == _page_requests([0, 20, 40] * 3)
    assert sorted(landed.column("flight_iata")) == _expected_flights(_board("EKCH", "departure")[1:])


def test_a_removal_before_the_offset_and_an_addition_later_lose_no_record_though_every_count_holds(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    # Before page 2 of pass 1, DX38 (top) goes and DX777 is appended: the total stays 46, nothing comes twice,
    # and SK3503 slides from offset 20 to 19, which pass 1 already read. Pass 1 is consistent by every count.
    _change_once_at_offset(fake, "20", "delete", "append")
    landed = _land(store, _source(api_server, fake_time))
    assert request_lines(api_server) == _page_requests([0, 20, 40] * 3)
    still_listed = [*_board("EKCH", "departure")[1:], _extra_record("DX777")]
    assert sorted(landed.column("flight_iata")) == _expected_flights(still_listed)
    assert "SK3503" in landed.column("flight_iata") and "DX38" not in landed.column("flight_iata")
    assert [entry for entry in landed.envelope["requests"] if "pass" in entry] == [
        {
            "pass": 1,
            "discarded": "kept for comparison: a board of several pages lands when two passes in a row list the "
            "same records",
        },
        {
            "pass": 2,
            "discarded": "listing changed between passes: 1 record(s) new, 1 gone since the pass before",
        },
    ]


def test_a_board_of_one_page_is_one_snapshot_and_takes_one_request(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    landed = _land(store, _source(api_server, fake_time, page_limit=50))
    assert request_lines(api_server) == [
        (
            "GET",
            "/v1/flights",
            {"access_key": KEY, "dep_icao": "EKCH", "limit": "50", "flight_date": "2023-07-19", "offset": "0"},
        )
    ]
    assert sorted(landed.column("flight_iata")) == _expected_flights(_board("EKCH", "departure"))


def test_a_listing_that_never_settles_fails_clearly_after_max_passes_and_lands_nothing(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    counter = iter(range(10_000))
    template = _board("EKCH", "departure")[0]

    def grow(records: list[dict[str, Any]], request: Request) -> None:
        if request.args.get("offset") != "0":
            n = next(counter)
            records.insert(0, {**template, "flight": {**template["flight"], "iata": f"DX{n}", "codeshared": None}})

    fake.before_page = grow
    with pytest.raises(AviationstackPagesError, match="kept changing while it was paged \\(2 passes"):
        _land(store, _source(api_server, fake_time, max_passes=2))
    assert store.list("raw/") == []


@pytest.mark.parametrize(
    ("status", "code", "error", "says"),
    [
        (401, "invalid_access_key", SourceAuthError, "the access key is invalid"),
        (401, "missing_access_key", SourceAuthError, "no access key was sent"),
        (401, "inactive_user", SourceAuthError, "the account is inactive"),
        (403, "https_access_restricted", SourceAuthError, "set sources.aviationstack.allow_http = true"),
        (403, "function_access_restricted", SourceAuthError, "the plan does not include this endpoint"),
        (404, "invalid_api_function", SourceResponseError, r"aviationstack refused the request \(invalid_api_function"),
        (429, "usage_limit_reached", QuotaExceeded, "monthly request allowance is used up"),
        (200, "usage_limit_reached", QuotaExceeded, "monthly request allowance is used up"),
        (200, "invalid_access_key", SourceAuthError, "the access key is invalid"),
    ],
)
def test_each_error_code_is_a_typed_error_and_is_not_retried(
    api_server: HTTPServer,
    fake: FakeAviationstack,
    fake_time: FakeTime,
    store: ObjectStore,
    status: int,
    code: str,
    error: type[SourceError],
    says: str,
) -> None:
    fake.script.push(json_response({"error": {"code": code, "message": "as the API says it"}}, status))
    with pytest.raises(error, match=says):
        _land(store, _source(api_server, fake_time))
    assert request_lines(api_server) == _page_requests([0]) and fake_time.sleeps == []
    assert store.list("raw/") == []


def test_a_used_up_quota_stops_the_source_for_the_rest_of_the_run(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    source = _source(api_server, fake_time)
    fake.script.push(json_response({"error": {"code": "usage_limit_reached", "message": "limit"}}, 429))
    with pytest.raises(QuotaExceeded):
        _land(store, source)
    with pytest.raises(QuotaExceeded, match="usage_limit_reached"):
        _land(store, source, icao="EDDF", board=Board.ARRIVALS)
    assert len(api_server.log) == 1


@pytest.mark.parametrize(
    ("code", "status"), [("rate_limit_reached", 429), ("internal_error", 500), ("rate_limit_reached", 200)]
)
def test_retryable_error_codes_are_retried_then_the_board_lands(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore, code: str, status: int
) -> None:
    fake.script.push(json_response({"error": {"code": code, "message": "slow down"}}, status))
    landed = _land(store, _source(api_server, fake_time))
    assert request_lines(api_server) == _page_requests([0, 0, 20, 40, 0, 20, 40])
    assert sorted(landed.column("flight_iata")) == _expected_flights(_board("EKCH", "departure"))


@pytest.mark.parametrize(
    "body",
    [
        {"pagination": {"limit": 20, "offset": 0, "count": 0, "total": 46}},
        {"data": []},
        {"pagination": {"limit": 20, "offset": 0}, "data": []},
        [],
    ],
    ids=["no-data", "no-pagination", "no-total", "not-an-object"],
)
def test_a_200_page_without_data_and_pagination_is_retried_then_the_board_lands(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore, body: Any
) -> None:
    fake.script.push(json_response(body, 200))
    landed = _land(store, _source(api_server, fake_time))
    assert request_lines(api_server) == _page_requests([0, 0, 20, 40, 0, 20, 40])
    assert sorted(landed.column("flight_iata")) == _expected_flights(_board("EKCH", "departure"))


def test_a_200_page_that_never_has_data_fails_after_max_attempts_and_lands_nothing(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(*[json_response({"success": True}, 200) for _ in range(3)])
    with pytest.raises(SourceUnavailable, match="failed 3 times; last: HTTP 200 without 'data' and 'pagination'"):
        _land(store, _source(api_server, fake_time, max_attempts=3))
    assert request_lines(api_server) == _page_requests([0, 0, 0]) and store.list("raw/") == []


def test_a_429_with_retry_after_waits_that_long_then_the_board_lands(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    fake.script.push(json_response({"message": "Too many requests"}, 429, {"Retry-After": "9"}))
    landed = _land(store, _source(api_server, fake_time, requests_per_second=100))
    # 9 s as asked, then only the rate limit's spacing (100 requests/s).
    assert fake_time.sleeps[0] == 9.0 and all(s == pytest.approx(0.01) for s in fake_time.sleeps[1:])
    assert request_lines(api_server) == _page_requests([0, 0, 20, 40, 0, 20, 40])
    assert len(landed.rows) == 46


@pytest.mark.parametrize(
    "failure",
    ["500", "html", "malformed", "timeout", "dropped"],
)
def test_a_transient_failure_on_a_later_page_is_retried_and_every_record_lands_once(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore, failure: str
) -> None:
    answers = {
        "500": lambda: json_response({"error": {"code": "internal_error", "message": "x"}}, 500),
        "html": lambda: html_response(502),
        "malformed": malformed_response,
        "timeout": slow_response(1.0),
        "dropped": dropped_connection,
    }
    pages_served = 0

    def fail_second_page(records: list[dict[str, Any]], request: Request) -> None:
        nonlocal pages_served
        pages_served += 1

    fake.before_page = fail_second_page
    source = _source(api_server, fake_time)
    # The first page is answered normally, then the failure, then the rest.
    original = fake.answer

    def answer(request: Request) -> Any:
        if request.args.get("offset") == "20" and not getattr(answer, "failed", False):
            answer.failed = True  # type: ignore[attr-defined]
            return answers[failure]()
        return original(request)

    fake.answer = answer  # type: ignore[method-assign]
    landed = _land(store, source)
    # The server logs a request when its answer is done: the timed-out one comes last.
    wait_for_log(api_server, 7)
    by_offset = sorted(request_lines(api_server), key=lambda line: int(line[2]["offset"]))
    assert by_offset == _page_requests([0, 0, 20, 20, 20, 40, 40])
    assert sorted(landed.column("flight_iata")) == _expected_flights(_board("EKCH", "departure"))
    assert landed.quarantine == []


# Random mutation schedules -------------------------------------------------------------------------------------

_MUTATION = st.tuples(st.integers(0, 5), st.sampled_from(["insert", "delete"]), st.integers(0, 11))


def _tiny(n: int) -> dict[str, Any]:
    return {
        "flight_date": "2023-07-19",
        "flight": {"iata": f"XX{n}", "icao": None, "number": str(n)},
        "departure": {"icao": "EKCH", "scheduled": "2023-07-19T10:00:00+00:00"},
        "arrival": {"icao": "EDDF"},
    }


@settings(max_examples=300, deadline=None)
@given(size=st.integers(0, 11), schedule=st.lists(_MUTATION, max_size=6))
@example(size=9, schedule=[(1, "delete", 0), (1, "insert", 8)])  # the audit's case: every count holds
def test_whatever_inserts_and_deletes_happen_between_pages_each_record_listed_throughout_lands_once(
    size: int, schedule: list[tuple[int, str, int]]
) -> None:
    """Before request i (the first 9 only), a fresh record is inserted or one is removed, at a position. The pass
    that lands holds every record listed during all of its requests, once, and nothing never listed then."""
    listing = [_tiny(n) for n in range(size)]
    fresh = iter(range(1000, 2000))
    seen_by_request: list[set[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        for _, change, where in (m for m in schedule if m[0] == len(seen_by_request)):
            if change == "insert":
                listing.insert(where % (len(listing) + 1), _tiny(next(fresh)))
            elif listing:
                del listing[where % len(listing)]
        seen_by_request.append({r["flight"]["iata"] for r in listing})
        offset = int(request.url.params["offset"])
        page = listing[offset : offset + 3]
        return httpx.Response(200, json={"pagination": {"total": len(listing)}, "data": page})

    clock = FakeTime()
    account = AviationstackSettings(page_limit=3, max_passes=10, requests_per_second=100)
    source = AviationstackSource(
        account, KEY, transport=httpx.MockTransport(handler), sleep=clock.sleep, clock=clock.monotonic
    )
    fetched = source.fetch_board("EKCH", DAY, Board.DEPARTURES, as_of=AS_OF)
    landed = [r["flight"]["iata"] for page in fetched.pages for r in page["data"]]
    during = seen_by_request[len(seen_by_request) - len(fetched.pages) :]
    assert len(landed) == len(set(landed))
    assert set.intersection(*during) <= set(landed) <= set.union(*during)


def test_a_board_of_several_pages_with_max_passes_1_fails_naming_the_setting_and_lands_nothing(
    api_server: HTTPServer, fake: FakeAviationstack, fake_time: FakeTime, store: ObjectStore
) -> None:
    with pytest.raises(AviationstackPagesError, match="land only when two passes agree; .*max_passes = 1 allows one"):
        _land(store, _source(api_server, fake_time, max_passes=1))
    assert request_lines(api_server) == _page_requests([0, 20, 40]) and store.list("raw/") == []
