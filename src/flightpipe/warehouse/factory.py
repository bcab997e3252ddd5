"""The configured warehouse: ``warehouse.type`` picks the adapter."""

from __future__ import annotations

from flightpipe.config import Settings
from flightpipe.warehouse.base import Capabilities, SqlWarehouse
from flightpipe.warehouse.settings import (
    DuckDBWarehouseSettings,
    PostgresWarehouseSettings,
    RedshiftWarehouseSettings,
)


def capabilities(settings: Settings) -> Capabilities:
    """The configured engine's capabilities, without connecting to it (the adapters import their drivers only
    when they connect)."""
    config = settings.warehouse
    if isinstance(config, DuckDBWarehouseSettings):
        from flightpipe.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse.capabilities
    if isinstance(config, PostgresWarehouseSettings):
        from flightpipe.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse.capabilities
    if isinstance(config, RedshiftWarehouseSettings):
        from flightpipe.warehouse.redshift import RedshiftWarehouse

        return RedshiftWarehouse.capabilities
    raise AssertionError(f"unknown warehouse settings {type(config).__name__}")


def open_warehouse(settings: Settings, *, read_only: bool = False) -> SqlWarehouse:
    """Connect to the configured warehouse. ``read_only``: for queries (DuckDB opens the file shared)."""
    config = settings.warehouse
    if isinstance(config, DuckDBWarehouseSettings):
        from flightpipe.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(settings.resolved_warehouse_path(), read_only=read_only)
    if isinstance(config, PostgresWarehouseSettings):
        from flightpipe.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse(config, read_only=read_only)
    if isinstance(config, RedshiftWarehouseSettings):
        from flightpipe.warehouse.redshift import RedshiftWarehouse

        return RedshiftWarehouse(config, data_url=settings.data_dir if "://" in settings.data_dir else None)
    raise AssertionError(f"unknown warehouse settings {type(config).__name__}")
