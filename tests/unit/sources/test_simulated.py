"""The simulated source: realistic, deterministic aviationstack pages and an independent ground truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flightpipe.core.layout import Board
from flightpipe.core.schema import FLIGHT_KEY, LINEAGE_COLUMNS, PROCESSED_SCHEMA
from flightpipe.reference.airports import airport, is_known_icao
from flightpipe.sources.simulated.model import (
    CURFEW_END_MIN,
    CURFEW_START_MIN,
    SimFlight,
    SimulatedSource,
    expected_processed_rows,
)
from flightpipe.sources.simulated.network import AIRLINES, MODELLED_AIRPORTS, route_specs
from flightpipe.sources.simulated.variety import (
    CURFEWS,
    HUB_WAVES,
    LOW_COST,
    NETWORK,
    bad_weather,
    carrier_kind,
)

UTC = dt.UTC
DAY = dt.date(2026, 11, 20)  # a Friday
AFTER_DAY = dt.datetime(2026, 11, 23, tzinfo=UTC)  # every flight of DAY has come down
REAL_MOVEMENTS = {"EDDF": 1200, "EDDM": 900, "EDDB": 550, "EDDL": 500, "EDDH": 350}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLE = FIXTURES / "aviationstack" / "aviationstack-flights-2023-07-19-page1.json"


@pytest.fixture(scope="module")
def source() -> SimulatedSource:
    # One instance for the module: its day cache keeps the whole file well under ten seconds.
    return SimulatedSource()


def records(
    source: SimulatedSource, icao: str, board: Board, day: dt.date = DAY, as_of: dt.datetime = AFTER_DAY
) -> list[dict[str, Any]]:
    return [r for page in source.fetch_board(icao, day, board, as_of=as_of).pages for r in page["data"]]


def operating(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in recs if r["flight"]["codeshared"] is None]


def movements(source: SimulatedSource, icao: str, day: dt.date) -> int:
    return sum(len(operating(records(source, icao, board, day))) for board in Board)


def label_to_utc(label: str, timezone: str) -> dt.datetime:
    """Undo aviationstack's quirk: the label is the local wall time, whatever its ``+00:00`` says."""
    assert label.endswith("+00:00")
    return dt.datetime.fromisoformat(label[:-6]).replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_minute(label: str) -> int:
    clock = dt.datetime.fromisoformat(label[:-6])
    return clock.hour * 60 + clock.minute


def rendered_times(recs: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for r in recs:
        for side in ("departure", "arrival"):
            for field in ("scheduled", "estimated", "actual"):
                if r[side][field] is not None:
                    yield r[side][field], r[side]["timezone"]


def key_tree(value: Any) -> Any:
    """The nested key structure of a JSON value (None where the value is not an object)."""
    if isinstance(value, dict):
        return {k: key_tree(v) for k, v in value.items()}
    return None


def board_digest(seed: int) -> str:
    src = SimulatedSource(seed=seed, scale=0.1)
    fetched = src.fetch_board("EDDB", DAY, Board.ARRIVALS, as_of=AFTER_DAY)
    return hashlib.sha256(json.dumps(fetched.pages, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ determinism


def test_same_seed_renders_identical_pages_in_new_instances_and_processes() -> None:
    in_process = board_digest(7)
    assert board_digest(7) == in_process
    assert board_digest(8) != in_process
    # A fresh interpreter with another hash salt must agree: the model never relies on hash().
    code = (
        "import datetime as dt, hashlib, json\n"
        "from flightpipe.core.layout import Board\n"
        "from flightpipe.sources.simulated.model import SimulatedSource\n"
        "src = SimulatedSource(seed=7, scale=0.1)\n"
        f"pages = src.fetch_board('EDDB', dt.date.fromisoformat('{DAY}'), Board.ARRIVALS,"
        f" as_of=dt.datetime.fromisoformat('{AFTER_DAY.isoformat()}')).pages\n"
        "print(hashlib.sha256(json.dumps(pages, sort_keys=True).encode()).hexdigest())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert out.stdout.strip() == in_process


# ------------------------------------------------------------------------------------------ volumes


def test_daily_movements_per_airport_are_within_15_percent_of_real_every_weekday(source: SimulatedSource) -> None:
    week = [DAY + dt.timedelta(days=k) for k in range(7)]
    counts = {icao: [movements(source, icao, day) for day in week] for icao in REAL_MOVEMENTS}
    for icao, real in REAL_MOVEMENTS.items():
        for count in counts[icao]:
            assert abs(count / real - 1) <= 0.15, (icao, counts[icao])
        assert len(set(counts[icao])) > 1, f"{icao} has no weekday variation: {counts[icao]}"
    assert min(counts["EDDF"]) == counts["EDDF"][1]  # Saturday (DAY + 1) is the quietest day at Frankfurt


def test_scale_multiplies_the_traffic() -> None:
    half = SimulatedSource(scale=0.5)
    count = movements(half, "EDDF", DAY)
    assert abs(count / (REAL_MOVEMENTS["EDDF"] * 0.5) - 1) <= 0.15


def test_departures_peak_in_the_morning_and_the_evening(source: SimulatedSource) -> None:
    # Berlin: no hub, so no waves (a hub's departures are tested below).
    hours = Counter(
        local_minute(r["departure"]["scheduled"]) // 60 for r in operating(records(source, "EDDB", Board.DEPARTURES))
    )
    morning, evening, midday = hours[6] + hours[7], hours[17] + hours[18], hours[12] + hours[13]
    assert morning > 1.3 * midday and evening > 1.3 * midday
    assert hours[5] < hours[7] and hours[22] < hours[18]


# ------------------------------------------------------------------------------------------ network realism


def test_every_route_joins_real_airports_with_real_airlines() -> None:
    for spec in route_specs():
        assert spec.origin in MODELLED_AIRPORTS and is_known_icao(spec.destination), spec
        info = AIRLINES[spec.airline]
        assert len(info.iata) == 2 and len(info.icao) == 3 and info.name
    by_airport = Counter((s.airline, s.origin) for s in route_specs())
    assert by_airport[("LH", "EDDF")] > 100 and by_airport[("LH", "EDDM")] > 100
    assert by_airport[("EW", "EDDL")] > 30 and by_airport[("EW", "EDDH")] > 20
    assert by_airport[("FR", "EDDB")] > 20 and by_airport[("U2", "EDDB")] > 20


def test_block_times_follow_great_circle_distance(source: SimulatedSource) -> None:
    flights = {(f.airline_iata, f.dep_icao, f.arr_icao): f for f in source.flights(DAY)}
    hours = {k: (f.arr_scheduled - f.dep_scheduled).total_seconds() / 3600 for k, f in flights.items()}
    assert 0.8 <= hours[("LH", "EDDF", "EDDM")] <= 1.3
    assert 1.3 <= hours[("LH", "EDDF", "EGLL")] <= 2.0
    assert 8.0 <= hours[("LH", "EDDF", "KJFK")] <= 9.5  # westbound, against the wind
    assert 7.0 <= hours[("LH", "KJFK", "EDDF")] <= 8.5
    assert 10.5 <= hours[("SQ", "EDDF", "WSSS")] <= 13.5


def test_flight_numbers_are_stable_for_a_route_from_week_to_week(source: SimulatedSource) -> None:
    def numbers(day: dt.date) -> set[str]:
        return {
            r["flight"]["iata"]
            for r in records(source, "EDDF", Board.DEPARTURES, day)
            if r["arrival"]["icao"] == "EGLL"
        }

    assert numbers(DAY) == numbers(DAY + dt.timedelta(days=7))
    assert len(numbers(DAY)) >= 10  # Lufthansa and British Airways, with their codeshares


# ------------------------------------------------------------------------------------------ record shape


def test_codeshare_records_have_exactly_the_keys_of_the_real_sample(source: SimulatedSource) -> None:
    if not SAMPLE.exists():
        pytest.skip(f"real aviationstack sample not found at {SAMPLE}")
    sample = json.loads(SAMPLE.read_text())["data"]
    sample_codeshare = next(r for r in sample if r["flight"]["codeshared"])
    ours = records(source, "EDDF", Board.DEPARTURES)
    codeshare = next(r for r in ours if r["flight"]["codeshared"] and r["aircraft"] is not None)
    expected = key_tree(sample_codeshare)
    # The sample's aircraft is null; aviationstack documents its object as these four keys.
    expected["aircraft"] = {"registration": None, "iata": None, "icao": None, "icao24": None}
    assert key_tree(codeshare) == expected
    shared = codeshare["flight"]["codeshared"]
    assert all(value == value.lower() for value in shared.values())
    operator = next(r for r in ours if r["flight"]["iata"].lower() == shared["flight_iata"])
    assert operator["flight"]["codeshared"] is None
    assert shared["airline_name"] == operator["airline"]["name"].lower()
    assert codeshare["airline"]["iata"] != operator["airline"]["iata"]
    assert codeshare["departure"] == operator["departure"] and codeshare["arrival"] == operator["arrival"]


def test_local_time_labels_round_trip_to_the_true_utc(source: SimulatedSource) -> None:
    truth = {(f.flight_iata, f.flight_date.isoformat()): f for f in source.flights(DAY)}
    checked = 0
    for r in operating(records(source, "EDDF", Board.ARRIVALS)):
        f = truth[(r["flight"]["iata"], r["flight_date"])]
        assert r["departure"]["timezone"] == airport(f.dep_icao).tz
        assert label_to_utc(r["departure"]["scheduled"], r["departure"]["timezone"]) == f.dep_scheduled
        assert label_to_utc(r["arrival"]["scheduled"], r["arrival"]["timezone"]) == f.arr_scheduled
        if f.arr_actual is not None:
            assert label_to_utc(r["arrival"]["actual"], r["arrival"]["timezone"]) == f.arr_actual
        checked += 1
    assert checked > 500
    assert all(
        len(label) == 25 and label[16:] == ":00+00:00"
        for label, _ in rendered_times(records(source, "EDDM", Board.DEPARTURES))
    )


def test_no_scheduled_estimated_or_actual_time_falls_in_the_local_curfew(source: SimulatedSource) -> None:
    for icao in MODELLED_AIRPORTS:
        for board in Board:
            for label, _ in rendered_times(records(source, icao, board)):
                assert not CURFEW_START_MIN <= local_minute(label) <= CURFEW_END_MIN, (icao, board, label)


def test_pages_carry_consistent_totals_and_never_repeat_a_record(source: SimulatedSource) -> None:
    fetched = source.fetch_board("EDDF", DAY, Board.DEPARTURES, as_of=AFTER_DAY)
    total = fetched.pages[0]["pagination"]["total"]
    assert len(fetched.pages) == math.ceil(total / 100) == len(fetched.requests)
    for index, page in enumerate(fetched.pages):
        assert page["pagination"] == {"limit": 100, "offset": 100 * index, "count": len(page["data"]), "total": total}
        assert fetched.requests[index]["url"].endswith(
            f"dep_icao=EDDF&flight_date={DAY}&limit=100&offset={100 * index}"
        )
    keys = [
        (r["flight_date"], r["flight"]["iata"], r["departure"]["icao"]) for page in fetched.pages for r in page["data"]
    ]
    assert len(keys) == len(set(keys)) == total == fetched.record_count
    times = [label_to_utc(r["departure"]["scheduled"], "Europe/Berlin") for page in fetched.pages for r in page["data"]]
    assert times == sorted(times)


def test_an_empty_board_is_one_page_with_total_zero() -> None:
    fetched = SimulatedSource(scale=0.1).fetch_board("EGPD", DAY, Board.DEPARTURES, as_of=AFTER_DAY)
    assert fetched.pages == [{"pagination": {"limit": 100, "offset": 0, "count": 0, "total": 0}, "data": []}]


def test_a_foreign_airport_board_holds_its_flights_to_and_from_the_modelled_airports(
    source: SimulatedSource,
) -> None:
    recs = operating(records(source, "LOWW", Board.DEPARTURES))
    assert 20 <= len(recs) <= 80
    assert {r["arrival"]["icao"] for r in recs} <= set(MODELLED_AIRPORTS)
    with pytest.raises(ValueError, match="unknown airport"):
        source.fetch_board("ZZZZ", DAY, Board.DEPARTURES, as_of=AFTER_DAY)


# ------------------------------------------------------------------------------------------ board semantics


def test_overnight_flights_sit_on_the_next_days_arrivals_board(source: SimulatedSource) -> None:
    arrivals = operating(records(source, "EDDF", Board.ARRIVALS))
    previous_day = [r for r in arrivals if r["flight_date"] == (DAY - dt.timedelta(days=1)).isoformat()]
    assert len(previous_day) >= 20
    assert {r["departure"]["icao"] for r in previous_day} & {"KJFK", "KORD", "WSSS", "VTBS"}
    departures = operating(records(source, "EDDF", Board.DEPARTURES))
    assert sum(r["arrival"]["scheduled"][:10] > r["flight_date"] for r in departures) >= 20


def test_a_flight_between_modelled_airports_is_on_both_boards(source: SimulatedSource) -> None:
    departures = {
        r["flight"]["iata"]: r for r in records(source, "EDDF", Board.DEPARTURES) if r["arrival"]["icao"] == "EDDM"
    }
    arrivals = {
        r["flight"]["iata"]: r for r in records(source, "EDDM", Board.ARRIVALS) if r["departure"]["icao"] == "EDDF"
    }
    assert len(departures) >= 8 and departures.keys() == arrivals.keys()
    for flight, dep_record in departures.items():
        arr_record = arrivals[flight]
        for field in ("flight_date", "flight_status", "airline", "flight", "aircraft"):
            assert dep_record[field] == arr_record[field]


def test_each_board_knows_its_own_side_and_projects_the_other(source: SimulatedSource) -> None:
    truth = {f.flight_iata: f for f in source.flights(DAY) if f.dep_icao == "EDDF" and f.arr_icao == "EDDM"}
    dep_board = {r["flight"]["iata"]: r for r in operating(records(source, "EDDF", Board.DEPARTURES))}
    arr_board = {r["flight"]["iata"]: r for r in operating(records(source, "EDDM", Board.ARRIVALS))}
    for flight, f in truth.items():
        if f.cancelled or f.diverted:
            continue
        d, a = dep_board[flight], arr_board[flight]
        dep_delay = f.dep_actual - f.dep_scheduled  # type: ignore[operator]
        assert (d["departure"]["gate"], d["departure"]["terminal"]) == (f.dep_gate, f.dep_terminal)
        assert label_to_utc(d["departure"]["actual"], "Europe/Berlin") == f.dep_actual
        assert d["arrival"]["actual"] is None and d["arrival"]["gate"] is None and d["arrival"]["baggage"] is None
        assert label_to_utc(d["arrival"]["estimated"], "Europe/Berlin") == f.arr_scheduled + dep_delay
        assert (a["arrival"]["gate"], a["arrival"]["baggage"]) == (f.arr_gate, f.arr_baggage)
        assert label_to_utc(a["arrival"]["actual"], "Europe/Berlin") == f.arr_actual
        assert a["departure"]["estimated"] == a["departure"]["scheduled"] and a["departure"]["delay"] is None
        assert label_to_utc(a["departure"]["actual"], "Europe/Berlin") == f.dep_actual
        assert a["departure"]["gate"] is None and a["departure"]["terminal"] is None


def _fair_weather(source: SimulatedSource, f: SimFlight) -> bool:
    return not (
        bad_weather(source.seed, f.dep_icao, f.flight_date) or bad_weather(source.seed, f.arr_icao, f.flight_date)
    )


def test_about_two_percent_of_flights_are_cancelled_and_diversions_are_rare(source: SimulatedSource) -> None:
    flights = [
        f
        for day in (DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2))
        for f in source.flights(day)
        if f.flight_date == day and _fair_weather(source, f)  # bad-weather days cancel more (tested below)
    ]
    statuses = Counter(f.status.value for f in flights)
    assert 0.012 <= statuses["cancelled"] / len(flights) <= 0.035
    assert 0 < statuses["diverted"] / len(flights) <= 0.006
    assert all(f.arr_actual is None and f.landing_at is not None for f in flights if f.diverted)


def test_departure_delays_have_a_long_tail_and_some_arrivals_are_early(source: SimulatedSource) -> None:
    flights = [f for f in source.flights(DAY) if f.flight_date == DAY and f.dep_delay_min is not None]
    delays = [f.dep_delay_min for f in flights if f.dep_delay_min is not None and _fair_weather(source, f)]
    on_time = sum(abs(d) <= 15 for d in delays) / len(delays)
    assert 0.62 <= on_time <= 0.75  # a Friday, in fair weather
    assert any(d > 180 for d in delays)
    assert sum(f.arr_delay_min is not None and f.arr_delay_min < 0 for f in flights) > len(flights) * 0.2


# ------------------------------------------------------------------------------------------ variety

#: Four weeks from DAY: enough airport-days for bad weather, weekdays and airlines to show.
FOUR_WEEKS = [DAY + dt.timedelta(days=i) for i in range(28)]


def _on_time(flights: list[SimFlight]) -> float:
    delays = [f.dep_delay_min for f in flights if f.dep_delay_min is not None]
    return sum(d <= 15 for d in delays) / len(delays)


@pytest.fixture(scope="module")
def four_weeks() -> list[SimFlight]:
    small = SimulatedSource(scale=0.3)
    return [f for day in FOUR_WEEKS for f in small.flights(day) if f.flight_date == day]


def test_bad_weather_days_at_an_airport_delay_and_cancel_more_and_are_few(four_weeks: list[SimFlight]) -> None:
    seed = SimulatedSource().seed
    bad_days = [(icao, d) for icao in MODELLED_AIRPORTS for d in FOUR_WEEKS if bad_weather(seed, icao, d)]
    assert 0 < len(bad_days) <= 0.15 * len(MODELLED_AIRPORTS) * len(FOUR_WEEKS)
    stormy = [f for f in four_weeks if (f.dep_icao, f.flight_date) in bad_days]
    calm = [f for f in four_weeks if not bad_weather(seed, f.dep_icao, f.flight_date)]
    calm = [f for f in calm if not bad_weather(seed, f.arr_icao, f.flight_date)]

    def cancelled(flights: list[SimFlight]) -> float:
        return sum(f.cancelled for f in flights) / len(flights)

    assert cancelled(stormy) > 3 * cancelled(calm) and cancelled(stormy) > 0.05
    assert _on_time(stormy) < _on_time(calm) - 0.15


def test_airlines_differ_in_punctuality_and_fridays_run_later_than_tuesdays(four_weeks: list[SimFlight]) -> None:
    by_airline: dict[str, list[SimFlight]] = {}
    for f in four_weeks:
        by_airline.setdefault(f.airline_iata, []).append(f)
    shares = [_on_time(fs) for fs in by_airline.values() if len(fs) >= 200]
    assert len(shares) >= 5 and max(shares) - min(shares) > 0.08
    friday = [f for f in four_weeks if f.flight_date.weekday() == 4]
    tuesday = [f for f in four_weeks if f.flight_date.weekday() == 1]
    assert _on_time(friday) < _on_time(tuesday)


def test_the_same_weekday_differs_from_week_to_week(four_weeks: list[SimFlight]) -> None:
    fridays = [[f for f in four_weeks if f.flight_date == DAY + dt.timedelta(weeks=w)] for w in range(4)]
    assert len({round(_on_time(day), 3) for day in fridays}) == 4


def _kind(f: SimFlight) -> str:
    airline = AIRLINES[f.airline_iata]
    return carrier_kind(low_cost=airline.low_cost, leisure=airline.leisure)


def _local_hour(t: dt.datetime, zone: str) -> int:
    return t.astimezone(ZoneInfo(zone)).hour


def test_low_cost_carriers_run_later_than_network_carriers(four_weeks: list[SimFlight]) -> None:
    low_cost = [f for f in four_weeks if _kind(f) == LOW_COST]
    network = [f for f in four_weeks if _kind(f) == NETWORK]
    assert len(low_cost) > 1000 and _on_time(low_cost) < _on_time(network) - 0.04


def test_low_cost_carriers_run_later_hour_by_hour_as_their_short_turns_pass_delays_on(
    four_weeks: list[SimFlight],
) -> None:
    def morning_minus_evening(kind: str) -> float:
        flights = [f for f in four_weeks if _kind(f) == kind]
        morning = [f for f in flights if _local_hour(f.dep_scheduled, f.dep_timezone) < 9]
        evening = [f for f in flights if _local_hour(f.dep_scheduled, f.dep_timezone) >= 17]
        return _on_time(morning) - _on_time(evening)

    assert morning_minus_evening(LOW_COST) > morning_minus_evening(NETWORK) + 0.1


def test_network_carriers_cut_more_of_their_flights_on_a_bad_weather_day(four_weeks: list[SimFlight]) -> None:
    seed = SimulatedSource().seed

    def extra_cancellations(kind: str) -> float:
        flights = [f for f in four_weeks if _kind(f) == kind]
        stormy = [f for f in flights if not _fair_weather_at(seed, f)]
        calm = [f for f in flights if _fair_weather_at(seed, f)]
        return sum(f.cancelled for f in stormy) / len(stormy) - sum(f.cancelled for f in calm) / len(calm)

    assert extra_cancellations(NETWORK) > 1.3 * extra_cancellations(LOW_COST) > 0


def _fair_weather_at(seed: int, f: SimFlight) -> bool:
    return not (bad_weather(seed, f.dep_icao, f.flight_date) or bad_weather(seed, f.arr_icao, f.flight_date))


@pytest.mark.parametrize("hub", sorted(HUB_WAVES))
def test_a_hub_carriers_departures_from_its_hub_leave_in_waves(source: SimulatedSource, hub: str) -> None:
    carriers, centres = HUB_WAVES[hub]
    minutes = [
        local.hour * 60 + local.minute
        for f in source.flights(DAY)
        if f.flight_date == DAY and f.dep_icao == hub and f.airline_iata in carriers
        for local in [f.dep_scheduled.astimezone(ZoneInfo(f.dep_timezone))]
    ]

    def between(low: int, high: int) -> int:
        return sum(low <= m < high for m in minutes)

    for centre in centres:  # the hour around a wave against the hour between it and the next
        assert between(centre - 30, centre + 30) >= 3 * between(centre + 60, centre + 120) + 10


def test_no_flight_is_scheduled_in_a_curfew_and_none_moves_after_the_delayed_ones(
    four_weeks: list[SimFlight],
) -> None:
    def night(icao: str, t: dt.datetime | None, zone: str, start: int) -> bool:
        if t is None:
            return False
        local = t.astimezone(ZoneInfo(zone))
        minute, end = local.hour * 60 + local.minute, CURFEWS[icao].end
        start %= 24 * 60
        return start <= minute < end if start < end else (minute >= start or minute < end)

    moves = [(f.dep_icao, f.dep_scheduled, f.dep_actual, f.dep_timezone) for f in four_weeks]
    moves += [(f.arr_icao, f.arr_scheduled, f.arr_actual, f.arr_timezone) for f in four_weeks]
    at_curfew_airports = [m for m in moves if m[0] in CURFEWS]
    assert len(at_curfew_airports) > 10_000
    assert [m for m in at_curfew_airports if night(m[0], m[1], m[3], CURFEWS[m[0]].start)] == []
    assert [m for m in at_curfew_airports if night(m[0], m[2], m[3], CURFEWS[m[0]].delayed_until)] == []


# ------------------------------------------------------------------------------------------ as_of


def test_an_earlier_collection_shows_flights_in_progress_and_a_later_one_shows_them_final(
    source: SimulatedSource,
) -> None:
    midday = dt.datetime.combine(DAY, dt.time(11, 0), tzinfo=UTC)
    early = Counter(r["flight_status"] for r in records(source, "EDDF", Board.DEPARTURES, as_of=midday))
    assert early["scheduled"] > 100 and early["active"] > 20 and early["landed"] > 50
    late = Counter(r["flight_status"] for r in records(source, "EDDF", Board.DEPARTURES))
    assert set(late) <= {"landed", "cancelled", "diverted"} and late["landed"] > 900
    later = source.fetch_board("EDDF", DAY, Board.DEPARTURES, as_of=AFTER_DAY + dt.timedelta(days=30))
    assert later == source.fetch_board("EDDF", DAY, Board.DEPARTURES, as_of=AFTER_DAY)


def test_a_cancellation_shows_three_hours_before_the_scheduled_departure(source: SimulatedSource) -> None:
    f = next(f for f in source.flights(DAY) if f.cancelled and f.dep_icao == "EDDF" and f.flight_date == DAY)

    def status(as_of: dt.datetime) -> str:
        recs = records(source, "EDDF", Board.DEPARTURES, as_of=as_of)
        return str(next(r["flight_status"] for r in recs if r["flight"]["iata"] == f.flight_iata))

    notice = f.dep_scheduled - dt.timedelta(hours=3)
    assert status(notice - dt.timedelta(minutes=1)) == "scheduled"
    assert status(notice) == "cancelled"


# ------------------------------------------------------------------------------------------ ground truth


def test_expected_rows_hold_each_physical_flight_once_and_never_a_codeshare(source: SimulatedSource) -> None:
    airports = ["EDDF", "EDDM"]
    rows = expected_processed_rows(source, airports, list(Board), [DAY], AFTER_DAY)
    assert list(rows[0]) == [n for n in PROCESSED_SCHEMA.names if n not in LINEAGE_COLUMNS]
    keys = [tuple(row[k] for k in FLIGHT_KEY) for row in rows]
    assert len(keys) == len(set(keys))
    on_boards = {
        (r["flight_date"], r["flight"]["iata"], r["departure"]["icao"])
        for icao in airports
        for board in Board
        for r in operating(records(source, icao, board))
    }
    assert {(d.isoformat(), f, a) for d, f, a in keys} == on_boards
    marketing = {code for row in rows for code in row["codeshare_flight_iatas"]}
    assert marketing and not marketing & {row["flight_iata"] for row in rows}
    assert all(row["codeshare_flight_iatas"] == sorted(row["codeshare_flight_iatas"]) for row in rows)


def test_expected_rows_take_each_side_from_its_own_board(source: SimulatedSource) -> None:
    rows = expected_processed_rows(source, ["EDDF", "EDDM"], list(Board), [DAY], AFTER_DAY)
    truth: dict[tuple[dt.date, str, str], SimFlight] = {f.key: f for f in source.flights(DAY)}
    both = [
        r
        for r in rows
        if r["dep_airport_icao"] == "EDDF"
        and r["arr_airport_icao"] == "EDDM"
        and r["status"] == "landed"
        and r["flight_date"] == DAY
    ]
    assert both and all(r["seen_on_departures"] and r["seen_on_arrivals"] for r in both)
    for row in both:
        f = truth[(row["flight_date"], row["flight_iata"], row["dep_airport_icao"])]
        assert (row["dep_gate"], row["arr_gate"], row["arr_baggage"]) == (f.dep_gate, f.arr_gate, f.arr_baggage)
        assert (row["dep_actual_utc"], row["arr_actual_utc"]) == (f.dep_actual, f.arr_actual)
        assert row["arr_estimated_utc"] == f.arr_actual and row["dep_estimated_utc"] == f.dep_actual
    only_departures = expected_processed_rows(source, ["EDDF"], [Board.DEPARTURES], [DAY], AFTER_DAY)
    abroad = next(r for r in only_departures if r["arr_airport_icao"] == "EGLL" and r["status"] == "landed")
    assert abroad["arr_actual_utc"] is None and abroad["arr_gate"] is None and not abroad["seen_on_arrivals"]
    assert abroad["dep_scheduled_utc"].tzinfo == UTC


def test_an_airport_the_model_does_not_cover_gets_one_warning_that_its_traffic_is_small(
    source: SimulatedSource, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="flightpipe.sources.simulated.model"):
        source.fetch_board("EDDH", DAY, Board.DEPARTURES, as_of=AFTER_DAY)
        small = len(records(source, "KJFK", Board.DEPARTURES))
        records(source, "KJFK", Board.ARRIVALS)
    [warning] = caplog.messages
    assert warning.startswith("KJFK is not one of the simulated source's modelled airports (")
    assert f"({small} records on the departures board of {DAY})" in warning and small < 100
