"""The simulated source speaking AeroDataBox (both answer shapes): a simulated day through transform and process
agrees with the model's ground truth (``expected_processed_rows``), which is built from the model's flights, not
from the rendered pages."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flightpipe.core.envelope import Envelope
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.sources.simulated.aerodatabox import Shape, SimulatedAeroDataBoxSource
from flightpipe.sources.simulated.model import SimulatedSource, expected_processed_rows
from flightpipe.stages.process import dedupe
from flightpipe.stages.transform import transform_raw_object

DAY = dt.date(2026, 11, 20)
AFTER_DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
AIRPORTS = ["EDDH", "EDDL"]


def _day(store: ObjectStore, shape: Shape) -> tuple[pa.Table, int]:
    source = SimulatedAeroDataBoxSource(SimulatedSource(scale=0.2), shape)
    tables, quarantined = [], 0
    for icao in AIRPORTS:
        for board in Board:
            fetched = source.fetch_board(icao, DAY, board, as_of=AFTER_DAY)
            envelope = Envelope(
                source=source.name,
                format=source.format,
                airport_icao=icao,
                board=board,
                collection_date=DAY,
                run_id="sim",
                fetched_at=AFTER_DAY,
                pages=fetched.pages,
            )
            key = RawKey(icao, DAY, board, "sim").key
            store.put(key, envelope.to_bytes())
            result = transform_raw_object(store, key)
            quarantined += result.quarantined
            tables.append(pq.read_table(io.BytesIO(store.get(RawKey.parse(key).transformed_key))))
    rows = pa.concat_tables(tables).cast(TRANSFORMED_SCHEMA)
    return dedupe(rows), quarantined


def _by_key(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {(r["flight_date"], r["flight_iata"], r["dep_airport_icao"]): r for r in rows}


@pytest.fixture(scope="module")
def truth() -> dict[tuple[Any, ...], dict[str, Any]]:
    return _by_key(expected_processed_rows(SimulatedSource(scale=0.2), AIRPORTS, list(Board), [DAY], AFTER_DAY))


def test_a_simulated_withleg_day_gives_every_true_flight_once_with_its_codeshares_and_times(
    tmp_path: Any, truth: dict[tuple[Any, ...], dict[str, Any]]
) -> None:
    flights, quarantined = _day(ObjectStore(str(tmp_path)), "withleg")
    got = _by_key(flights.to_pylist())
    assert quarantined == 0
    assert sorted(got) == sorted(truth)
    for key, want in truth.items():
        row = got[key]
        assert row["codeshare_flight_iatas"] == want["codeshare_flight_iatas"]
        assert (row["dep_scheduled_utc"], row["arr_scheduled_utc"]) == (
            want["dep_scheduled_utc"],
            want["arr_scheduled_utc"],
        )
        if want["seen_on_departures"]:
            assert row["dep_actual_utc"] == want["dep_actual_utc"]
        if want["seen_on_arrivals"]:
            assert row["arr_actual_utc"] == want["arr_actual_utc"]


def test_a_simulated_movement_day_gives_every_departing_flight_once_with_its_gate_times(
    tmp_path: Any, truth: dict[tuple[Any, ...], dict[str, Any]]
) -> None:
    # The default shape has only the board's own times: an arrival's flight date falls back to its scheduled
    # arrival's local date, so only the departures boards' flights are compared key for key.
    flights, quarantined = _day(ObjectStore(str(tmp_path)), "movement")
    got = _by_key(flights.to_pylist())
    assert quarantined == 0
    departing = {k: v for k, v in truth.items() if v["seen_on_departures"]}
    for key, want in departing.items():
        row = got[key]
        assert row["codeshare_flight_iatas"] == want["codeshare_flight_iatas"]
        assert (row["dep_scheduled_utc"], row["dep_actual_utc"]) == (want["dep_scheduled_utc"], want["dep_actual_utc"])
        assert row["flight_date_basis"] == "scheduled_departure"
    arriving = [r for r in flights.to_pylist() if r["seen_on_arrivals"] and not r["seen_on_departures"]]
    assert arriving and {r["flight_date_basis"] for r in arriving} == {"scheduled_arrival"}
