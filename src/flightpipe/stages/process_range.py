"""process, a whole range of flight dates: the batch path a reprocess takes.

The per-run path (:func:`flightpipe.stages.process.process_flight_dates`) reads each transformed file with its
own ``read_table`` and opens a DuckDB connection per call; over a range that is thousands of calls and every
flight date's window read again by each day that touches it. Here the range is cut into chunks of consecutive
flight dates (the memory cap: one chunk's rows are held at a time, never the range's), all on one DuckDB
connection: each chunk's transformed files are read by DuckDB itself in one ``read_parquet`` into a table (half
the CPU of a pyarrow dataset scan handed over as Arrow), deduplicated there by the same ``process.sql``, counted
there per flight date, and each flight date's partition is written once. The partitions are those the per-run
path writes: the same rows (the SQL orders its output) through the same writer, and the same counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flightpipe.core.errors import ProcessError
from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.stages.process import (
    ProcessResult,
    dedupe_on,
    read_transformed_rows,
    transformed_keys,
    write_counted_flight_date,
)

if TYPE_CHECKING:
    import duckdb

#: Flight dates processed per pass: the rows of 7 flight dates (and of the collection days around them that
#: mention them) are what a pass holds, about 0.3 GB for 5 busy airports.
CHUNK_FLIGHT_DATES = 7

#: Per flight date of the chunk: its transformed rows and the distinct records among them, on the key of
#: ``process.distinct_records`` (flight date, flight number, departure airport; NULLs group like any value).
_COUNTS_SQL = """
SELECT flight_date, sum(rows_of_record)::BIGINT AS rows_in, count(*) AS records_in
FROM (
    SELECT flight_date, coalesce(flight_iata, flight_icao) AS number, dep_airport_icao, count(*) AS rows_of_record
    FROM transformed_rows
    GROUP BY flight_date, number, dep_airport_icao
)
GROUP BY flight_date
"""


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
            _load_rows(con, store, chunk)
            flights = dedupe_on(con)
            counts = {day: (rows_in, records_in) for day, rows_in, records_in in con.sql(_COUNTS_SQL).fetchall()}
            done = [write_counted_flight_date(store, day, flights, *counts.get(day, (0, 0))) for day in chunk]
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


def _load_rows(con: duckdb.DuckDBPyConnection, store: ObjectStore, flight_dates: list[dt.date]) -> None:
    """Make ``transformed_rows`` on ``con`` a table of the transformed rows of ``flight_dates``, from every file of
    their collection window: read by DuckDB in one scan from a local store, through Arrow from any other."""
    import duckdb

    keys = transformed_keys(store, flight_dates)
    columns = ", ".join(f'"{name}"' for name in TRANSFORMED_SCHEMA.names)
    if store.is_local and keys:
        # Dates are ISO literals (never user text); union_by_name reads a file that lacks a newer column as the
        # Arrow path's schema does: that column null.
        dates = ", ".join(f"DATE '{day.isoformat()}'" for day in flight_dates)
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE transformed_rows AS SELECT {columns} "
                f"FROM read_parquet($files, union_by_name = true) WHERE flight_date IN ({dates})",
                {"files": [str(store.local_path(key)) for key in keys]},
            )
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            # DuckDB's first line names the file; the lines after it quote the statement.
            reason = str(exc).splitlines()[0]
            raise ProcessError(
                f"a transformed file of {flight_dates[0]}..{flight_dates[-1]} is unreadable ({reason}); delete it "
                "and run again to transform its raw file anew"
            ) from exc
        return
    rows = read_transformed_rows(store, keys, flight_dates)
    con.register("chunk_rows", rows)
    try:
        con.execute(f"CREATE OR REPLACE TABLE transformed_rows AS SELECT {columns} FROM chunk_rows")
    finally:
        con.unregister("chunk_rows")
