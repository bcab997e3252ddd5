"""The embedded default: one DuckDB file (``duckdb:///path``)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import SplitResult, unquote

from pydantic import Field

from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.connection import WarehouseConnection

if TYPE_CHECKING:
    from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse


class DuckDBWarehouseSettings(WarehouseConnection):
    """The embedded default: one DuckDB file."""

    type: Literal["duckdb"] = "duckdb"
    path: str | None = Field(default=None, description="Database file; default <data_dir>/warehouse.duckdb.")
    lock_timeout_s: float = Field(
        default=60.0,
        ge=0,
        le=86_400,
        description="How long a load waits for another process (a `flightpipe sql` query, a DuckDB shell) to "
        "let go of the database file before it fails naming that process.",
    )

    url_schemes = ("duckdb",)
    url_example = "duckdb:///path/to/file.duckdb"

    @classmethod
    def fields_from_url(cls, url: SplitResult, query: dict[str, str]) -> dict[str, Any]:
        # duckdb:///relative/path is ambiguous; like SQLAlchemy, three slashes + path, four for an absolute one.
        path = unquote(url.netloc + url.path)
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ValueError("a duckdb URL needs a file: duckdb:///flightpipe-data/warehouse.duckdb")
        return {"path": path, **query}

    @classmethod
    def adapter(cls) -> builtins.type[DuckDBWarehouse]:
        from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse

        return DuckDBWarehouse

    def file(self, paths: DataPaths) -> Path:
        """The database file: ``path``, else ``<data_dir>/warehouse.duckdb``."""
        return Path(self.path) if self.path else paths.default_warehouse_file()

    def open(self, paths: DataPaths, *, read_only: bool = False) -> DuckDBWarehouse:
        return self.adapter()(self.file(paths), read_only=read_only)
