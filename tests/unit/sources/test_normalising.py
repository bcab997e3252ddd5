"""The zone conversions every normaliser shares (``utc_offset_minutes``, ``local_date``), row by row against
Python's zoneinfo, over rows of many zones mixed together (each zone is converted in one call, and the rows are
put back in place), around clock changes and in zones with offsets of 30 and 45 minutes."""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightpipe.reference.airports import airport_table
from flightpipe.sources import normalising
from flightpipe.sources.normalising import local_date, utc_offset_minutes

ZONES = (
    "Europe/Berlin",
    "America/Edmonton",
    "America/St_Johns",  # -3:30, with summer time
    "Australia/Lord_Howe",  # a summer time of 30 minutes
    "Asia/Kathmandu",  # +5:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "UTC",
)
#: Instants within a day of 2026's clock changes in Europe and North America, and anywhere in the year.
CLOCK_CHANGES = (dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC))
instants = st.one_of(
    st.sampled_from(CLOCK_CHANGES).flatmap(
        lambda change: st.integers(-26 * 60, 26 * 60).map(lambda m: change + dt.timedelta(minutes=m))
    ),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)).map(lambda d: d.replace(tzinfo=dt.UTC)),
)
rows = st.lists(st.tuples(st.one_of(st.none(), instants), st.one_of(st.none(), st.sampled_from(ZONES))), max_size=60)


def _columns(given_rows: list[tuple[dt.datetime | None, str | None]]) -> tuple[pa.Array, pa.Array]:
    return (
        pa.array([instant for instant, _ in given_rows], pa.timestamp("us", tz="UTC")),
        pa.array([zone for _, zone in given_rows], pa.string()),
    )


@settings(max_examples=150, deadline=None)
@given(rows)
def test_each_rows_offset_is_the_one_zoneinfo_gives_for_its_instant_and_zone(
    given_rows: list[tuple[dt.datetime | None, str | None]],
) -> None:
    expected = [
        None if instant is None or zone is None else int(instant.astimezone(ZoneInfo(zone)).utcoffset() // _MINUTE)
        for instant, zone in given_rows
    ]

    assert utc_offset_minutes(*_columns(given_rows)).to_pylist() == expected


@settings(max_examples=150, deadline=None)
@given(rows)
def test_each_rows_local_date_is_its_instants_date_in_its_zone_or_in_utc_without_one(
    given_rows: list[tuple[dt.datetime | None, str | None]],
) -> None:
    expected = [
        None if instant is None else instant.astimezone(ZoneInfo(zone) if zone else dt.UTC).date()
        for instant, zone in given_rows
    ]

    assert local_date(*_columns(given_rows)).to_pylist() == expected


_MINUTE = dt.timedelta(minutes=1)


def test_threads_asking_for_the_airport_tables_at_once_wait_for_one_build(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    first_read = threading.Event()

    def slow_table() -> pa.Table:
        built.append(1)
        first_read.set()
        time.sleep(0.2)  # the second thread asks while this build goes on
        return airport_table()

    monkeypatch.setattr(normalising, "airport_table", slow_table)
    normalising._built_airport_tables.cache_clear()
    try:
        threads = [threading.Thread(target=normalising.airport_zone, args=(pa.array(["EDDF"]),)) for _ in range(2)]
        threads[0].start()
        first_read.wait(5)
        threads[1].start()
        for thread in threads:
            thread.join()
    finally:
        normalising._built_airport_tables.cache_clear()

    assert built == [1]
