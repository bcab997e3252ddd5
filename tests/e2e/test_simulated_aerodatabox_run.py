"""``[source] type = "simulated"`` with ``format = "aerodatabox-withleg"``: a simulated day lands as AeroDataBox
FIDS answers, runs raw -> warehouse through the AeroDataBox normaliser, and the warehouse holds the model's
ground truth (``expected_processed_rows``, built from the model's flights, not from the rendered pages)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flightpipe.config import load_settings
from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.runner import run_day
from flightpipe.sources.simulated.model import SimulatedSource, expected_processed_rows

DAY = dt.date(2026, 6, 8)
AFTER = dt.datetime(2026, 6, 12, 6, 0, tzinfo=dt.UTC)
#: What an AeroDataBox answer carries of the model's flights (it has no aircraft type, no IATA-less estimates).
COLUMNS = (
    "flight_date",
    "flight_iata",
    "dep_airport_icao",
    "arr_airport_icao",
    "dep_scheduled_utc",
    "arr_scheduled_utc",
    "status",
    "codeshare_count",
    "dep_utc_offset_min",
    "arr_utc_offset_min",
)


def _warehouse(path: Path) -> dict[tuple[Any, ...], dict[str, Any]]:
    con = duckdb.connect(str(path), read_only=True)
    cursor = con.execute(
        f"SELECT {', '.join(COLUMNS)}, dep_actual_utc, arr_actual_utc, seen_on_departures, "
        "seen_on_arrivals FROM fact_flights"
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    con.close()
    return {(r["flight_date"], r["flight_iata"], r["dep_airport_icao"]): r for r in rows}


@pytest.mark.slow
def test_a_simulated_day_in_the_aerodatabox_withleg_format_loads_the_models_ground_truth(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=str(tmp_path / "data"),
        airports="EDDH",
        source={"type": "simulated", "scale": 0.2, "format": "aerodatabox-withleg"},
    )
    summary = run_day(settings, DAY, clock=lambda: AFTER)
    assert summary.state == "succeeded" and summary.records_quarantined == 0

    store = ObjectStore(settings.data_dir)
    formats = {json.loads(store.get(k))["format"] for k in store.list("raw/")}
    assert formats == {"aerodatabox"}

    truth = expected_processed_rows(
        SimulatedSource(seed=settings.source.seed, scale=0.2), ["EDDH"], list(Board), [DAY], AFTER
    )
    want = {(r["flight_date"], r["flight_iata"], r["dep_airport_icao"]): r for r in truth}
    got = _warehouse(settings.resolved_warehouse_path())
    loaded_dates = {k[0] for k in got}
    assert DAY in loaded_dates and len(got) > 20
    want = {k: v for k, v in want.items() if k[0] in loaded_dates}
    assert sorted(got) == sorted(want)
    for key, row in got.items():
        expected = {c: want[key][c] for c in COLUMNS if c != "codeshare_count"}
        expected["codeshare_count"] = len(want[key]["codeshare_flight_iatas"])
        assert {c: row[c] for c in COLUMNS} == expected, key
        if row["seen_on_departures"]:
            assert row["dep_actual_utc"] == want[key]["dep_actual_utc"], key
        if row["seen_on_arrivals"]:
            assert row["arr_actual_utc"] == want[key]["arr_actual_utc"], key
