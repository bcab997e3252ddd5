"""Warehouse DDL derived from the Arrow schemas: no hand-kept copy per engine.

Each engine has a type map; ``create_table_sql`` renders a ``TableSpec`` and ``migration_sql`` turns the
difference between a table as it is and its spec into ``ALTER TABLE ... ADD COLUMN`` statements. Columns are
only ever added (never dropped or retyped), so a migration cannot lose data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pyarrow as pa

from flightpipe.warehouse.tables import TableSpec

Dialect = Literal["duckdb", "postgres", "redshift"]

_TYPES: dict[Dialect, dict[pa.DataType, str]] = {
    "duckdb": {
        pa.string(): "VARCHAR",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    },
    "postgres": {
        pa.string(): "TEXT",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE PRECISION",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    },
    "redshift": {
        # Redshift has no unbounded text; 256 bytes holds every code, name and key the sources deliver.
        pa.string(): "VARCHAR(256)",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE PRECISION",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    },
}


def sql_type(type_: pa.DataType, dialect: Dialect = "duckdb") -> str:
    if pa.types.is_list(type_):
        if dialect == "redshift":
            return "SUPER"  # COPY ... FORMAT AS PARQUET SERIALIZETOJSON loads nested columns into SUPER
        return sql_type(type_.value_type, dialect) + "[]"
    try:
        return _TYPES[dialect][type_]
    except KeyError:
        raise TypeError(f"no {dialect} type for Arrow type {type_}") from None


def duckdb_type(type_: pa.DataType) -> str:
    return sql_type(type_, "duckdb")


def column_type(spec: TableSpec, field: pa.Field, dialect: Dialect) -> str:
    if dialect == "redshift" and field.name in spec.long_text and pa.types.is_string(field.type):
        return "VARCHAR(65535)"
    return sql_type(field.type, dialect)


def column_sql(spec: TableSpec, field: pa.Field, dialect: Dialect) -> str:
    return f"{field.name} {column_type(spec, field, dialect)}{'' if field.nullable else ' NOT NULL'}"


def create_table_sql(spec: TableSpec, dialect: Dialect = "duckdb", *, temporary: bool = False) -> str:
    columns = [f"    {column_sql(spec, field, dialect)}" for field in spec.schema]
    if spec.primary_key and not temporary:
        columns.append(f"    PRIMARY KEY ({', '.join(spec.primary_key)})")
    head = f"CREATE TEMPORARY TABLE {spec.name}" if temporary else f"CREATE TABLE IF NOT EXISTS {spec.name}"
    sql = f"{head} (\n" + ",\n".join(columns) + "\n)"
    if dialect == "redshift" and not temporary:
        sql += f"\nDISTSTYLE {spec.diststyle}"
        if spec.dist_key:
            sql += f" DISTKEY ({spec.dist_key})"
        if spec.sort_key:
            sql += f" SORTKEY ({', '.join(spec.sort_key)})"
    return sql


def missing_columns(spec: TableSpec, existing: Iterable[str]) -> list[pa.Field]:
    present = {name.lower() for name in existing}
    return [field for field in spec.schema if field.name.lower() not in present]


def add_column_sql(spec: TableSpec, field: pa.Field, dialect: Dialect) -> str:
    # Added columns are nullable whatever the schema says: the rows already there have no value for them, and
    # the next load of each date fills them in.
    return f"ALTER TABLE {spec.name} ADD COLUMN {field.name} {column_type(spec, field, dialect)}"


def migration_sql(spec: TableSpec, existing: Iterable[str], dialect: Dialect) -> list[str]:
    return [add_column_sql(spec, field, dialect) for field in missing_columns(spec, existing)]
