"""aviationstack records -> transformed rows: milestones, derived delays, codeshare-only operators' names, and
the one time-zone precedence (the airport database's zone, the record's only where the airport is unknown)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flightpipe.core.store import ObjectStore
from flightpipe.stages.transform import read_transformed, transform_raw_object
from tests.helpers.sample_envelopes import land
from tests.unit.stages.test_transform import FETCHED, _record, codeshare_of_lh900


def _rows(store: ObjectStore, records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    from flightpipe.core.layout import Board

    key = land(
        store, records, icao="EDDF", day=dt.date(2026, 3, 29), board=Board.DEPARTURES, run_id="r1", fetched_at=FETCHED
    )
    result = transform_raw_object(store, key)
    assert result.quarantined == 0
    return {r["flight_iata"]: r for r in read_transformed(store, result.transformed_key).to_pylist()}  # type: ignore[arg-type]


def test_actual_is_the_gate_time_and_actual_runway_the_runway_time(store: ObjectStore) -> None:
    record = _record()
    record["departure"] = {**record["departure"], "actual_runway": "2026-03-29T10:21:00+00:00"}  # type: ignore[dict-item]
    row = _rows(store, [record])["LH900"]
    assert row["dep_actual_utc"] == dt.datetime(2026, 3, 29, 8, 7, tzinfo=dt.UTC)  # 10:07 CEST, off-block
    assert row["dep_runway_utc"] == dt.datetime(2026, 3, 29, 8, 21, tzinfo=dt.UTC)  # 10:21 CEST, take-off


def test_a_missing_delay_is_computed_from_the_gate_times_and_is_zero_when_on_time(store: ObjectStore) -> None:
    late = _record()
    late["departure"] = {**late["departure"], "delay": None}  # type: ignore[dict-item]
    on_time = _record(flight={"number": "901", "iata": "LH901", "icao": "DLH901", "codeshared": None})
    on_time["departure"] = {**on_time["departure"], "delay": None, "actual": "2026-03-29T09:58:00+00:00"}  # type: ignore[dict-item]
    rows = _rows(store, [late, on_time])
    assert (rows["LH900"]["dep_delay_min"], rows["LH901"]["dep_delay_min"]) == (7, 0)
    assert rows["LH900"]["arr_delay_min"] is None  # no arrival time but the schedule: unknown, not 0


def test_a_codeshare_record_names_its_operators_airline(store: ObjectStore) -> None:
    codeshare = codeshare_of_lh900()
    row = _rows(store, [codeshare])["UA4711"]
    assert row["operating_airline_name"] == "Lufthansa"


def test_the_airport_databases_zone_wins_and_a_disagreeing_record_zone_is_counted(store: ObjectStore) -> None:
    record = _record()
    # Frankfurt labelled with London's zone: one hour apart on this date.
    record["departure"] = {**record["departure"], "timezone": "Europe/London"}  # type: ignore[dict-item]
    row = _rows(store, [record])["LH900"]
    assert row["dep_scheduled_utc"] == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)  # 10:00 CEST, not BST
    assert row["zone_disagreement_min"] == 60


def test_a_record_zone_that_agrees_counts_zero_even_under_another_name(store: ObjectStore) -> None:
    record = _record()
    record["departure"] = {**record["departure"], "timezone": "Europe/Zurich"}  # type: ignore[dict-item]
    assert _rows(store, [record])["LH900"]["zone_disagreement_min"] == 0


def test_an_airport_given_by_its_iata_code_alone_is_resolved_not_quarantined(store: ObjectStore) -> None:
    record = _record()
    record["arrival"] = {**record["arrival"], "icao": None}  # type: ignore[dict-item]
    assert _rows(store, [record])["LH900"]["arr_airport_icao"] == "EGLL"
