"""The configured warehouse as the command line uses it: read-only queries (``sql``, ``summary``, ``report``),
creating or migrating it (``warehouse init``) and what it holds (``warehouse status``)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flightpipe.config import Settings
from flightpipe.core.errors import ConfigError, LoadError
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.warehouse.base import SqlWarehouse, WarehouseStatus
from flightpipe.warehouse.connection import WarehouseConnection
from flightpipe.warehouse.ddl import Dialect


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class WarehouseInit:
    """The warehouse ``warehouse init`` prepared, and what it created or added (``CREATE TABLE x`` ...)."""

    url: str
    dialect: Dialect
    changes: list[str]


def open_for_reading(settings: Settings) -> SqlWarehouse:
    """The configured warehouse, read-only; refuses an embedded DuckDB file that does not exist yet (opening it
    would create an empty one)."""
    if settings.warehouse.type == "duckdb" and not settings.resolved_warehouse_path().exists():
        raise ConfigError(
            f"no warehouse at {settings.resolved_warehouse_path()} yet; run `flightpipe run` or "
            "`flightpipe warehouse init` first (or, if it was deleted, `flightpipe warehouse rebuild`: it loads "
            "processed/ again)"
        )
    return connect_warehouse(settings, read_only=True)


@contextmanager
def reading_warehouse(settings: Settings) -> Iterator[SqlWarehouse]:
    warehouse = open_for_reading(settings)
    try:
        yield warehouse
    finally:
        warehouse.close()


def query_warehouse(settings: Settings, sql: str) -> QueryResult:
    """Column names and rows of ``sql``, read-only. On DuckDB the query also sees the views over the Parquet
    layers (the catalog); on PostgreSQL and Redshift it runs there. A failing query is a ``ConfigError``."""
    if settings.warehouse.type != "duckdb":
        with reading_warehouse(settings) as warehouse:
            try:
                columns, rows = warehouse.columns_and_rows(sql)
            except LoadError as exc:
                raise ConfigError(f"query failed: {exc}") from None
        return QueryResult(columns, rows)

    import duckdb

    from flightpipe.warehouse.catalog import open_catalog

    folder = settings.local_data_dir()
    if folder is not None and not folder.exists():  # a query must not create the data folder
        raise ConfigError(f"no data folder {folder} yet: nothing was collected; run `flightpipe run` first")
    with warehouse_snapshot(settings) as snapshot:
        con = open_catalog(snapshot, settings.paths())
        try:
            cursor = con.execute(sql)
            return QueryResult([d[0] for d in cursor.description or []], cursor.fetchall())
        except duckdb.Error as exc:
            raise ConfigError(f"query failed: {exc}") from None
        finally:
            con.close()


@contextmanager
def warehouse_snapshot(settings: Settings) -> Iterator[WarehouseConnection]:
    """The DuckDB warehouse as a copy of its file taken under the loader lock, for one query: a query that runs
    for an hour then holds the copy, never the file a load needs (DuckDB lets no writer in while a reader has
    the file open). The copy is deleted afterwards; it costs a read of the file per query."""
    source = settings.resolved_warehouse_path()
    if not source.exists():
        yield settings.warehouse
        return
    with tempfile.TemporaryDirectory(prefix="flightpipe-sql-") as folder:
        copy = Path(folder) / source.name
        with warehouse_lock(settings, "taking a snapshot of the warehouse for a query"):
            shutil.copyfile(source, copy)
            wal = source.with_name(source.name + ".wal")
            if wal.exists():
                shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        yield settings.warehouse.model_copy(update={"path": str(copy)})


def init_warehouse(settings: Settings) -> WarehouseInit:
    """Create the missing tables and views, add the columns the schema gained (never drops any), under the
    loader lock so no load runs meanwhile."""
    with warehouse_lock(settings, "initialising the warehouse"):
        warehouse = connect_warehouse(settings)
        try:
            statements = warehouse.init()
        finally:
            warehouse.close()
    # A view is replaced by dropping and creating it again: the CREATE says what changed, the DROP nothing more.
    changes = [s.split("(", 1)[0].split(" AS", 1)[0].strip() for s in statements if not s.startswith("DROP VIEW")]
    return WarehouseInit(warehouse.url, warehouse.dialect, changes)


def warehouse_status(settings: Settings) -> WarehouseStatus:
    """Tables and row counts, rows per flight date with the run that loaded it, the last load."""
    with reading_warehouse(settings) as warehouse:
        return warehouse.status()
