"""The SQL of one load, generated once for every engine.

A load of flight date D, after the engine has staged the partition in ``stage_flights`` (PROCESSED_SCHEMA
columns) and the airports it mentions in ``stage_airports``, is one transaction of these statements:

1. derive ``stage_airlines`` from the staged flights (Redshift's MERGE takes only a table as its source);
2. replace D's rows of ``fact_flights`` and ``flight_codeshares`` (delete + insert: a partition replace must
   also drop flights that are no longer in the partition, which MERGE cannot express before PostgreSQL 17 and
   on Redshift); when the quality gate holds some airports' side of D (``KeepRows``), the rows departing or
   arriving at those airports are left as they are and only the rest is replaced;
3. upsert ``dim_airline`` and ``dim_airport`` with MERGE;
4. record the load in ``flightpipe_loads``.

PostgreSQL runs exactly the statements that go to Redshift (only the staging and the unnesting of the
codeshare list differ), so the tests against a real PostgreSQL server check the Redshift load logic too.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from flightpipe.warehouse.ddl import Dialect, create_table_sql, sql_type
from flightpipe.warehouse.tables import DIM_AIRLINE, DIM_AIRPORT, FACT_FLIGHTS, FLIGHT_CODESHARES, LOADS, TableSpec

STAGE_FLIGHTS = "stage_flights"
STAGE_AIRPORTS = "stage_airports"
STAGE_AIRLINES = "stage_airlines"


@dataclass(frozen=True, slots=True)
class LoadTables:
    """The table specs a load writes; tests pass older ones to prove migrations."""

    fact: TableSpec = FACT_FLIGHTS
    codeshares: TableSpec = FLIGHT_CODESHARES
    airport: TableSpec = DIM_AIRPORT
    airline: TableSpec = DIM_AIRLINE
    loads: TableSpec = LOADS


@dataclass(frozen=True, slots=True)
class KeepRows:
    """Rows of a flight date a load must leave as the warehouse has them: the flights departing one of
    ``departing`` or arriving at one of ``arriving`` (the quality gate holds those airports' boards)."""

    departing: frozenset[str] = frozenset()
    arriving: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.departing or self.arriving)

    def predicate(self, alias: str, dialect: Dialect) -> str:
        """SQL true for a kept row of ``alias`` (false, never null, for the rest)."""
        sides = [
            f"{alias}.{column} IN ({', '.join(sql_string(a, dialect) for a in sorted(airports))})"
            for column, airports in (("dep_airport_icao", self.departing), ("arr_airport_icao", self.arriving))
            if airports
        ]
        return f"coalesce({' OR '.join(sides) or 'FALSE'}, FALSE)"


@dataclass(frozen=True, slots=True)
class LoadStatements:
    """``before`` counts the rows about to be replaced; ``apply`` changes the warehouse; ``after`` counts."""

    count_before: str
    apply: list[str]
    count_fact: str
    count_codeshares: str


def sql_string(value: str, dialect: Dialect) -> str:
    escaped = value.replace("'", "''")
    if dialect == "redshift":
        escaped = escaped.replace("\\", "\\\\")  # Redshift reads backslash escapes in literals
    return f"'{escaped}'"


def sql_date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def sql_timestamp(at: dt.datetime) -> str:
    return f"CAST('{at.astimezone(dt.UTC).isoformat(sep=' ')}' AS TIMESTAMPTZ)"


def sql_literal(value: Any, type_: pa.DataType, dialect: Dialect) -> str:
    """``value`` of Arrow type ``type_`` as an SQL literal: for statements that take no parameters (the Data
    API's batches) and for small tables that are not worth staging (airports of a partition, quality results)."""
    if value is None:
        return "NULL"
    if pa.types.is_list(type_):
        items = [str(v) for v in value]
        if dialect == "redshift":
            return f"JSON_PARSE({sql_string(json.dumps(items), dialect)})"
        elements = ", ".join(sql_string(v, dialect) for v in items)
        array = f"[{elements}]" if dialect == "duckdb" else f"ARRAY[{elements}]"
        return f"CAST({array} AS {sql_type(type_, dialect)})"
    if pa.types.is_boolean(type_):
        return "TRUE" if value else "FALSE"
    if pa.types.is_integer(type_):
        return str(int(value))
    if pa.types.is_floating(type_):
        number = float(value)
        return repr(number) if math.isfinite(number) else "NULL"
    if pa.types.is_timestamp(type_):
        return sql_timestamp(value)
    if pa.types.is_date(type_):
        return sql_date(value)
    return sql_string(str(value), dialect)


def insert_values_sql(table: str, rows: pa.Table, dialect: Dialect, *, max_chars: int = 50_000) -> list[str]:
    """INSERT ... VALUES statements for ``rows``, each at most about ``max_chars`` long (the Data API takes
    100,000 characters a statement)."""
    columns = rows.schema.names
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    statements: list[str] = []
    values: list[str] = []
    size = len(head)
    for row in rows.to_pylist():
        value = "(" + ", ".join(sql_literal(row[f.name], f.type, dialect) for f in rows.schema) + ")"
        if values and size + len(value) + 2 > max_chars:
            statements.append(head + ", ".join(values))
            values, size = [], len(head)
        values.append(value)
        size += len(value) + 2
    if values:
        statements.append(head + ", ".join(values))
    return statements


def codeshare_count_sql(dialect: Dialect) -> str:
    return {
        "duckdb": "CAST(len(codeshare_flight_iatas) AS INTEGER)",
        "postgres": "CAST(coalesce(cardinality(codeshare_flight_iatas), 0) AS INTEGER)",
        "redshift": "CAST(get_array_length(codeshare_flight_iatas) AS INTEGER)",
    }[dialect]


def codeshare_rows_sql(dialect: Dialect, day: dt.date, columns: list[str], where: str = "") -> str:
    """``columns`` of the bridge: one row per marketing number of the staged flights (``s``) of ``day`` that
    also match ``where``."""
    if dialect == "redshift":
        # PartiQL: iterate the SUPER array as a join.
        number, source = "CAST(c AS VARCHAR(256))", f"{STAGE_FLIGHTS} AS s, s.codeshare_flight_iatas AS c"
    else:
        number, source = "unnest(s.codeshare_flight_iatas)", f"{STAGE_FLIGHTS} AS s"
    select = ", ".join(number if c == "codeshare_flight_iata" else f"s.{c}" for c in columns)
    return f"SELECT {select} FROM {source} WHERE s.flight_date = {sql_date(day)}{where}"


def flight_key(alias: str) -> str:
    """The operating flight's number as the process stage keys a physical flight (process.sql's flight_key:
    the IATA number, else the ICAO one; OpenSky delivers only ICAO numbers). Never null, so two flights
    without any number match each other, as they fall into one group there."""
    return f"coalesce({alias}.flight_iata, {alias}.flight_icao, '')"


def same_flight(a: str, b: str) -> str:
    """SQL true when ``a`` and ``b`` are the same physical flight: the process stage's key (flight date,
    ``flight_key``, departure airport)."""
    return (
        f"{a}.flight_date = {b}.flight_date AND {flight_key(a)} = {flight_key(b)}"
        f" AND {a}.dep_airport_icao = {b}.dep_airport_icao"
    )


def merge_sql(target: TableSpec, source: str, *, keep_existing_when_null: bool) -> str:
    """Upsert every row of ``source`` into ``target`` by its primary key.

    ``keep_existing_when_null``: a null in the new row keeps the old value (an airline's name seen once stays).
    """
    key = target.primary_key
    columns = target.schema.names
    updates = [c for c in columns if c not in key]
    on = " AND ".join(f"{target.name}.{k} = s.{k}" for k in key)
    if keep_existing_when_null:
        sets = ", ".join(f"{c} = coalesce(s.{c}, {target.name}.{c})" for c in updates)
    else:
        sets = ", ".join(f"{c} = s.{c}" for c in updates)
    return (
        f"MERGE INTO {target.name} USING {source} AS s ON {on}"
        f" WHEN MATCHED THEN UPDATE SET {sets}"
        f" WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) VALUES ({', '.join('s.' + c for c in columns)})"
    )


def load_statements(
    dialect: Dialect,
    day: dt.date,
    *,
    run_id: str,
    loaded_at: dt.datetime,
    tables: LoadTables = LoadTables(),
    keep: KeepRows | None = None,
) -> LoadStatements:
    date = sql_date(day)
    fact, codeshares = tables.fact.name, tables.codeshares.name
    fact_columns = tables.fact.schema.names
    fact_select = ", ".join(codeshare_count_sql(dialect) if c == "codeshare_count" else c for c in fact_columns)
    airline = tables.airline
    apply = [
        create_table_sql(
            TableSpec(STAGE_AIRLINES, airline.schema, primary_key=airline.primary_key), dialect, temporary=True
        ),
        f"INSERT INTO {STAGE_AIRLINES} ({', '.join(airline.schema.names)})"
        " SELECT coalesce(airline_icao, airline_iata), max(airline_iata), max(airline_icao), max(airline_name)"
        f" FROM {STAGE_FLIGHTS} WHERE coalesce(airline_icao, airline_iata) IS NOT NULL"
        " GROUP BY coalesce(airline_icao, airline_iata)",
    ]
    codeshare_columns = tables.codeshares.schema.names
    insert_codeshares = f"INSERT INTO {codeshares} ({', '.join(codeshare_columns)}) "
    insert_fact = f"INSERT INTO {fact} ({', '.join(fact_columns)}) SELECT {fact_select} FROM {STAGE_FLIGHTS} AS s"
    if not keep:
        apply += [
            f"DELETE FROM {fact} WHERE flight_date = {date}",
            f"{insert_fact} WHERE s.flight_date = {date}",
            f"DELETE FROM {codeshares} WHERE flight_date = {date}",
            insert_codeshares + codeshare_rows_sql(dialect, day, codeshare_columns),
        ]
    else:
        # Only the rows outside the hold are replaced. After the first DELETE the fact holds exactly the kept
        # rows of the day; the codeshares of the other rows go, and a staged flight is inserted only when it is
        # not held and not already kept (a flight whose airports changed between loads must not appear twice).
        # The codeshares are inserted before the fact rows, so both see the same kept rows.
        fresh = (
            f" AND NOT {keep.predicate('s', dialect)}"
            f" AND NOT EXISTS (SELECT 1 FROM {fact} AS k WHERE {same_flight('k', 's')})"
        )
        apply += [
            f"DELETE FROM {fact} WHERE flight_date = {date} AND NOT {keep.predicate(fact, dialect)}",
            f"DELETE FROM {codeshares} WHERE flight_date = {date}"
            f" AND NOT EXISTS (SELECT 1 FROM {fact} AS k WHERE {same_flight('k', codeshares)})",
            insert_codeshares + codeshare_rows_sql(dialect, day, codeshare_columns, fresh),
            f"{insert_fact} WHERE s.flight_date = {date}{fresh}",
        ]
    apply += [
        merge_sql(airline, STAGE_AIRLINES, keep_existing_when_null=True),
        merge_sql(tables.airport, STAGE_AIRPORTS, keep_existing_when_null=False),
        f"DELETE FROM {tables.loads.name} WHERE flight_date = {date}",
        # What the fact holds for the date once this load is applied (kept rows included), not what was staged:
        # a load whose rows were all held records 0.
        f"INSERT INTO {tables.loads.name} (flight_date, run_id, rows_loaded, loaded_at)"
        f" SELECT {date}, {sql_string(run_id, dialect)}, CAST(count(*) AS INTEGER), {sql_timestamp(loaded_at)}"
        f" FROM {fact} WHERE flight_date = {date}",
        f"DROP TABLE {STAGE_AIRLINES}",
    ]
    return LoadStatements(
        count_before=f"SELECT count(*) FROM {fact} WHERE flight_date = {date}",
        apply=apply,
        count_fact=f"SELECT count(*) FROM {fact} WHERE flight_date = {date}",
        count_codeshares=f"SELECT count(*) FROM {codeshares} WHERE flight_date = {date}",
    )


@dataclass(frozen=True, slots=True)
class RangeLoadStatements:
    """A set-based load of several flight dates at once: ``count_*`` give (flight_date, count) rows of the
    range (a date without rows has none); ``apply`` changes the warehouse."""

    count_before: str
    apply: list[str]
    count_fact: str
    count_codeshares: str


def sql_dates(days: list[dt.date]) -> str:
    return f"({', '.join(sql_date(d) for d in days)})"


def range_load_statements(
    dialect: Dialect,
    days: list[dt.date],
    *,
    run_id: str,
    loaded_at: dt.datetime,
    tables: LoadTables = LoadTables(),
) -> RangeLoadStatements:
    """The statements of :func:`load_statements`, whole (no ``KeepRows``), for every one of ``days`` in one
    pass over ``stage_flights`` (the partitions of ``days``). The warehouse they leave is the one the per-date
    loads in date order leave: the fact, the bridge and ``flightpipe_loads`` are replaced per date anyway; an
    airline's column takes the value the latest date with a non-null one gives it (each per-date MERGE keeps the
    old value where the new one is null); an airport's row is reference data, the same whichever date names it.
    DuckDB's SQL (``max_by``, ``unnest`` of a list): the engine that reads a staged range as cheaply as a date.
    ``days``: sorted, distinct."""
    assert dialect == "duckdb", "the set-based range load is written in DuckDB's SQL"
    dates = sql_dates(days)
    fact, codeshares = tables.fact.name, tables.codeshares.name
    fact_columns = tables.fact.schema.names
    fact_select = ", ".join(codeshare_count_sql(dialect) if c == "codeshare_count" else c for c in fact_columns)
    airline = tables.airline
    codeshare_columns = tables.codeshares.schema.names
    per_date_airlines = (
        "SELECT flight_date, coalesce(airline_icao, airline_iata) AS airline_key, max(airline_iata) AS airline_iata,"
        " max(airline_icao) AS airline_icao, max(airline_name) AS airline_name"
        f" FROM {STAGE_FLIGHTS} WHERE coalesce(airline_icao, airline_iata) IS NOT NULL"
        " GROUP BY flight_date, coalesce(airline_icao, airline_iata)"
    )
    latest = ", ".join(
        f"max_by({c}, CASE WHEN {c} IS NOT NULL THEN flight_date END)"
        for c in ("airline_iata", "airline_icao", "airline_name")
    )
    unnest_number = "unnest(s.codeshare_flight_iatas)"
    codeshare_select = ", ".join(unnest_number if c == "codeshare_flight_iata" else f"s.{c}" for c in codeshare_columns)
    apply = [
        create_table_sql(
            TableSpec(STAGE_AIRLINES, airline.schema, primary_key=airline.primary_key), dialect, temporary=True
        ),
        f"INSERT INTO {STAGE_AIRLINES} ({', '.join(airline.schema.names)})"
        f" SELECT airline_key, {latest} FROM ({per_date_airlines}) AS d GROUP BY airline_key",
        f"DELETE FROM {fact} WHERE flight_date IN {dates}",
        f"INSERT INTO {fact} ({', '.join(fact_columns)}) SELECT {fact_select} FROM {STAGE_FLIGHTS} AS s"
        f" WHERE s.flight_date IN {dates}",
        f"DELETE FROM {codeshares} WHERE flight_date IN {dates}",
        f"INSERT INTO {codeshares} ({', '.join(codeshare_columns)})"
        f" SELECT {codeshare_select} FROM {STAGE_FLIGHTS} AS s WHERE s.flight_date IN {dates}",
        merge_sql(airline, STAGE_AIRLINES, keep_existing_when_null=True),
        merge_sql(tables.airport, STAGE_AIRPORTS, keep_existing_when_null=False),
        f"DELETE FROM {tables.loads.name} WHERE flight_date IN {dates}",
        f"INSERT INTO {tables.loads.name} (flight_date, run_id, rows_loaded, loaded_at)"
        f" SELECT d.flight_date, {sql_string(run_id, dialect)}, CAST(count(f.flight_date) AS INTEGER),"
        f" {sql_timestamp(loaded_at)}"
        f" FROM (VALUES {', '.join(f'({sql_date(d)})' for d in days)}) AS d (flight_date)"
        f" LEFT JOIN {fact} AS f ON f.flight_date = d.flight_date GROUP BY d.flight_date",
        f"DROP TABLE {STAGE_AIRLINES}",
    ]

    def counts(table: str) -> str:
        return f"SELECT flight_date, count(*) FROM {table} WHERE flight_date IN {dates} GROUP BY flight_date"

    return RangeLoadStatements(
        count_before=counts(fact), apply=apply, count_fact=counts(fact), count_codeshares=counts(codeshares)
    )
