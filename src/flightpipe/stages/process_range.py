"""process, a whole range of flight dates: the batch path a reprocess takes.

The per-run path (:func:`flightpipe.stages.process.process_flight_dates`) reads each transformed file with its
own ``read_table`` and opens a DuckDB connection per call; over a range that is thousands of calls and every
flight date's window read again by each day that touches it. Here the range is cut into chunks of consecutive
flight dates (the memory cap: one chunk's rows are held at a time, never the range's); each chunk's transformed
files are read in one dataset scan and deduplicated by the same ``process.sql`` on one connection for the whole
range, and each flight date's partition is written once. The partitions are those the per-run path writes: the
same rows (the SQL orders its output) through the same writer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.errors import ProcessError
from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.stages.process import (
    ProcessResult,
    dedupe,
    read_transformed_rows,
    transformed_keys,
    write_flight_date,
)

if TYPE_CHECKING:
    import duckdb

#: Flight dates processed per pass: the rows of 7 flight dates (and of the collection days around them that
#: mention them) are what a pass holds, about 0.3 GB for 5 busy airports.
CHUNK_FLIGHT_DATES = 7


def chunks(flight_dates: Sequence[dt.date], size: int = CHUNK_FLIGHT_DATES) -> list[list[dt.date]]:
    """``flight_dates`` sorted and cut into runs of at most ``size``."""
    ordered = sorted(set(flight_dates))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def process_range(
    store: ObjectStore,
    flight_dates: Sequence[dt.date],
    *,
    chunk_size: int = CHUNK_FLIGHT_DATES,
    memory_limit: str = "1GB",
    on_chunk: Callable[[list[ProcessResult]], None] = lambda results: None,
) -> list[ProcessResult]:
    """Rebuild the processed partition of every one of ``flight_dates``, a chunk of ``chunk_size`` dates per pass
    on one DuckDB connection capped at ``memory_limit``; ``on_chunk`` hears each chunk's results."""
    results: list[ProcessResult] = []
    with _connection(memory_limit) as con:
        for chunk in chunks(flight_dates, chunk_size):
            rows = _read_rows(store, chunk)
            flights = dedupe(rows, con)
            done = [write_flight_date(store, day, rows, flights) for day in chunk]
            results.extend(done)
            on_chunk(done)
    return results


@contextmanager
def _connection(memory_limit: str) -> Iterator[duckdb.DuckDBPyConnection]:
    import duckdb

    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit})
    try:
        yield con
    finally:
        con.close()


def _read_rows(store: ObjectStore, flight_dates: list[dt.date]) -> pa.Table:
    """The transformed rows of ``flight_dates``, from every file of their collection window, in one scan."""
    keys = transformed_keys(store, flight_dates)
    if not store.is_local:
        return read_transformed_rows(store, keys, flight_dates)
    if not keys:
        return TRANSFORMED_SCHEMA.empty_table()
    import pyarrow.dataset as ds

    wanted = pc.field("flight_date").isin(pa.array(flight_dates, pa.date32()))
    try:
        dataset = ds.dataset([str(store.local_path(k)) for k in keys], schema=TRANSFORMED_SCHEMA, format="parquet")
        return dataset.to_table(filter=wanted)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ProcessError(
            f"a transformed file of {flight_dates[0]}..{flight_dates[-1]} is unreadable ({exc}); delete it and run "
            "again to transform its raw file anew"
        ) from exc
