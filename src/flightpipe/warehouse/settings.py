"""Warehouse settings: a discriminated union on ``type`` over the registered engines, or one URL.

``warehouse = "postgresql://loader@db.internal:5432/flights"`` in ``flightpipe.toml`` (or
``FLIGHTPIPE__WAREHOUSE__URL``) is shorthand for the table form; the URL's scheme picks the type. A URL names
*where* the warehouse is, never a password: passwords come from an environment variable or Secrets Manager,
so a config file can be committed and nothing secret is ever echoed back in an error.

Everything here is derived from ``warehouse.registry``; each engine's model lives in its own folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from flightpipe.warehouse.connection import WarehouseConnection
from flightpipe.warehouse.duckdb.settings import DuckDBWarehouseSettings
from flightpipe.warehouse.postgres.settings import PostgresWarehouseSettings
from flightpipe.warehouse.redshift.settings import RedshiftWarehouseSettings
from flightpipe.warehouse.registry import WAREHOUSES

#: The ``type`` tags of the engines registered when the configuration is built (registration order).
WAREHOUSE_TYPES: tuple[str, ...] = WAREHOUSES.types()

if TYPE_CHECKING:
    # To a type checker a warehouse section is the base every engine's model extends (narrow with isinstance).
    WarehouseSettings: TypeAlias = WarehouseConnection
else:
    WarehouseSettings = WAREHOUSES.settings_union()


def coerce_warehouse(value: Any) -> Any:
    """Turn a URL (a string, or ``{"url": ...}`` plus other keys) into the table form the union validates."""
    return WAREHOUSES.coerce(value)


def settings_from_url(url: str) -> dict[str, Any]:
    """``duckdb:///path``, ``postgresql://user@host:port/db``, ``redshift-data://workgroup/database``."""
    return WAREHOUSES.settings_from_url(url)


def settings_model(type_: str) -> type[WarehouseConnection]:
    return WAREHOUSES.settings_model(type_)


__all__ = [
    "WAREHOUSE_TYPES",
    "DuckDBWarehouseSettings",
    "PostgresWarehouseSettings",
    "RedshiftWarehouseSettings",
    "WarehouseConnection",
    "WarehouseSettings",
    "coerce_warehouse",
    "settings_from_url",
    "settings_model",
]
