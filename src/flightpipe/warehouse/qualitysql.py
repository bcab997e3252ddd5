"""The SQL that stores a run's quality results in the warehouse table ``quality_results``, on every engine.

The results of one run are a few hundred rows at most (rules x boards and flight dates), so they are written
as literal ``INSERT ... VALUES`` statements: no staging, the same statements on DuckDB, PostgreSQL and through
the Redshift Data API (whose batches take no parameters). One transaction first deletes the rows of the same
runs and partitions, so storing a run's results again (a rerun, a replay) keeps them once.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from flightpipe.warehouse.ddl import Dialect
from flightpipe.warehouse.loadsql import insert_values_sql, sql_date, sql_string
from flightpipe.warehouse.tables import QUALITY_RESULTS, TableSpec

#: The columns that name one partition's results of one run.
PARTITION_COLUMNS = ("run_id", "scope", "partition_date", "airport_icao", "board")


def quality_results_statements(results: pa.Table, dialect: Dialect, table: TableSpec = QUALITY_RESULTS) -> list[str]:
    """DELETE the stored rows of the runs and partitions in ``results`` (QUALITY_RESULTS_SCHEMA), then
    INSERT ``results``."""
    if results.num_rows == 0:
        return []
    partitions = sorted(
        {tuple(row[c] for c in PARTITION_COLUMNS) for row in results.select(list(PARTITION_COLUMNS)).to_pylist()},
        key=str,
    )
    matches = [_partition_predicate(dict(zip(PARTITION_COLUMNS, p, strict=True)), dialect) for p in partitions]
    delete = f"DELETE FROM {table.name} WHERE " + " OR ".join(f"({m})" for m in matches)
    return [delete, *insert_values_sql(table.name, results.select(table.schema.names), dialect)]


def _partition_predicate(partition: dict[str, object], dialect: Dialect) -> str:
    terms = []
    for column, value in partition.items():
        if value is None:
            terms.append(f"{column} IS NULL")
        elif isinstance(value, dt.date):
            terms.append(f"{column} = {sql_date(value)}")
        else:
            terms.append(f"{column} = {sql_string(str(value), dialect)}")
    return " AND ".join(terms)
