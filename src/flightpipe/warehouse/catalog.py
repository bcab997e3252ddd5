"""The local catalog: one DuckDB connection that sees the warehouse tables and views over the Parquet layers.

``flightpipe sql`` runs here. The warehouse is attached read-only, so a query can never change it; the views
``transformed``, ``processed`` and ``quarantine`` read the files of the object store directly (the local
counterpart of the Glue Data Catalog's tables).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from flightpipe.core.errors import ConfigError, LoadError
from flightpipe.core.layout import PROCESSED, QUARANTINE, TRANSFORMED, processed_keys, quarantine_keys, transformed_keys
from flightpipe.core.paths import DataPaths
from flightpipe.core.schema import PROCESSED_SCHEMA, TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.warehouse.connection import WarehouseConnection
from flightpipe.warehouse.ddl import duckdb_type
from flightpipe.warehouse.duckdb.adapter import open_error_hint
from flightpipe.warehouse.duckdb.settings import DuckDBWarehouseSettings

LAYER_VIEWS = ("transformed", "processed", "quarantine")


def open_catalog(warehouse: WarehouseConnection, paths: DataPaths) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the layer views over ``paths.data_dir``, and the warehouse attached read-only
    when it is an embedded DuckDB file."""
    store = ObjectStore(paths.data_dir)
    if not store.is_local:
        raise ConfigError("`flightpipe sql` reads a local data folder; on AWS query Athena or Redshift instead")
    root = store.local_path()
    con = duckdb.connect(":memory:")
    # The files by name, not a glob: a stray file someone put in a layer folder would break the whole view.
    _layer_view(con, "transformed", root, TRANSFORMED_SCHEMA, transformed_keys(store.list(TRANSFORMED + "/")))
    _layer_view(con, "processed", root, PROCESSED_SCHEMA, processed_keys(store.list(PROCESSED + "/")))
    quarantined = quarantine_keys(store.list(QUARANTINE + "/"))
    if quarantined:
        files = ", ".join(f"'{root}/{key}'" for key in quarantined)
        con.execute(
            f"CREATE VIEW quarantine AS SELECT * FROM read_json([{files}],"
            " format='newline_delimited', filename=true, union_by_name=true)"
        )
    else:
        con.execute(
            "CREATE VIEW quarantine AS SELECT NULL::VARCHAR AS raw_key, NULL::BIGINT AS page,"
            " NULL::BIGINT AS index, NULL::VARCHAR AS rule, NULL::VARCHAR AS reason, NULL::JSON AS record WHERE false"
        )
    if not isinstance(warehouse, DuckDBWarehouseSettings):
        return con  # PostgreSQL and Redshift are queried where they are (flightpipe sql goes there directly)
    file = warehouse.file(paths)
    if file.exists():
        try:
            con.execute(f"ATTACH '{file}' AS warehouse (READ_ONLY)")
        except duckdb.Error as exc:
            raise LoadError(f"cannot open the warehouse {file} ({open_error_hint(exc)}): {exc}") from exc
        con.execute("SET search_path = 'warehouse.main,memory.main'")
    return con


def _layer_view(con: duckdb.DuckDBPyConnection, name: str, root: Path, schema: object, keys: list[str]) -> None:
    if keys:
        files = ", ".join(f"'{root}/{key}'" for key in keys)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{files}], hive_partitioning=false)")
        return
    # No files yet: an empty view with the right columns, so queries written today keep working tomorrow.
    columns = ", ".join(f"NULL::{duckdb_type(f.type)} AS {f.name}" for f in schema)  # type: ignore[attr-defined]
    con.execute(f"CREATE VIEW {name} AS SELECT {columns} WHERE false")
