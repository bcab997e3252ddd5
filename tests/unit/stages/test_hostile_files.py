"""Hostile raw files: whatever a raw file holds, transform quarantines it (whole or record by record) or
types it; no exception leaves transform, and nothing it writes breaks a later stage."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pyarrow.parquet as pq

from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.stages.transform import is_transformed, transform_raw_object
from tests.helpers.sample_envelopes import land

DAY = dt.date(2026, 6, 8)
FETCHED = dt.datetime(2026, 6, 9, 6, 0, tzinfo=dt.UTC)


def _record(flight_date: str = "2026-06-08", hhmm: str = "10:00", number: str = "900") -> dict[str, Any]:
    day = flight_date
    return {
        "flight_date": day,
        "flight_status": "scheduled",
        "departure": {"airport": "Frankfurt", "timezone": "Europe/Berlin", "iata": "FRA", "icao": "EDDF",
                      "scheduled": f"{day}T{hhmm}:00+00:00"},
        "arrival": {"airport": "Heathrow", "timezone": "Europe/London", "iata": "LHR", "icao": "EGLL",
                    "scheduled": f"{day}T23:45:00+00:00"},
        "airline": {"name": "Lufthansa", "iata": "LH", "icao": "DLH"},
        "flight": {"number": number, "iata": f"LH{number}", "icao": f"DLH{number}", "codeshared": None},
    }  # fmt: skip


def _land(store: ObjectStore, records: list[dict[str, Any]]) -> str:
    return land(store, records, icao="EDDF", day=DAY, board=Board.DEPARTURES, run_id="r1", fetched_at=FETCHED)


def _quarantined(store: ObjectStore, raw_key: str) -> list[dict[str, Any]]:
    text = store.get(RawKey.parse(raw_key).quarantine_key).decode()
    return [json.loads(line) for line in text.splitlines()]


def test_a_record_dated_far_from_its_collection_day_is_quarantined_under_dates_in_window(store: ObjectStore) -> None:
    records = [_record(), _record("2020-01-01", number="901"), _record("9999-12-31", number="902"),
               _record("0001-01-01", "00:30", number="903")]  # fmt: skip
    key = _land(store, records)
    result = transform_raw_object(store, key)
    assert (result.rows_out, result.quarantined, result.flight_dates) == (1, 3, [DAY])
    assert [(e["index"], e["rule"], e["reason"]) for e in _quarantined(store, key)] == [
        (1, "dates_in_window", "flight date 2020-01-01 is more than 3 days from the collection day 2026-06-08"),
        (2, "dates_in_window", "flight date 9999-12-31 is more than 3 days from the collection day 2026-06-08"),
        (3, "dates_in_window", "flight date 0001-01-01 is more than 3 days from the collection day 2026-06-08"),
    ]


def test_a_time_in_year_9999_on_a_record_of_the_right_day_is_quarantined_not_an_overflow(store: ObjectStore) -> None:
    record = _record(number="901")
    record["departure"]["actual"] = "9999-12-31T23:00:00+00:00"
    record["departure"]["delay"] = 5
    key = _land(store, [_record(), record])
    result = transform_raw_object(store, key)
    assert (result.rows_out, result.quarantined_by_rule) == (1, {"dates_in_window": 1})
    assert _quarantined(store, key)[0]["reason"] == "a time lies more than 100 years from the collection day 2026-06-08"


def test_records_breaking_other_rules_next_to_an_out_of_window_one_keep_their_own_rule(store: ObjectStore) -> None:
    broken = _record(number="902")
    broken["arrival"]["icao"] = "EGL"
    key = _land(store, [_record("9999-12-31", number="901"), broken, _record()])
    result = transform_raw_object(store, key)
    assert result.rows_out == 1
    assert [(e["index"], e["rule"]) for e in _quarantined(store, key)] == [
        (0, "dates_in_window"),
        (1, "codes_well_formed"),
    ]


def test_invalid_utf8_in_a_raw_file_leaves_transform_as_valid_text(store: ObjectStore) -> None:
    key = _land(store, [_record()])
    store.put(key, store.get(key).replace(b'"Lufthansa"', b'"Luft\xffhansa"'))
    result = transform_raw_object(store, key)
    assert result.rows_out == 1
    table = pq.read_table(io.BytesIO(store.get(RawKey.parse(key).transformed_key)))
    table.validate(full=True)  # raises on invalid UTF-8
    assert table.column("airline_name").to_pylist() == ["Luft\ufffdhansa"]


def test_a_raw_file_nested_deeper_than_the_recursion_limit_is_quarantined_whole(store: ObjectStore) -> None:
    key = _land(store, [_record()])
    deep = b'{"format":"aviationstack","source":"x","fetched_at":"2026-06-09T06:00:00+00:00","pages":'
    store.put(key, deep + b"[" * 100_000 + b"]" * 100_000 + b"}")
    result = transform_raw_object(store, key)
    assert (result.transformed_key, result.corrupt_reason) == (None, "raw file is nested too deeply")
    assert is_transformed(store, key)  # done: catch-up does not re-collect it
    assert _quarantined(store, key)[0]["rule"] == "parse"
