"""A PostgreSQL server through psycopg 3. ``settings``: its configuration section; ``adapter``: the adapter.

The adapter is imported on first use (it imports the driver), so importing the settings stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flightpipe.warehouse.postgres.settings import PostgresWarehouseSettings

if TYPE_CHECKING:
    from flightpipe.warehouse.postgres.adapter import PostgresWarehouse


def __getattr__(name: str) -> Any:
    if name == "PostgresWarehouse":
        return PostgresWarehouseSettings.adapter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PostgresWarehouse", "PostgresWarehouseSettings"]
