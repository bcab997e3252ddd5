"""Every quality rule at its edges: just passing, just failing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pytest

from flightpipe.core.schema import PROCESSED_SCHEMA, TRANSFORMED_SCHEMA
from flightpipe.quality.api import Level, Outcome, Partition, Rule, RuleConfig, RuleResult, Scope
from flightpipe.quality.facts import BoardFacts, FlightDateFacts
from flightpipe.quality.rules import (
    MIN_VOLUME_HISTORY,
    RULES,
    airports_known,
    arrival_after_departure,
    board_collected,
    codes_well_formed,
    dedup_report,
    delay_consistent,
    duplicate_records,
    null_share,
    quarantine_share,
    required_keys,
    status_known,
    timestamps_parse,
    volume_band,
    zone_agrees,
)

DAY = dt.date(2026, 6, 8)  # a Monday
BOARD = Partition(Scope.BOARD, DAY, "EDDF", "departures")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in TRANSFORMED_SCHEMA.names}
    row.update(
        flight_date=DAY,
        flight_iata="LH900",
        flight_icao="DLH900",
        flight_number="900",
        airline_iata="LH",
        airline_icao="DLH",
        is_codeshare=False,
        operating_flight_iata="LH900",
        operating_flight_icao="DLH900",
        operating_airline_iata="LH",
        operating_airline_icao="DLH",
        dep_airport_icao="EDDF",
        dep_airport_iata="FRA",
        dep_scheduled_utc=at("2026-06-08 08:00"),
        arr_airport_icao="EGLL",
        arr_airport_iata="LHR",
        arr_scheduled_utc=at("2026-06-08 09:45"),
        status="landed",
        source="test",
        board="departures",
        board_airport_icao="EDDF",
        collected_at_utc=at("2026-06-09 06:00"),
        raw_key="raw/EDDF/2026-06-08/departures-r1.json",
        run_id="r1",
    )
    row.update(overrides)
    return row


def _violations(rule: Rule, *rows: dict[str, Any], threshold: float | None = None) -> list[bool]:
    table = pa.Table.from_pylist(list(rows), schema=TRANSFORMED_SCHEMA)
    config = rule.default_config()
    if threshold is not None:
        config = replace(config, threshold=threshold)
    assert rule.check is not None
    check = rule.check(table, config)
    return [bool(v) for v in check.violations.to_pylist()]


def _reasons(rule: Rule, *rows: dict[str, Any]) -> list[str | None]:
    table = pa.Table.from_pylist(list(rows), schema=TRANSFORMED_SCHEMA)
    assert rule.check is not None
    check = rule.check(table, rule.default_config())
    if isinstance(check.reason, str):
        return [check.reason if v else None for v in check.violations.to_pylist()]
    return [r if v else None for r, v in zip(check.reason.to_pylist(), check.violations.to_pylist(), strict=True)]


# --------------------------------------------------------------------------------------------- record rules


def test_required_keys_accepts_an_icao_flight_number_alone_and_rejects_no_number_or_no_airport() -> None:
    assert _violations(
        required_keys,
        _row(flight_iata=None),
        _row(flight_iata=None, flight_icao=None),
        _row(arr_airport_icao=None),
    ) == [False, True, True]


def test_codes_well_formed_at_the_edges_of_each_code() -> None:
    good = [
        _row(),
        _row(airline_iata="4Y", operating_airline_iata="4Y", flight_iata="4Y12345", operating_flight_iata="4Y12345"),
        _row(flight_icao="PVD", operating_flight_icao="PVD"),  # a bare operator code, as real charters send
        _row(dep_airport_iata=None, arr_airport_iata=None),  # optional codes may be missing
    ]
    bad = [
        _row(arr_airport_icao="EGL"),
        _row(arr_airport_icao="EG1L"),
        _row(arr_airport_iata="LHRX"),
        _row(airline_iata="LHX"),
        _row(airline_icao="DL"),
        _row(flight_iata="LH123456"),
        _row(flight_icao="DLH1234567"),
    ]
    assert _violations(codes_well_formed, *good, *bad) == [False] * len(good) + [True] * len(bad)


def test_codes_well_formed_names_the_column_and_the_value() -> None:
    assert _reasons(codes_well_formed, _row(arr_airport_icao="EGL")) == [
        "arr_airport_icao 'EGL' is not an ICAO airport code (4 letters)"
    ]


def test_timestamps_parse_accepts_times_up_to_the_threshold_around_the_flight_date() -> None:
    # threshold 3 days: the window is [flight date - 3 days, end of flight date + 3 days]
    assert _violations(
        timestamps_parse,
        _row(dep_scheduled_utc=at("2026-06-05 00:00")),
        _row(dep_scheduled_utc=at("2026-06-04 23:59")),
        _row(arr_actual_utc=at("2026-06-12 00:00")),
        _row(arr_actual_utc=at("2026-06-12 00:01")),
        _row(dep_estimated_utc=at("1970-01-01 00:00")),
    ) == [False, True, False, True, True]


def test_timestamps_parse_threshold_is_configurable() -> None:
    assert _violations(timestamps_parse, _row(arr_actual_utc=at("2026-06-12 00:01")), threshold=4) == [False]


def test_arrival_after_departure_needs_a_later_arrival_not_an_equal_one() -> None:
    assert _violations(
        arrival_after_departure,
        _row(arr_scheduled_utc=at("2026-06-08 08:01")),
        _row(arr_scheduled_utc=at("2026-06-08 08:00")),
        _row(dep_actual_utc=at("2026-06-08 08:10"), arr_actual_utc=at("2026-06-08 08:11")),
        _row(dep_actual_utc=at("2026-06-08 08:10"), arr_actual_utc=at("2026-06-08 08:10")),
        _row(arr_scheduled_utc=None),
    ) == [False, True, False, True, False]


def test_delay_consistent_allows_the_threshold_in_minutes_and_not_one_more() -> None:
    late = {"dep_actual_utc": at("2026-06-08 08:15")}  # 15 minutes after the schedule
    assert _violations(
        delay_consistent,
        _row(**late, dep_delay_min=30),  # off by 15 = the default threshold
        _row(**late, dep_delay_min=31),  # off by 16
        _row(**late, dep_delay_min=None),  # no delay reported: nothing to compare
        _row(dep_delay_min=90),  # no actual time: nothing to compare
        _row(arr_actual_utc=at("2026-06-08 09:40"), arr_delay_min=20),  # early, yet 20 late: off by 25
    ) == [False, True, False, False, True]


def test_delay_consistent_reason_states_both_numbers() -> None:
    row = _row(dep_actual_utc=at("2026-06-08 08:05"), dep_delay_min=90)
    assert _reasons(delay_consistent, row) == ["departure delay 90 min, but actual - scheduled is 5 min"]


def test_status_known_flags_unknown_only() -> None:
    assert _violations(status_known, _row(status="cancelled"), _row(status="unknown")) == [False, True]


def test_record_rules_see_no_violation_in_an_empty_table() -> None:
    for rule in (required_keys, codes_well_formed, timestamps_parse, arrival_after_departure, delay_consistent):
        assert _violations(rule) == []


# --------------------------------------------------------------------------------------------- dataset rules


def _facts(**overrides: Any) -> BoardFacts:
    values: dict[str, Any] = {
        "partition": BOARD,
        "raw_key": "raw/EDDF/2026-06-08/departures-r1.json",
        "corrupt_reason": None,
        "records_in": 100,
        "rows": pa.Table.from_pylist([_row()], schema=TRANSFORMED_SCHEMA),
        "quarantined": 0,
    }
    values.update(overrides)
    return BoardFacts(**values)


def _check(rule: Rule, facts: BoardFacts | FlightDateFacts, threshold: float | None = None) -> RuleResult:
    config = rule.default_config()
    if threshold is not None:
        config = replace(config, threshold=threshold)
    assert rule.check is not None
    result: RuleResult = rule.check(facts, config)
    return result


def test_board_collected_passes_a_readable_board_and_fails_a_missing_or_corrupt_one() -> None:
    assert _check(board_collected, _facts()).outcome is Outcome.PASS
    missing = _check(board_collected, _facts(raw_key=None))
    assert (missing.outcome, missing.message) == (
        Outcome.FAIL,
        "EDDF departures 2026-06-08 was not collected (no raw file; see `flightpipe runs`)",
    )
    corrupt = _check(board_collected, _facts(corrupt_reason="raw file is not valid JSON"))
    assert corrupt.outcome is Outcome.FAIL and "corrupt" in corrupt.message


def _history(*volumes: float) -> list[tuple[dt.date, float]]:
    return [(DAY - dt.timedelta(weeks=i + 1), v) for i, v in enumerate(volumes)]


@pytest.mark.parametrize(
    ("records", "outcome"),
    [(61, Outcome.PASS), (60, Outcome.FAIL), (166, Outcome.PASS), (167, Outcome.FAIL), (100, Outcome.PASS)],
)
def test_volume_band_fails_a_40_percent_drop_and_the_symmetric_rise(records: int, outcome: Outcome) -> None:
    # median of the same weekday over earlier weeks: 100; band (0.6 x 100, 100 / 0.6) exclusive
    facts = _facts(records_in=records, history=_history(100, 90, 130, 100))
    assert _check(volume_band, facts).outcome is outcome


def test_volume_band_says_how_far_below_the_median_of_which_weekdays() -> None:
    result = _check(volume_band, _facts(records_in=55, history=_history(100, 100, 100)))
    assert result.message == "55 records, 45% below the median 100 of the last 3 Mondays"
    assert result.counts == {"records": 55.0, "median": 100.0, "history": 3.0}


def test_volume_band_is_skipped_without_enough_history_and_keeps_the_volume() -> None:
    short = _history(*[100] * (MIN_VOLUME_HISTORY - 1))
    result = _check(volume_band, _facts(records_in=10, history=short))
    assert result.outcome is Outcome.SKIP and not result.failed
    assert result.message.startswith(f"not enough history: {MIN_VOLUME_HISTORY - 1} earlier Mondays")
    assert result.counts["records"] == 10


def test_volume_band_threshold_is_configurable() -> None:
    facts = _facts(records_in=55, history=_history(100, 100, 100))
    assert _check(volume_band, facts, threshold=0.5).outcome is Outcome.PASS


def _null_rows(n: int, nulls: int) -> pa.Table:
    return pa.Table.from_pylist(
        [_row(arr_scheduled_utc=None) if i < nulls else _row() for i in range(n)], schema=TRANSFORMED_SCHEMA
    )


def test_null_share_passes_at_the_threshold_and_fails_above_it() -> None:
    at_limit = _check(null_share, _facts(rows=_null_rows(100, 10)))
    above = _check(null_share, _facts(rows=_null_rows(100, 11)))
    assert at_limit.outcome is Outcome.PASS
    assert above.outcome is Outcome.FAIL
    assert above.message == "arr_scheduled_utc is null in 11.0% of 100 rows (more than 10%)"


def test_null_share_also_judges_a_processed_flight_date() -> None:
    rows = [{**{k: v for k, v in _row().items() if k in PROCESSED_SCHEMA.names}, "codeshare_flight_iatas": []}]
    flights = pa.Table.from_pylist(
        [
            {
                **{name: None for name in PROCESSED_SCHEMA.names},
                **rows[0],
                "seen_on_departures": True,
                "seen_on_arrivals": False,
                "observation_count": 1,
                "airline_iata": None,
            }
        ],
        schema=PROCESSED_SCHEMA,
    )
    facts = FlightDateFacts(Partition(Scope.FLIGHT_DATE, DAY), 1, flights, 0, 0)
    result = _check(null_share, facts)
    assert result.outcome is Outcome.FAIL and result.message.startswith("airline_iata is null in 100.0% of 1 rows")


def test_quarantine_share_passes_at_the_threshold_and_fails_above_it() -> None:
    assert _check(quarantine_share, _facts(records_in=100, quarantined=5)).outcome is Outcome.PASS
    above = _check(quarantine_share, _facts(records_in=100, quarantined=6, quarantined_by_rule={"required_keys": 6}))
    assert (above.outcome, above.message) == (
        Outcome.FAIL,
        "6 of 100 records quarantined (6.0%, more than 5%): required_keys 6",
    )


def test_duplicate_records_passes_distinct_records_and_warns_at_the_first_repeat() -> None:
    distinct = pa.Table.from_pylist([_row(), _row(flight_iata="LH901")], schema=TRANSFORMED_SCHEMA)
    repeated = pa.Table.from_pylist([_row(), _row(), _row(flight_iata="LH901")], schema=TRANSFORMED_SCHEMA)
    assert _check(duplicate_records, _facts(rows=distinct)).outcome is Outcome.PASS
    result = _check(duplicate_records, _facts(rows=repeated))
    assert (result.outcome, result.counts["duplicates"]) == (Outcome.WARN, 1)
    assert result.examples == ["LH900 2026-06-08 from EDDF x2"]


def test_dedup_report_reports_and_never_fires() -> None:
    facts = FlightDateFacts(Partition(Scope.FLIGHT_DATE, DAY), 10, PROCESSED_SCHEMA.empty_table(), 3, 4)
    result = _check(dedup_report, facts)
    assert result.outcome is Outcome.PASS
    assert result.counts == {"observations": 10, "flights": 0, "duplicates_merged": 4, "codeshares": 3}


def test_a_fired_rule_carries_its_configured_level() -> None:
    config = RuleConfig("volume_band", Level.WARN, 0.4)
    assert volume_band.check is not None
    result = volume_band.check(_facts(records_in=10, history=_history(100, 100, 100)), config)
    assert (result.outcome, result.failed) == (Outcome.WARN, False)


def test_every_rule_is_declared_with_a_summary_and_what_the_user_sees() -> None:
    for rule in RULES.values():
        assert rule.summary and rule.fires, rule.name
        assert rule.level in rule.levels


def test_null_share_counts_a_flight_known_by_its_icao_number_alone_as_numbered() -> None:
    rows = pa.Table.from_pylist([_row(flight_iata=None, flight_icao="BCS6420")] * 5, schema=TRANSFORMED_SCHEMA)
    result = _check(null_share, _facts(rows=rows))
    assert result.outcome is Outcome.PASS and result.counts["null_flight_iata"] == 0


def test_null_share_judges_aerodatabox_arrival_schedules_only_where_an_arrivals_board_saw_them() -> None:
    # The default AeroDataBox answer of a departures board has only the departure airport's times.
    movement_shape = [_row(source="aerodatabox", arr_scheduled_utc=None) for _ in range(5)]
    other_source = [_row(arr_scheduled_utc=None) for _ in range(5)]
    assert _check(null_share, _facts(rows=pa.Table.from_pylist(movement_shape, schema=TRANSFORMED_SCHEMA))).outcome is (
        Outcome.PASS
    )
    assert _check(null_share, _facts(rows=pa.Table.from_pylist(other_source, schema=TRANSFORMED_SCHEMA))).outcome is (
        Outcome.FAIL
    )


def test_arrival_after_departure_compares_runway_with_runway_and_never_with_a_gate_time() -> None:
    assert _violations(
        arrival_after_departure,
        # a take-off after the off-block and a landing before the on-block: both normal
        _row(
            dep_actual_utc=at("2026-06-08 08:10"),
            dep_runway_utc=at("2026-06-08 08:30"),
            arr_runway_utc=at("2026-06-08 09:40"),
            arr_actual_utc=at("2026-06-08 09:50"),
        ),
        _row(dep_runway_utc=at("2026-06-08 08:30"), arr_runway_utc=at("2026-06-08 08:30")),
    ) == [False, True]


def test_airports_known_warns_for_an_airport_stored_as_zzzz_on_either_side() -> None:
    assert airports_known.level is Level.WARN
    assert _reasons(
        airports_known,
        _row(arr_airport_icao="ZZZZ", arr_airport_iata=None),
        _row(dep_airport_icao="ZZZZ", dep_airport_iata=None),
        _row(),
    ) == ["arrival airport unknown (ZZZZ)", "departure airport unknown (ZZZZ)", None]


def test_zone_agrees_warns_where_the_records_zone_and_the_airports_give_different_instants() -> None:
    assert zone_agrees.level is Level.WARN
    assert _reasons(zone_agrees, _row(zone_disagreement_min=60), _row(zone_disagreement_min=0), _row()) == [
        "the record's time zone and the airport's differ by 60 min at the scheduled time",
        None,
        None,
    ]
