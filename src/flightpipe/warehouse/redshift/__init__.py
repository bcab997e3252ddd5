"""Redshift through the Data API. ``settings``: its configuration section; ``adapter``: the adapter.

The adapter is imported on first use (it imports the driver), so importing the settings stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flightpipe.warehouse.redshift.settings import RedshiftWarehouseSettings

if TYPE_CHECKING:
    from flightpipe.warehouse.redshift.adapter import RedshiftWarehouse


def __getattr__(name: str) -> Any:
    if name == "RedshiftWarehouse":
        return RedshiftWarehouseSettings.adapter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RedshiftWarehouse", "RedshiftWarehouseSettings"]
