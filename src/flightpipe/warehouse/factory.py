"""Open the configured warehouse: its settings section builds its adapter (no list of engines here).

``open_warehouse(settings.warehouse, settings.paths())`` is the call; ``paths`` locates the embedded engine's
default file and the data a loader copies from.
"""

from __future__ import annotations

from typing import Protocol

from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.base import Capabilities, SqlWarehouse
from flightpipe.warehouse.connection import WarehouseConnection


class ComposedSettings(Protocol):
    """Transitional: the root settings' shape, for callers that still pass it whole (never imported from
    config). Remove with the last such caller."""

    @property
    def warehouse(self) -> WarehouseConnection: ...

    def paths(self) -> DataPaths: ...


def open_warehouse(
    settings: WarehouseConnection | ComposedSettings, paths: DataPaths | None = None, *, read_only: bool = False
) -> SqlWarehouse:
    """Connect to the warehouse ``settings`` describes. ``read_only``: for queries (DuckDB opens the file
    shared)."""
    connection, paths = _sections(settings, paths)
    return connection.open(paths, read_only=read_only)


def capabilities(settings: WarehouseConnection | ComposedSettings) -> Capabilities:
    """The engine's capabilities, without connecting to it (the adapters import their drivers only when they
    connect)."""
    connection = settings if isinstance(settings, WarehouseConnection) else settings.warehouse
    return connection.capabilities()


def _sections(
    settings: WarehouseConnection | ComposedSettings, paths: DataPaths | None
) -> tuple[WarehouseConnection, DataPaths]:
    if isinstance(settings, WarehouseConnection):
        if paths is None:
            raise TypeError("open_warehouse(warehouse_settings, paths): the data paths are needed")
        return settings, paths
    return settings.warehouse, paths or settings.paths()
