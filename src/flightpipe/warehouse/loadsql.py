"""The SQL of one load, generated once for every engine.

A load of flight date D, after the engine has staged the partition in ``stage_flights`` (PROCESSED_SCHEMA
columns) and the airports it mentions in ``stage_airports``, is one transaction of these statements:

1. derive ``stage_airlines`` from the staged flights (Redshift's MERGE takes only a table as its source);
2. replace D's rows of ``fact_flights`` and ``flight_codeshares`` (delete + insert: a partition replace must
   also drop flights that are no longer in the partition, which MERGE cannot express before PostgreSQL 17 and
   on Redshift);
3. upsert ``dim_airline`` and ``dim_airport`` with MERGE;
4. record the load in ``flightpipe_loads``.

PostgreSQL runs exactly the statements that go to Redshift (only the staging and the unnesting of the
codeshare list differ), so the tests against a real PostgreSQL server check the Redshift load logic too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flightpipe.warehouse.ddl import Dialect, create_table_sql
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


def codeshare_count_sql(dialect: Dialect) -> str:
    return {
        "duckdb": "CAST(len(codeshare_flight_iatas) AS INTEGER)",
        "postgres": "CAST(coalesce(cardinality(codeshare_flight_iatas), 0) AS INTEGER)",
        "redshift": "CAST(get_array_length(codeshare_flight_iatas) AS INTEGER)",
    }[dialect]


def codeshare_rows_sql(dialect: Dialect, day: dt.date) -> str:
    """flight_date, flight_iata, dep_airport_icao, codeshare_flight_iata: one row per marketing number."""
    if dialect == "redshift":
        # PartiQL: iterate the SUPER array as a join.
        return (
            "SELECT s.flight_date, s.flight_iata, s.dep_airport_icao, CAST(c AS VARCHAR(256))"
            f" FROM {STAGE_FLIGHTS} AS s, s.codeshare_flight_iatas AS c WHERE s.flight_date = {sql_date(day)}"
        )
    return (
        "SELECT flight_date, flight_iata, dep_airport_icao, unnest(codeshare_flight_iatas)"
        f" FROM {STAGE_FLIGHTS} WHERE flight_date = {sql_date(day)}"
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
    rows: int,
    loaded_at: dt.datetime,
    tables: LoadTables = LoadTables(),
) -> LoadStatements:
    date = sql_date(day)
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
        f"DELETE FROM {tables.fact.name} WHERE flight_date = {date}",
        f"INSERT INTO {tables.fact.name} ({', '.join(fact_columns)})"
        f" SELECT {fact_select} FROM {STAGE_FLIGHTS} WHERE flight_date = {date}",
        f"DELETE FROM {tables.codeshares.name} WHERE flight_date = {date}",
        f"INSERT INTO {tables.codeshares.name} ({', '.join(tables.codeshares.schema.names)})"
        f" {codeshare_rows_sql(dialect, day)}",
        merge_sql(airline, STAGE_AIRLINES, keep_existing_when_null=True),
        merge_sql(tables.airport, STAGE_AIRPORTS, keep_existing_when_null=False),
        f"DELETE FROM {tables.loads.name} WHERE flight_date = {date}",
        f"INSERT INTO {tables.loads.name} (flight_date, run_id, rows_loaded, loaded_at)"
        f" VALUES ({date}, {sql_string(run_id, dialect)}, {rows}, {sql_timestamp(loaded_at)})",
        f"DROP TABLE {STAGE_AIRLINES}",
    ]
    return LoadStatements(
        count_before=f"SELECT count(*) FROM {tables.fact.name} WHERE flight_date = {date}",
        apply=apply,
        count_fact=f"SELECT count(*) FROM {tables.fact.name} WHERE flight_date = {date}",
        count_codeshares=f"SELECT count(*) FROM {tables.codeshares.name} WHERE flight_date = {date}",
    )
