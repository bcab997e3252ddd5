"""Open the configured warehouse: its settings section builds its adapter (no list of engines here).

``open_warehouse(settings.warehouse, settings.paths())`` is the call; ``paths`` locates the embedded engine's
default file and the data a loader copies from.
"""

from __future__ import annotations

from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.base import Capabilities, SqlWarehouse
from flightpipe.warehouse.connection import WarehouseConnection


def open_warehouse(settings: WarehouseConnection, paths: DataPaths, *, read_only: bool = False) -> SqlWarehouse:
    """Connect to the warehouse ``settings`` describes. ``read_only``: for queries (DuckDB opens the file
    shared)."""
    return settings.open(paths, read_only=read_only)


def capabilities(settings: WarehouseConnection) -> Capabilities:
    """The engine's capabilities, without connecting to it (the adapters import their drivers only when they
    connect)."""
    return settings.capabilities()
