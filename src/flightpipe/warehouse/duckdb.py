"""The embedded warehouse: one DuckDB file.

A load replaces one flight date inside one transaction (delete, insert, upsert the dimensions, record the
load), so a crash anywhere before COMMIT leaves the previous rows, and a rerun with the same partition leaves
the same rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from flightpipe.airports import all_airports
from flightpipe.errors import LoadError
from flightpipe.faults import failpoint
from flightpipe.schema import (
    DIM_AIRLINE_SCHEMA,
    DIM_AIRPORT_SCHEMA,
    FACT_FLIGHTS_SCHEMA,
    FLIGHT_CODESHARES_SCHEMA,
    PROCESSED_SCHEMA,
    QUALITY_RESULTS_SCHEMA,
)
from flightpipe.warehouse.base import LoadResult
from flightpipe.warehouse.ddl import create_table_sql

LOADS_TABLE = "flightpipe_loads"
QUALITY_TABLE = "quality_results"

_FACT_COLUMNS = [f.name for f in FACT_FLIGHTS_SCHEMA]


def table_ddl() -> list[str]:
    return [
        create_table_sql("fact_flights", FACT_FLIGHTS_SCHEMA),
        create_table_sql("flight_codeshares", FLIGHT_CODESHARES_SCHEMA),
        create_table_sql("dim_airport", DIM_AIRPORT_SCHEMA, primary_key=("airport_icao",)),
        create_table_sql("dim_airline", DIM_AIRLINE_SCHEMA, primary_key=("airline_key",)),
        f"CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (flight_date DATE PRIMARY KEY, run_id VARCHAR NOT NULL,"
        " rows_loaded INTEGER NOT NULL, loaded_at TIMESTAMPTZ NOT NULL)",
    ]


class DuckDBWarehouse:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"duckdb:///{path}"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            raise LoadError(f"cannot open the warehouse {path}: {exc}") from exc

    def close(self) -> None:
        self._con.close()

    def init(self) -> None:
        for statement in table_ddl():
            self._con.execute(statement)

    def load_flight_date(self, flight_date: dt.date, flights: pa.Table, *, run_id: str) -> LoadResult:
        self.init()
        con = self._con
        airports = _dim_airport_rows(flights)
        con.register("staged_flights", flights)
        con.register("staged_airports", airports)
        try:
            con.execute("BEGIN TRANSACTION")
            replaced = con.execute("SELECT count(*) FROM fact_flights WHERE flight_date = ?", [flight_date]).fetchone()
            con.execute("DELETE FROM fact_flights WHERE flight_date = ?", [flight_date])
            select = ", ".join(
                "CAST(len(codeshare_flight_iatas) AS INTEGER)" if c == "codeshare_count" else c for c in _FACT_COLUMNS
            )
            con.execute(
                f"INSERT INTO fact_flights ({', '.join(_FACT_COLUMNS)}) SELECT {select} FROM staged_flights"
                " WHERE flight_date = ?",
                [flight_date],
            )
            con.execute("DELETE FROM flight_codeshares WHERE flight_date = ?", [flight_date])
            con.execute(
                "INSERT INTO flight_codeshares SELECT flight_date, flight_iata, dep_airport_icao,"
                " unnest(codeshare_flight_iatas) FROM staged_flights WHERE flight_date = ?",
                [flight_date],
            )
            con.execute(
                "INSERT INTO dim_airline SELECT airline_key, any_value(airline_iata), any_value(airline_icao),"
                " max(airline_name) FROM (SELECT coalesce(airline_icao, airline_iata) AS airline_key, airline_iata,"
                " airline_icao, airline_name FROM staged_flights) WHERE airline_key IS NOT NULL GROUP BY airline_key"
                " ON CONFLICT (airline_key) DO UPDATE SET airline_iata = coalesce(excluded.airline_iata,"
                " dim_airline.airline_iata), airline_icao = coalesce(excluded.airline_icao, dim_airline.airline_icao),"
                " airline_name = coalesce(excluded.airline_name, dim_airline.airline_name)"
            )
            con.execute("INSERT OR REPLACE INTO dim_airport SELECT * FROM staged_airports")
            con.execute(
                f"INSERT OR REPLACE INTO {LOADS_TABLE} VALUES (?, ?, ?, now())", [flight_date, run_id, flights.num_rows]
            )
            loaded = con.execute("SELECT count(*) FROM fact_flights WHERE flight_date = ?", [flight_date]).fetchone()
            codeshares = con.execute(
                "SELECT count(*) FROM flight_codeshares WHERE flight_date = ?", [flight_date]
            ).fetchone()
            failpoint("load.before_commit")
            con.execute("COMMIT")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):  # the transaction may never have begun
                con.execute("ROLLBACK")
            raise LoadError(f"loading flight date {flight_date} failed; the previous rows are intact: {exc}") from exc
        finally:
            con.unregister("staged_flights")
            con.unregister("staged_airports")
        return LoadResult(
            flight_date=flight_date,
            rows_loaded=int(loaded[0]) if loaded else 0,
            rows_replaced=int(replaced[0]) if replaced else 0,
            codeshares_loaded=int(codeshares[0]) if codeshares else 0,
        )

    # Quality (flightpipe.quality) ---------------------------------------------------------------------------

    def load_quality_results(self, results: pa.Table) -> int:
        """Replace the rows of the same runs and partitions with ``results`` (QUALITY_RESULTS_SCHEMA), in one
        transaction, so a rerun of a run stores its results once."""
        con = self._con
        con.execute(create_table_sql(QUALITY_TABLE, QUALITY_RESULTS_SCHEMA))
        con.register("staged_quality", results)
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(
                f"DELETE FROM {QUALITY_TABLE} AS q WHERE EXISTS (SELECT 1 FROM staged_quality AS s"
                " WHERE s.run_id = q.run_id AND s.scope = q.scope AND s.partition_date = q.partition_date"
                " AND s.airport_icao IS NOT DISTINCT FROM q.airport_icao AND s.board IS NOT DISTINCT FROM q.board)"
            )
            columns = ", ".join(QUALITY_RESULTS_SCHEMA.names)
            con.execute(f"INSERT INTO {QUALITY_TABLE} ({columns}) SELECT {columns} FROM staged_quality")
            con.execute("COMMIT")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise LoadError(f"loading quality results failed; the previous rows are intact: {exc}") from exc
        finally:
            con.unregister("staged_quality")
        return int(results.num_rows)

    def flights(self, flight_date: dt.date) -> pa.Table:
        """The loaded rows of ``flight_date`` as PROCESSED_SCHEMA (the codeshare list rebuilt from the bridge):
        what the gate keeps for a held airport."""
        self.init()
        columns = ", ".join(f"f.{name}" for name in PROCESSED_SCHEMA.names if name != "codeshare_flight_iatas")
        table: pa.Table = self._con.sql(
            f"SELECT {columns}, coalesce((SELECT list(c.codeshare_flight_iata ORDER BY c.codeshare_flight_iata)"
            " FROM flight_codeshares AS c WHERE c.flight_date = f.flight_date"
            " AND c.flight_iata IS NOT DISTINCT FROM f.flight_iata AND c.dep_airport_icao = f.dep_airport_icao),"
            " []) AS codeshare_flight_iatas FROM fact_flights AS f WHERE f.flight_date = ?",
            params=[flight_date],
        ).to_arrow_table()
        return table.select(PROCESSED_SCHEMA.names).cast(PROCESSED_SCHEMA)


def _dim_airport_rows(flights: pa.Table) -> pa.Table:
    codes = {c for c in flights.column("dep_airport_icao").to_pylist() if c}
    codes |= {c for c in flights.column("arr_airport_icao").to_pylist() if c}
    reference = all_airports()
    rows = [
        {
            "airport_icao": code,
            "airport_iata": reference[code]["iata"] or None,
            "name": reference[code]["name"],
            "city": reference[code]["city"],
            "country": reference[code]["country"],
            "tz": reference[code]["tz"],
            "lat": float(reference[code]["lat"]),
            "lon": float(reference[code]["lon"]),
        }
        for code in sorted(codes)
        if code in reference
    ]
    return pa.Table.from_pylist(rows, schema=DIM_AIRPORT_SCHEMA)
