"""The embedded default: one DuckDB file. ``settings``: its configuration section; ``adapter``: the adapter.

The adapter is imported on first use (it imports the driver), so importing the settings stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flightpipe.warehouse.duckdb.settings import DuckDBWarehouseSettings

if TYPE_CHECKING:
    from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse


def __getattr__(name: str) -> Any:
    if name == "DuckDBWarehouse":
        return DuckDBWarehouseSettings.adapter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DuckDBWarehouse", "DuckDBWarehouseSettings"]
