from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightpipe.core.layout import Board, collection_dates_for, flight_dates_touched, processed_file
from flightpipe.core.schema import PROCESSED_SCHEMA, TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.stages.process import (
    dedupe,
    process_flight_dates,
    read_partition,
)
from flightpipe.stages.transform import transform_raw_object
from tests.helpers.sample_envelopes import land

DAY = dt.date(2026, 6, 10)
EARLY = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 6, 11, 6, 0, tzinfo=dt.UTC)


def _side(icao: str, iata: str, scheduled: str, **extra: Any) -> dict[str, Any]:
    side = {
        "airport": icao,
        "timezone": "Europe/Berlin",
        "iata": iata,
        "icao": icao,
        "terminal": None,
        "gate": None,
        "delay": None,
        "scheduled": f"2026-06-10T{scheduled}:00+00:00",
        "estimated": None,
        "actual": None,
        "estimated_runway": None,
        "actual_runway": None,
    }
    side.update(extra)
    return side


def _flight(number: str, airline: str = "LH", operator: str | None = None, **sides: Any) -> dict[str, Any]:
    codeshared = None
    if operator:
        codeshared = {
            "airline_name": "lufthansa",
            "airline_iata": operator[:2].lower(),
            "airline_icao": "dlh",
            "flight_number": operator[2:],
            "flight_iata": operator.lower(),
            "flight_icao": ("dlh" + operator[2:]),
        }
    return {
        "flight_date": "2026-06-10",
        "flight_status": sides.pop("status", "landed"),
        "departure": sides.pop("departure"),
        "arrival": sides.pop("arrival"),
        "airline": {
            "name": {"LH": "Lufthansa", "UA": "United Airlines", "AC": "Air Canada"}[airline],
            "iata": airline,
            "icao": {"LH": "DLH", "UA": "UAL", "AC": "ACA"}[airline],
        },
        "flight": {"number": number, "iata": f"{airline}{number}", "icao": None, "codeshared": codeshared},
        "aircraft": None,
        "live": None,
    }


def _run(
    store: ObjectStore, boards: list[tuple[str, Board, dt.datetime, str, list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    for icao, board, fetched, run_id, records in boards:
        transform_raw_object(
            store, land(store, records, icao=icao, day=DAY, board=board, run_id=run_id, fetched_at=fetched)
        )
    process_flight_dates(store, [DAY])
    return read_partition(store, DAY).to_pylist()


def test_codeshare_records_collapse_into_their_operating_flight(store: ObjectStore) -> None:
    dep = _side("EDDF", "FRA", "10:00")
    arr = _side("KJFK", "JFK", "12:30")
    rows = _run(
        store,
        [
            (
                "EDDF",
                Board.DEPARTURES,
                LATE,
                "r1",
                [
                    _flight("400", departure=dep, arrival=arr),
                    _flight("8840", airline="UA", operator="LH400", departure=dep, arrival=arr),
                    _flight("6772", airline="AC", operator="LH400", departure=dep, arrival=arr),
                ],
            )
        ],
    )
    assert len(rows) == 1
    assert (rows[0]["flight_iata"], rows[0]["airline_name"], rows[0]["codeshare_flight_iatas"]) == (
        "LH400",
        "Lufthansa",
        ["AC6772", "UA8840"],
    )


def test_a_flight_seen_only_through_codeshares_is_still_one_flight_of_its_operator(store: ObjectStore) -> None:
    dep = _side("EDDF", "FRA", "10:00")
    arr = _side("KJFK", "JFK", "12:30")
    rows = _run(
        store,
        [
            (
                "EDDF",
                Board.DEPARTURES,
                LATE,
                "r1",
                [
                    _flight("8840", airline="UA", operator="LH400", departure=dep, arrival=arr),
                    _flight("6772", airline="AC", operator="LH400", departure=dep, arrival=arr),
                ],
            )
        ],
    )
    assert [(r["flight_iata"], r["airline_iata"], r["codeshare_flight_iatas"]) for r in rows] == [
        ("LH400", "LH", ["AC6772", "UA8840"])
    ]


def test_both_ends_merge_with_departure_facts_from_the_departure_board_and_arrival_facts_from_the_arrival_board(
    store: ObjectStore,
) -> None:
    # MUC's departures board (collected later) still has a stale view of the arrival; FRA's arrivals board has
    # a stale view of the departure. Each side must come from its own board regardless of collection time.
    on_muc_departures = _flight(
        "100",
        departure=_side(
            "EDDM",
            "MUC",
            "07:00",
            estimated="2026-06-10T07:20:00+00:00",
            actual="2026-06-10T07:21:00+00:00",
            delay=21,
            gate="G12",
            terminal="2",
        ),
        arrival=_side("EDDF", "FRA", "08:05", estimated="2026-06-10T08:25:00+00:00"),
    )
    on_fra_arrivals = _flight(
        "100",
        departure=_side(
            "EDDM", "MUC", "07:00", estimated="2026-06-10T07:00:00+00:00", actual="2026-06-10T07:21:00+00:00"
        ),
        arrival=_side(
            "EDDF",
            "FRA",
            "08:05",
            estimated="2026-06-10T08:17:00+00:00",
            actual="2026-06-10T08:17:00+00:00",
            delay=12,
            gate="A20",
            baggage="7",
        ),
    )
    rows = _run(
        store,
        [
            ("EDDF", Board.ARRIVALS, EARLY, "r1", [on_fra_arrivals]),
            ("EDDM", Board.DEPARTURES, LATE, "r2", [on_muc_departures]),
        ],
    )
    assert len(rows) == 1
    row = rows[0]
    utc = dt.UTC
    assert (row["dep_estimated_utc"], row["dep_delay_min"], row["dep_gate"], row["dep_terminal"]) == (
        dt.datetime(2026, 6, 10, 5, 20, tzinfo=utc),
        21,
        "G12",
        "2",
    )
    assert (
        row["arr_estimated_utc"],
        row["arr_actual_utc"],
        row["arr_delay_min"],
        row["arr_gate"],
        row["arr_baggage"],
    ) == (dt.datetime(2026, 6, 10, 6, 17, tzinfo=utc), dt.datetime(2026, 6, 10, 6, 17, tzinfo=utc), 12, "A20", "7")
    assert (row["seen_on_departures"], row["seen_on_arrivals"], row["observation_count"]) == (True, True, 2)


def test_the_newest_observation_wins_field_by_field_where_it_is_not_null(store: ObjectStore) -> None:
    older = _flight(
        "400",
        status="scheduled",
        departure=_side("EDDF", "FRA", "10:00", gate="B44", terminal="1"),
        arrival=_side("KJFK", "JFK", "12:30"),
    )
    newer = _flight(
        "400",
        status="landed",
        departure=_side("EDDF", "FRA", "10:00", gate="B46", actual="2026-06-10T10:03:00+00:00"),
        arrival=_side("KJFK", "JFK", "12:30"),
    )
    rows = _run(
        store, [("EDDF", Board.DEPARTURES, EARLY, "r1", [older]), ("EDDF", Board.DEPARTURES, LATE, "r2", [newer])]
    )
    row = rows[0]
    assert (row["status"], row["dep_gate"], row["dep_terminal"], row["run_id"], row["collected_at_utc"]) == (
        "landed",
        "B46",
        "1",
        "r2",
        LATE,
    )


def test_partition_is_one_file_replaced_on_reprocessing(store: ObjectStore) -> None:
    flight = _flight("400", departure=_side("EDDF", "FRA", "10:00"), arrival=_side("KJFK", "JFK", "12:30"))
    _run(store, [("EDDF", Board.DEPARTURES, LATE, "r1", [flight])])
    store.put(processed_file(DAY).replace("part-00000", "part-00001"), b"stray")
    process_flight_dates(store, [DAY])
    assert store.list(f"processed/all_data/flight-date={DAY}/") == [processed_file(DAY)]


def test_collection_window_and_touched_dates_are_inverse() -> None:
    assert collection_dates_for([DAY]) == [DAY + dt.timedelta(days=d) for d in (-1, 0, 1, 2)]
    assert flight_dates_touched([DAY]) == [DAY + dt.timedelta(days=d) for d in (-2, -1, 0, 1)]


# --- property: the SQL agrees with an independent reference implementation -----------------------------------

FLIGHTS = ["LH400", "LH401", "UA900"]
AIRPORTS = ["EDDF", "EDDM", "KJFK"]


@st.composite
def observations(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(min_value=1, max_value=14))):
        flight = draw(st.sampled_from(FLIGHTS))
        dep, arr = {"LH400": ("EDDF", "KJFK"), "LH401": ("KJFK", "EDDF"), "UA900": ("EDDM", "EDDF")}[flight]
        board = draw(st.sampled_from(["departures", "arrivals"]))
        codeshare = draw(st.booleans())
        maybe = lambda: draw(st.one_of(st.none(), st.sampled_from(["A1", "B2", "C3"])))  # noqa: E731
        minute = lambda: draw(st.one_of(st.none(), st.integers(0, 50)))  # noqa: E731
        ts = lambda m: None if m is None else dt.datetime(2026, 6, 10, 10, m, tzinfo=dt.UTC)  # noqa: E731
        row = {name: None for name in TRANSFORMED_SCHEMA.names}
        row.update(
            flight_date=DAY,
            flight_iata=f"XX{i}" if codeshare else flight,
            is_codeshare=codeshare,
            operating_flight_iata=flight,
            operating_airline_iata=flight[:2],
            airline_iata="XX" if codeshare else flight[:2],
            airline_name=None if codeshare else flight[:2] + " Airlines",
            dep_airport_icao=dep,
            arr_airport_icao=arr,
            dep_scheduled_utc=ts(0),
            dep_actual_utc=ts(minute()),
            dep_runway_utc=ts(minute()),
            arr_runway_utc=ts(minute()),
            dep_gate=maybe(),
            dep_delay_min=minute(),
            arr_estimated_utc=ts(minute()),
            arr_gate=maybe(),
            arr_baggage=maybe(),
            status=draw(st.sampled_from(["scheduled", "active", "landed"])),
            source="simulated",
            board=board,
            board_airport_icao=dep if board == "departures" else arr,
            collected_at_utc=dt.datetime(2026, 6, 11, draw(st.integers(0, 3)), tzinfo=dt.UTC),
            raw_key=f"raw/{dep}/2026-06-10/{board}-r{draw(st.integers(0, 3))}.json",
            run_id="r",
            raw_record_index=i,
        )
        rows.append(row)
    return rows


def _reference(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The dedup rules of DESIGN.md written plainly in Python: one definition checked against the other."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["flight_date"], row["operating_flight_iata"], row["dep_airport_icao"]), []).append(row)
    out = {}
    for key, group in groups.items():

        def on_dep(r: dict[str, Any]) -> bool:
            return r["board"] == "departures" and r["board_airport_icao"] == r["dep_airport_icao"]

        def on_arr(r: dict[str, Any]) -> bool:
            return r["board"] == "arrivals" and r["board_airport_icao"] == r["arr_airport_icao"]

        def tiebreak(r: dict[str, Any]) -> tuple[Any, ...]:
            return (r["is_codeshare"], _desc(r["raw_key"]), -r["raw_record_index"])

        by_dep = sorted(group, key=lambda r: (not on_dep(r), -r["collected_at_utc"].timestamp(), *tiebreak(r)))
        by_arr = sorted(group, key=lambda r: (not on_arr(r), -r["collected_at_utc"].timestamp(), *tiebreak(r)))
        by_any = sorted(group, key=lambda r: (-r["collected_at_utc"].timestamp(), not on_arr(r), *tiebreak(r)))
        # Status is the operator's to know: its own records first, whatever a newer marketing record says.
        by_operator = sorted(
            group,
            key=lambda r: (
                r["is_codeshare"],
                -r["collected_at_utc"].timestamp(),
                not on_arr(r),
                _desc(r["raw_key"]),
                -r["raw_record_index"],
            ),
        )
        first = lambda ordered, col: next((r[col] for r in ordered if r[col] is not None), None)  # noqa: E731
        out[key] = {
            "dep_actual_utc": first(by_dep, "dep_actual_utc"),
            "dep_runway_utc": first(by_dep, "dep_runway_utc"),
            "arr_runway_utc": first(by_arr, "arr_runway_utc"),
            "dep_gate": first(by_dep, "dep_gate"),
            "dep_delay_min": first(by_dep, "dep_delay_min"),
            "arr_estimated_utc": first(by_arr, "arr_estimated_utc"),
            "arr_gate": first(by_arr, "arr_gate"),
            "arr_baggage": first(by_arr, "arr_baggage"),
            "status": by_operator[0]["status"],
            "airline_name": first([r for r in by_any if not r["is_codeshare"]], "airline_name"),
            "codeshare_flight_iatas": sorted({r["flight_iata"] for r in group if r["is_codeshare"]}),
            "seen_on_departures": any(on_dep(r) for r in group),
            "seen_on_arrivals": any(on_arr(r) for r in group),
            "observation_count": len({r["raw_key"] for r in group}),
        }
    return out


def _desc(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text) + (1,)


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=TRANSFORMED_SCHEMA)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(observations())
def test_dedup_matches_the_reference_rules(rows: list[dict[str, Any]]) -> None:
    result = dedupe(_table(rows)).to_pylist()
    expected = _reference(rows)
    assert len(result) == len(expected)
    for row in result:
        want = expected[(row["flight_date"], row["flight_iata"], row["dep_airport_icao"])]
        assert {k: row[k] for k in want} == want


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(observations(), st.randoms(use_true_random=False))
def test_dedup_is_independent_of_input_order(rows: list[dict[str, Any]], rnd: random.Random) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert dedupe(_table(rows)).equals(dedupe(_table(shuffled)))


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(observations())
def test_dedup_is_idempotent_and_conserves_physical_flights(rows: list[dict[str, Any]]) -> None:
    once = dedupe(_table(rows))
    assert once.schema.equals(PROCESSED_SCHEMA)
    # Duplicating every observation (at-least-once delivery) changes nothing.
    assert dedupe(_table(rows + rows)).equals(once)
    assert once.num_rows == len({(r["operating_flight_iata"], r["dep_airport_icao"]) for r in rows})
