"""Warehouse DDL derived from the Arrow schemas: no hand-kept copy per engine."""

from __future__ import annotations

import pyarrow as pa

_DUCKDB_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


def duckdb_type(type_: pa.DataType) -> str:
    if pa.types.is_list(type_):
        return duckdb_type(type_.value_type) + "[]"
    try:
        return _DUCKDB_TYPES[type_]
    except KeyError:
        raise TypeError(f"no DuckDB type for Arrow type {type_}") from None


def create_table_sql(name: str, schema: pa.Schema, primary_key: tuple[str, ...] = ()) -> str:
    columns = [f"    {field.name} {duckdb_type(field.type)}{'' if field.nullable else ' NOT NULL'}" for field in schema]
    if primary_key:
        columns.append(f"    PRIMARY KEY ({', '.join(primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {name} (\n" + ",\n".join(columns) + "\n)"
