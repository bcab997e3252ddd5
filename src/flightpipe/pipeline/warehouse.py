"""The configured warehouse as the pipeline reaches it: the one call to open it and the one loader lock.

Everything in the pipeline layer (and the handlers above it) opens the warehouse through ``connect_warehouse``,
so a change of the factory's signature is one line here.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from flightpipe.config import Settings
from flightpipe.stages.load import loader_lock
from flightpipe.warehouse.base import SqlWarehouse
from flightpipe.warehouse.factory import capabilities, open_warehouse


def connect_warehouse(settings: Settings, *, read_only: bool = False) -> SqlWarehouse:
    """Connect to the configured warehouse. ``read_only``: for queries (DuckDB opens the file shared)."""
    return open_warehouse(settings.warehouse, settings.paths(), read_only=read_only)


def warehouse_lock(settings: Settings, what: str = "loading the warehouse") -> AbstractContextManager[None]:
    """The single-writer lock the configured engine needs around opening it for writing (see ``loader_lock``)."""
    return loader_lock(settings.paths(), what, capabilities=capabilities(settings.warehouse))
