"""The Flights page: search the warehouse's flights, and one flight with both ends, its codeshares and where it
came from (the raw files and runs of the transformed rows behind it).

Searches filter ``fact_flights`` on a flight date range first (the table's load partition, so DuckDB skips the
other dates' row groups) and return at most ``MAX_RESULTS`` flights.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from flightpipe.core.layout import TRANSFORMED, transformed_keys
from flightpipe.core.paths import DataPaths
from flightpipe.ui.warehouse import date_literal, records, text_literal
from flightpipe.warehouse.base import SqlWarehouse

MAX_RESULTS = 200
#: A search without a date looks at this many days up to the newest flight date loaded.
DEFAULT_SPAN_DAYS = 7

COLUMNS = (
    "flight_date, flight_iata, flight_icao, airline_iata, airline_name, dep_airport_icao, arr_airport_icao,"
    " dep_scheduled_utc, dep_actual_utc, dep_delay_min, arr_scheduled_utc, arr_actual_utc, arr_delay_min, status,"
    " codeshare_count"
)


@dataclass(frozen=True, slots=True)
class FlightSearch:
    number: str | None = None  # operating or marketing (codeshare) flight number, IATA or ICAO
    airline: str | None = None  # IATA or ICAO airline code
    airport: str | None = None  # either end
    dep: str | None = None  # route: departure airport
    arr: str | None = None  # route: arrival airport
    date: dt.date | None = None

    @property
    def empty(self) -> bool:
        return not any((self.number, self.airline, self.airport, self.dep, self.arr, self.date))


@dataclass(frozen=True, slots=True)
class FlightDetail:
    flight: dict[str, Any]
    codeshares: list[str]
    #: Transformed rows behind the flight: raw_key, run_id, board, board airport, collected at.
    lineage: list[dict[str, Any]] = field(default_factory=list)


def newest_flight_date(warehouse: SqlWarehouse) -> dt.date | None:
    rows = warehouse.query("SELECT max(flight_date) FROM fact_flights")
    value = rows[0][0] if rows else None
    return value if isinstance(value, dt.date) else None


def search(warehouse: SqlWarehouse, query: FlightSearch) -> list[dict[str, Any]]:
    """Flights matching every given field, by scheduled departure; one date, else the last week loaded."""
    last = query.date or newest_flight_date(warehouse)
    if last is None:
        return []
    first = query.date or last - dt.timedelta(days=DEFAULT_SPAN_DAYS - 1)
    where = [f"flight_date BETWEEN {date_literal(first)} AND {date_literal(last)}"]
    if query.number:
        n = text_literal(query.number)
        where.append(
            f"({n} IN (flight_iata, flight_icao) OR EXISTS (SELECT 1 FROM flight_codeshares AS c"
            " WHERE c.flight_date = f.flight_date AND c.dep_airport_icao = f.dep_airport_icao"
            f" AND c.flight_iata = f.flight_iata AND c.codeshare_flight_iata = {n}))"
        )
    if query.airline:
        a = text_literal(query.airline)
        where.append(f"{a} IN (airline_iata, airline_icao)")
    if query.airport:
        p = text_literal(query.airport)
        where.append(f"{p} IN (dep_airport_icao, arr_airport_icao, dep_airport_iata, arr_airport_iata)")
    if query.dep:
        where.append(f"{text_literal(query.dep)} IN (dep_airport_icao, dep_airport_iata)")
    if query.arr:
        where.append(f"{text_literal(query.arr)} IN (arr_airport_icao, arr_airport_iata)")
    sql = (
        f"SELECT {COLUMNS} FROM fact_flights AS f WHERE {' AND '.join(where)}"
        f" ORDER BY dep_scheduled_utc, flight_iata LIMIT {MAX_RESULTS}"
    )
    return records(warehouse, sql)


def flight(warehouse: SqlWarehouse, paths: DataPaths, day: dt.date, dep: str, number: str) -> FlightDetail | None:
    """The flight ``number`` (IATA, else ICAO) departing ``dep`` on flight date ``day``."""
    key = (
        f"flight_date = {date_literal(day)} AND dep_airport_icao = {text_literal(dep)}"
        f" AND coalesce(flight_iata, flight_icao) = {text_literal(number)}"
    )
    found = records(warehouse, f"SELECT * FROM fact_flights WHERE {key}")
    if not found:
        return None
    row = found[0]
    codeshares = [
        str(r[0])
        for r in warehouse.query(
            f"SELECT codeshare_flight_iata FROM flight_codeshares WHERE flight_date = {date_literal(day)}"
            f" AND dep_airport_icao = {text_literal(dep)} AND flight_iata IS NOT DISTINCT FROM"
            f" {_nullable(row.get('flight_iata'))} ORDER BY 1"
        )
    ]
    return FlightDetail(row, codeshares, lineage(paths, row))


def lineage(paths: DataPaths, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The transformed rows of this flight: which raw file and run each came from.

    Only the transformed files that can hold it are read: the boards of its two airports, collected on its
    flight date or the day after (an arrivals board holds the previous day's late departures).
    """
    root = paths.local_data_dir
    if root is None:
        return []
    day: dt.date = row["flight_date"]
    folders = [
        root / TRANSFORMED / airport / (day + dt.timedelta(days=offset)).isoformat()
        for airport in {row.get("dep_airport_icao"), row.get("arr_airport_icao")}
        if airport
        for offset in (-1, 0, 1)
    ]
    # The files by name (a stray file in a layer folder is skipped with a warning, never read).
    listed = [f"{p.relative_to(root).as_posix()}" for folder in folders if folder.is_dir() for p in folder.iterdir()]
    globs = [str(root / key) for key in transformed_keys(listed)]
    if not globs:
        return []
    numbers = [n for n in (row.get("flight_iata"), row.get("flight_icao")) if n]
    con = duckdb.connect(":memory:")
    try:
        cursor = con.execute(
            "SELECT raw_key, run_id, board, board_airport_icao, collected_at_utc, is_codeshare, flight_iata"
            " FROM read_parquet(?, union_by_name = true) WHERE flight_date = ?"
            " AND (flight_iata IN (SELECT unnest(?)) OR operating_flight_iata IN (SELECT unnest(?))"
            "      OR flight_icao IN (SELECT unnest(?)) OR operating_flight_icao IN (SELECT unnest(?)))"
            " AND dep_airport_icao = ? ORDER BY collected_at_utc, raw_key",
            [globs, day, numbers, numbers, numbers, numbers, row["dep_airport_icao"]],
        )
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()


def _nullable(value: Any) -> str:
    return "NULL" if value is None else text_literal(str(value))
