"""verify: which raw files of a day lack their transformed twin, and which flight dates a twin holds.

Every raw file must end up transformed (or quarantined whole): an S3 event can come late or never, a transform
can fail after its retries, a run can crash between collect and transform. These functions find the gap; the
pipeline layer closes it (``flightpipe.pipeline.verify``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pyarrow.compute as pc

from flightpipe.core.layout import RawKey, raw_keys, raw_prefix
from flightpipe.core.parquet import read_parquet
from flightpipe.core.store import ObjectStore
from flightpipe.stages.transform import TransformResult, is_transformed


def raw_keys_of_day(store: ObjectStore, airports: Sequence[str], day: dt.date) -> list[str]:
    """Every raw file of collection date ``day`` at ``airports`` (any run's), airport by airport."""
    return [key for icao in airports for key in raw_keys(store.list(raw_prefix(icao, day)))]


def lacking_twin(store: ObjectStore, raw_keys: Iterable[str]) -> list[str]:
    """The raw keys not yet transformed (no Parquet twin, not quarantined whole as corrupt)."""
    return [key for key in raw_keys if not is_transformed(store, key)]


def twin_flight_dates(store: ObjectStore, raw_key: str) -> set[dt.date]:
    """The flight dates in ``raw_key``'s Parquet twin; none for a file quarantined whole as corrupt."""
    key = RawKey.parse(raw_key)
    if not store.exists(key.transformed_key):
        return set()
    column = read_parquet(store.get(key.transformed_key), columns=["flight_date"]).column("flight_date")
    return {d for d in pc.unique(column).to_pylist() if d is not None}


def touched_flight_dates(
    store: ObjectStore, transformed: Iterable[TransformResult], twins_of: Iterable[str] = ()
) -> list[dt.date]:
    """The flight dates new rows touch (a day's arrivals hold flights of the day before): those of the files
    ``transformed`` here, and of the twins of ``twins_of`` (files another process transformed)."""
    dates = {d for result in transformed for d in result.flight_dates}
    for raw_key in twins_of:
        dates |= twin_flight_dates(store, raw_key)
    return sorted(dates)
