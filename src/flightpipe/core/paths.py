"""Where the state files live: the small value object lower layers take instead of the whole ``Settings``.

The object store root (``data_dir``) may be a local folder or ``s3://...``; the SQLite ledger, the locks and the
embedded DuckDB warehouse need a local folder. ``config.Settings.paths()`` builds one of these; a package below
the configuration (warehouse, stages, state, monitoring, report) asks for it, never for ``Settings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flightpipe.core.errors import ConfigError

#: The config file read when none is named (``--config``, ``FLIGHTPIPE_CONFIG``): in the current folder.
DEFAULT_CONFIG_FILE = "flightpipe.toml"


@dataclass(frozen=True, slots=True)
class DataPaths:
    """The data folder and the state files beside it."""

    #: Root of the object store: a local folder, or ``s3://bucket/prefix``.
    data_dir: str
    #: The ledger file when configured apart from the data folder (``ledger_path``).
    ledger_override: str | None = None

    @property
    def local_data_dir(self) -> Path | None:
        return None if "://" in self.data_dir else Path(self.data_dir)

    @property
    def ledger(self) -> Path:
        """The SQLite state file: runs, steps, quality results, alerts, API usage."""
        if self.ledger_override:
            return Path(self.ledger_override)
        local = self.local_data_dir
        if local is None:
            raise ConfigError("ledger_path must be set when data_dir is not a local folder")
        return local / "ledger.sqlite"

    @property
    def lock_dir(self) -> Path:
        """Per-day run locks and the warehouse loader lock live beside the ledger."""
        return self.ledger.parent / "locks"

    def default_warehouse_file(self) -> Path:
        """``<data_dir>/warehouse.duckdb``: the embedded warehouse when ``warehouse.path`` is not set."""
        local = self.local_data_dir
        if local is None:
            raise ConfigError("warehouse.path must be set when data_dir is not a local folder")
        return local / "warehouse.duckdb"
