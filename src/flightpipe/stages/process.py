"""process: combine every airport's transformed rows into one row per physical flight, per flight date.

The rule itself lives in ``process.sql`` (one definition, shared with the Glue job). This module only decides
which transformed files can hold a flight date, loads their rows into DuckDB, runs the SQL, and replaces each
flight date's partition atomically: the partition is a single Parquet file written aside and renamed over the
old one, so a reader (or a crash) sees the old partition or the new one, never a mix.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flightpipe.core import layout
from flightpipe.core.errors import ProcessError
from flightpipe.core.faults import failpoint
from flightpipe.core.layout import (
    PROCESSED,
    TRANSFORMED,
    collection_dates_for,
    processed_file,
    processed_partition,
)
from flightpipe.core.parquet import read_parquet
from flightpipe.core.schema import PROCESSED_SCHEMA, TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore

if TYPE_CHECKING:
    import duckdb

PROCESS_SQL = resources.files("flightpipe.stages").joinpath("process.sql").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class ProcessResult:
    flight_date: dt.date
    partition_key: str
    rows_in: int
    flights_out: int
    codeshares: int
    duplicates_merged: int


def transformed_keys(store: ObjectStore, flight_dates: list[dt.date]) -> list[str]:
    """Transformed files of every airport (configured or not) in the collection window of ``flight_dates``."""
    wanted = {d.isoformat() for d in collection_dates_for(flight_dates)}
    keys: list[str] = []
    for icao in store.list_dirs(TRANSFORMED):
        for day in store.list_dirs(f"{TRANSFORMED}/{icao}"):
            if day in wanted:
                keys.extend(layout.transformed_keys(store.list(f"{TRANSFORMED}/{icao}/{day}/")))
    return keys


def read_transformed_rows(store: ObjectStore, keys: list[str], flight_dates: list[dt.date]) -> pa.Table:
    tables = []
    date_set = pa.array(flight_dates, pa.date32())
    for key in keys:
        try:
            table = read_parquet(store.get(key), TRANSFORMED_SCHEMA)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ProcessError(
                f"transformed file {key} is unreadable ({exc}); delete it and run again to transform its raw file anew"
            ) from exc
        tables.append(table.filter(pc.is_in(table.column("flight_date"), value_set=date_set)))
    if not tables:
        return TRANSFORMED_SCHEMA.empty_table()
    return pa.concat_tables(tables)


def dedupe(rows: pa.Table, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """Run the process SQL over ``rows`` (TRANSFORMED_SCHEMA) on ``con`` (default: a fresh in-memory connection,
    closed after); returns PROCESSED_SCHEMA rows."""
    # Imported here: the load Lambda reads partitions through this module and its layer ships no DuckDB.
    import duckdb

    own = con is None
    connection = duckdb.connect(":memory:") if con is None else con
    connection.register("transformed_rows", rows)
    try:
        return dedupe_on(connection)
    finally:
        connection.unregister("transformed_rows")
        if own:
            connection.close()


def dedupe_on(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Run the process SQL over the relation ``transformed_rows`` that ``con`` already holds (a registered Arrow
    table or a table of its own); returns PROCESSED_SCHEMA rows."""
    return con.sql(PROCESS_SQL).to_arrow_table().select(PROCESSED_SCHEMA.names).cast(PROCESSED_SCHEMA)


def process_flight_dates(store: ObjectStore, flight_dates: list[dt.date]) -> list[ProcessResult]:
    """Rebuild the processed partition of each flight date from all transformed rows that mention it."""
    flight_dates = sorted(set(flight_dates))
    if not flight_dates:
        return []
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        return process_on(con, store, flight_dates)
    finally:
        con.close()


#: Per flight date: its transformed rows and the distinct records among them, on the key of
#: :func:`distinct_records` (flight date, flight number, departure airport; NULLs group like any value).
COUNTS_SQL = """
SELECT flight_date, sum(rows_of_record)::BIGINT AS rows_in, count(*) AS records_in
FROM (
    SELECT flight_date, coalesce(flight_iata, flight_icao) AS number, dep_airport_icao, count(*) AS rows_of_record
    FROM transformed_rows
    GROUP BY flight_date, number, dep_airport_icao
)
GROUP BY flight_date
"""


def process_on(con: duckdb.DuckDBPyConnection, store: ObjectStore, flight_dates: list[dt.date]) -> list[ProcessResult]:
    """One pass over ``flight_dates`` (sorted, distinct) on ``con``: their transformed rows loaded, deduplicated
    and counted there, and each flight date's partition written."""
    load_transformed_rows(con, store, flight_dates)
    flights = dedupe_on(con)
    counts = {day: (rows_in, records_in) for day, rows_in, records_in in con.sql(COUNTS_SQL).fetchall()}
    return [write_counted_flight_date(store, day, flights, *counts.get(day, (0, 0))) for day in flight_dates]


def load_transformed_rows(con: duckdb.DuckDBPyConnection, store: ObjectStore, flight_dates: list[dt.date]) -> None:
    """Make ``transformed_rows`` on ``con`` the transformed rows of ``flight_dates`` from every file of their
    collection window (whatever it held before is dropped). From a local folder DuckDB reads the files itself, in
    one ``read_parquet`` into a table: less CPU than pyarrow's reader, and a table the SQL and the counts scan
    faster than Arrow. From any other store (S3) the files are read one by one and the rows registered as Arrow,
    not copied."""
    con.unregister("transformed_rows")  # a no-op when nothing is registered under the name
    con.execute("DROP TABLE IF EXISTS transformed_rows")
    keys = transformed_keys(store, flight_dates)
    if store.is_local and keys and _read_into_table(con, store, keys, flight_dates):
        return
    con.register("transformed_rows", read_transformed_rows(store, keys, flight_dates))


def _read_into_table(
    con: duckdb.DuckDBPyConnection, store: ObjectStore, keys: list[str], flight_dates: list[dt.date]
) -> bool:
    """The table ``transformed_rows`` from the local files ``keys``, by DuckDB; False when no file has a column of
    TRANSFORMED_SCHEMA (all were written before it was added): pyarrow's reader fills such a column with null."""
    import duckdb

    columns = ", ".join(f'"{name}"' for name in TRANSFORMED_SCHEMA.names)
    dates = ", ".join(f"DATE '{day.isoformat()}'" for day in flight_dates)  # ISO literals, never user text
    try:
        # union_by_name: a file without a newer column reads it as null, if another file of the window has it.
        con.execute(
            f"CREATE TABLE transformed_rows AS SELECT {columns} "
            f"FROM read_parquet($files, union_by_name = true) WHERE flight_date IN ({dates})",
            {"files": [str(store.local_path(key)) for key in keys]},
        )
    except duckdb.BinderException:
        return False
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        reason = str(exc).splitlines()[0]  # DuckDB's first line names the file; the next ones quote the statement
        raise ProcessError(
            f"a transformed file of {flight_dates[0]}..{flight_dates[-1]} is unreadable ({reason}); delete it and "
            "run again to transform its raw file anew"
        ) from exc
    return True


def write_counted_flight_date(
    store: ObjectStore, day: dt.date, flights: pa.Table, rows_in: int, records_in: int
) -> ProcessResult:
    """Write the processed partition of ``day`` from ``flights`` (deduplicated rows of several flight dates), of
    ``rows_in`` transformed rows holding ``records_in`` distinct records (:func:`distinct_records`) of ``day``."""
    day_flights = flights.filter(pc.equal(flights.column("flight_date"), pa.scalar(day, pa.date32())))
    write_partition(store, day, day_flights)
    codeshares = int(pc.sum(pc.list_value_length(day_flights.column("codeshare_flight_iatas"))).as_py() or 0)
    return ProcessResult(
        flight_date=day,
        partition_key=processed_partition(day),
        rows_in=rows_in,
        flights_out=day_flights.num_rows,
        codeshares=codeshares,
        duplicates_merged=rows_in - records_in,
    )


def distinct_records(rows: pa.Table) -> int:
    """Distinct records among transformed ``rows``: one per (flight date, flight number, departure airport),
    whichever board and collection saw it. Rows beyond that are duplicates dedup merged (the two ends of a
    flight, re-collections, a record listed twice); codeshare records are distinct records of their own."""
    keys = pa.table(
        {
            "flight_date": rows.column("flight_date"),
            "number": pc.coalesce(rows.column("flight_iata"), rows.column("flight_icao")),
            "dep": rows.column("dep_airport_icao"),
        }
    )
    return int(keys.group_by(["flight_date", "number", "dep"]).aggregate([]).num_rows)


def write_partition(store: ObjectStore, flight_date: dt.date, flights: pa.Table) -> None:
    sink = io.BytesIO()
    pq.write_table(flights, sink, compression="snappy")
    target = processed_file(flight_date)
    store.put(target, sink.getvalue())
    failpoint("process.after_write")
    # A partition is exactly one file; anything else in it (an older layout, a stray copy) would be read twice.
    for key in store.list(processed_partition(flight_date)):
        if key != target:
            store.delete(key)


def read_partition(store: ObjectStore, flight_date: dt.date) -> pa.Table:
    # One file when the DuckDB step wrote the partition; Spark (the Glue job) names its files part-*-<uuid>.
    keys = layout.processed_keys(store.list(processed_partition(flight_date)))
    if keys == [] or keys == [processed_file(flight_date)]:
        return read_parquet(store.get(processed_file(flight_date)), PROCESSED_SCHEMA)
    return pa.concat_tables(read_parquet(store.get(k), PROCESSED_SCHEMA) for k in keys)


def processed_flight_dates(store: ObjectStore) -> list[dt.date]:
    return [
        dt.date.fromisoformat(name.removeprefix("flight-date="))
        for name in store.list_dirs(PROCESSED)
        if name.startswith("flight-date=")
    ]
