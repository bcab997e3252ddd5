"""One zone database for the whole pipeline: transform computes each scheduled time's local offset with Python's
zoneinfo (the system tzdata, which pyarrow reads too), and the views read those offsets instead of converting
with the engine's own zone data (DuckDB's ICU data gave Edmonton's 2026-11-01 12:20 local as 13:20).

Expected values come from zoneinfo here, independently of flightpipe's code."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pyarrow as pa

from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.sources.normalising import utc_offset_minutes
from flightpipe.stages.process import process_flight_dates, read_partition
from flightpipe.stages.transform import read_transformed, transform_raw_object
from tests.helpers.sample_envelopes import land
from tests.helpers.warehouse_helpers import Engine
from tests.unit.stages.test_transform import _record

EDMONTON = ZoneInfo("America/Edmonton")
#: The issue's case: 12:20 local on the day Alberta's clocks go back.
LOCAL = dt.datetime(2026, 11, 1, 12, 20, tzinfo=EDMONTON)
DAY = LOCAL.date()


def test_the_offset_of_an_instant_is_the_one_zoneinfo_gives() -> None:
    instant = LOCAL.astimezone(dt.UTC)
    offsets = utc_offset_minutes(
        pa.array([instant, instant, None], pa.timestamp("us", tz="UTC")),
        pa.array(["America/Edmonton", None, "America/Edmonton"]),
    )
    expected = LOCAL.utcoffset()
    assert expected is not None
    assert offsets.to_pylist() == [expected.total_seconds() // 60, None, None]


def _edmonton_arrival() -> dict[str, object]:
    record = _record(flight_date="2026-11-01")
    # aviationstack labels local wall times +00:00 (docs/sources.md).
    record["departure"] = {
        **record["departure"],
        "icao": "CYYC",
        "iata": "YYC",
        "timezone": "America/Edmonton",
        "scheduled": "2026-11-01T11:25:00+00:00",
        "estimated": None,
        "actual": None,
        "delay": None,
    }  # type: ignore[dict-item]
    record["arrival"] = {
        **record["arrival"],
        "icao": "CYEG",
        "iata": "YEG",
        "timezone": "America/Edmonton",
        "scheduled": "2026-11-01T12:20:00+00:00",
    }  # type: ignore[dict-item]
    record["flight_status"] = "scheduled"
    return record


def test_an_edmonton_arrival_keeps_its_local_hour_through_transform_process_and_the_views(
    store: ObjectStore, engine: Engine
) -> None:
    key = land(
        store,
        [_edmonton_arrival()],
        icao="CYEG",
        day=DAY,
        board=Board.ARRIVALS,
        run_id="tz",
        fetched_at=dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC),
    )
    result = transform_raw_object(store, key)
    assert result.quarantined == 0
    row = read_transformed(store, str(result.transformed_key)).to_pylist()[0]
    assert row["arr_scheduled_utc"] == LOCAL.astimezone(dt.UTC)
    offset = LOCAL.utcoffset()
    assert offset is not None and row["arr_utc_offset_min"] == offset.total_seconds() // 60

    process_flight_dates(store, [DAY])
    with engine.loader() as warehouse:
        warehouse.load_flight_date(DAY, read_partition(store, DAY), run_id="tz")
    moves = engine.rows(
        "SELECT board, local_date, local_hour FROM airport_movements WHERE airport_icao = 'CYEG' ORDER BY board"
    )
    assert moves == [("arrivals", DAY, LOCAL.hour)]
    hourly = engine.rows("SELECT local_hour, movements FROM hourly_movements WHERE airport_icao = 'CYEG'")
    assert hourly == [(LOCAL.hour, 1)]
