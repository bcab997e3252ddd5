"""Counting many boards' rows at once gives each board the counts its rows give alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.quality.api import MAX_EXAMPLES
from flightpipe.quality.board_facts import count_rows, describe_rows
from flightpipe.quality.records import RecordRuleSet, count_violations
from flightpipe.quality.rules import airports_known, duplicate_counts, null_counts, status_known, zone_agrees

DAY = dt.date(2026, 6, 8)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _row(number: int, board: str = "departures", source: str = "test", **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in TRANSFORMED_SCHEMA.names}
    row.update(
        flight_date=DAY,
        flight_iata=f"LH{number}",
        flight_icao=f"DLH{number}",
        airline_iata="LH",
        dep_airport_icao="EDDF",
        arr_airport_icao="EGLL",
        dep_scheduled_utc=_at("2026-06-08 08:00"),
        arr_scheduled_utc=_at("2026-06-08 09:45"),
        status="landed",
        source=source,
        board=board,
        board_airport_icao="EDDF",
        raw_key=f"raw/EDDF/2026-06-08/{board}-r1.json",
        run_id="r1",
    )
    row.update(overrides)
    return row


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=TRANSFORMED_SCHEMA)


def _boards() -> list[pa.Table]:
    # Each board's problems differ, and the boards share flights, so a count leaking across them would show.
    repeats = [_row(n) for n in range(MAX_EXAMPLES + 2) for _ in range(2)]  # more repeated keys than examples
    unknown = [_row(100 + n, status="unknown") for n in range(MAX_EXAMPLES + 3)]
    departures = _table([*repeats, *unknown, _row(200, airline_iata=None)])
    arrivals = _table(
        [
            _row(0, "arrivals", "aerodatabox"),  # the departures board's flight LH0: no repeat of it here
            _row(1, "arrivals", "aerodatabox", arr_scheduled_utc=None),  # judged: an arrivals board saw it
            _row(2, "arrivals", "aerodatabox", zone_disagreement_min=60),
            _row(3, "arrivals", "aerodatabox", dep_airport_icao="ZZZZ"),
            _row(3, "arrivals", "aerodatabox", dep_airport_icao="ZZZZ"),
        ]
    )
    # AeroDataBox's departures shape leaves arrival times out: not judged on a departures board.
    aerodatabox_departures = _table([_row(n, source="aerodatabox", arr_scheduled_utc=None) for n in range(3)])
    nameless = _table([_row(0, flight_iata=None, flight_icao=None), _row(0, flight_iata=None, flight_icao=None)])
    return [departures, _table([]), arrivals, aerodatabox_departures, nameless]


def test_boards_counted_at_once_get_the_counts_the_rules_make_of_each_boards_rows_alone() -> None:
    rules = RecordRuleSet.defaults()
    boards = _boards()

    counted = count_rows(boards, rules)

    assert counted == [count_rows([board], rules)[0] for board in boards]
    for board, counts in zip(boards, counted, strict=True):
        assert counts.rows == board.num_rows
        assert counts.nulls == null_counts(board)
        assert (counts.duplicates, counts.repeated) == duplicate_counts(board)
        expected = {
            rule.name: (config, *count_violations(board, rule, config, describe_rows))
            for rule, config in rules.rules
            if rule in (status_known, zone_agrees, airports_known) and board.num_rows
        }
        assert counts.warned == expected


def test_each_board_keeps_its_own_duplicates_nulls_and_examples_when_counted_with_others() -> None:
    departures, empty, arrivals, aerodatabox_departures, nameless = count_rows(_boards(), RecordRuleSet.defaults())

    assert (departures.duplicates, departures.repeated) == (
        MAX_EXAMPLES + 2,
        [f"LH{n} 2026-06-08 from EDDF x2" for n in range(MAX_EXAMPLES)],
    )
    assert departures.warned["status_known"][1:] == (
        MAX_EXAMPLES + 3,
        [f"LH{100 + n} 2026-06-08: status is not in the vocabulary (stored as unknown)" for n in range(MAX_EXAMPLES)],
    )
    assert departures.nulls.judged["airline_iata"] == (1, departures.rows)
    assert (empty.rows, empty.nulls.rows, empty.duplicates, empty.repeated, empty.warned) == (0, 0, 0, [], {})
    assert (arrivals.duplicates, arrivals.repeated) == (1, ["LH3 2026-06-08 from ZZZZ x2"])
    assert arrivals.nulls.judged["arr_scheduled_utc"] == (1, 5)
    assert arrivals.warned["zone_agrees"][1] == 1
    assert arrivals.warned["airports_known"][1] == 2
    assert arrivals.warned["status_known"][1:] == (0, [])
    assert aerodatabox_departures.nulls.sources == ["aerodatabox"]
    assert aerodatabox_departures.nulls.judged["arr_scheduled_utc"] == (0, 0)
    assert departures.nulls.judged["arr_scheduled_utc"] == (0, departures.rows)  # "test" times are not optional
    # Rows without a flight number are one key, counted as repeats but shown as no repeated flight.
    assert (nameless.duplicates, nameless.repeated) == (1, [])
