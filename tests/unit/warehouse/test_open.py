"""``open_warehouse`` and ``open_catalog`` take the warehouse section and the data paths, never the root settings."""

from __future__ import annotations

from pathlib import Path

from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.catalog import open_catalog
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse
from flightpipe.warehouse.factory import capabilities, open_warehouse
from flightpipe.warehouse.settings import DuckDBWarehouseSettings, PostgresWarehouseSettings


def test_the_embedded_warehouse_opens_the_data_folder_s_default_file(tmp_path: Path) -> None:
    warehouse = open_warehouse(DuckDBWarehouseSettings(), DataPaths(str(tmp_path / "data")))
    try:
        assert isinstance(warehouse, DuckDBWarehouse)
        assert warehouse.path == tmp_path / "data" / "warehouse.duckdb"
    finally:
        warehouse.close()


def test_the_capabilities_come_from_the_section_s_adapter_without_connecting() -> None:
    assert capabilities(PostgresWarehouseSettings(host="nowhere.invalid")).loader_lock == "advisory"


def test_the_catalog_attaches_the_embedded_warehouse_read_only(tmp_path: Path) -> None:
    paths = DataPaths(str(tmp_path / "data"))
    warehouse = open_warehouse(DuckDBWarehouseSettings(), paths)
    try:
        warehouse.init()
    finally:
        warehouse.close()
    con = open_catalog(DuckDBWarehouseSettings(), paths)
    try:
        assert con.execute("SELECT count(*) FROM fact_flights").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM processed").fetchall() == [(0,)]
    finally:
        con.close()


def test_the_catalog_of_a_server_warehouse_holds_the_layer_views_only(tmp_path: Path) -> None:
    con = open_catalog(PostgresWarehouseSettings(), DataPaths(str(tmp_path / "data")))
    try:
        names = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert names == {"transformed", "processed", "quarantine"}
    finally:
        con.close()
