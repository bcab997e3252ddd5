"""The Query page's SQL: read-only, and blind to every file outside the data folder.

Two locks, each enough alone for what it covers:

* **statements**: DuckDB parses the text first, and only a single ``SELECT`` runs (no ``COPY``, ``ATTACH``,
  ``INSERT``, ``CREATE``, ``SET``, ``INSTALL``, ...);
* **the connection**: the catalog's in-memory DuckDB (layer views over the data folder, the warehouse attached
  read-only) with ``allowed_directories`` = the data folder, ``enable_external_access = false`` and the
  configuration locked, so even a ``SELECT`` calling ``read_csv('/etc/passwd')`` or ``glob('/*')`` is refused by
  the engine.

A query runs at most ``TIMEOUT_S`` seconds (the engine is interrupted) and the page shows ``MAX_ROWS`` rows; the
CSV download carries up to ``MAX_CSV_ROWS``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from flightpipe.config import Settings
from flightpipe.core.errors import ConfigError
from flightpipe.pipeline.warehouse import warehouse_lock
from flightpipe.warehouse.catalog import open_catalog

TIMEOUT_S = 10.0
MAX_ROWS = 500
MAX_CSV_ROWS = 100_000


class QueryRefused(ConfigError):
    """The SQL is not a single read-only SELECT, or the engine refused what it tried to read."""


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def run_query(settings: Settings, sql: str, *, max_rows: int = MAX_ROWS) -> QueryAnswer:
    """The columns and first ``max_rows`` rows of ``sql``; ``QueryRefused`` when it is not allowed or fails."""
    if settings.warehouse.type != "duckdb":
        raise QueryRefused(
            f"the console queries the embedded DuckDB warehouse; on {settings.warehouse.type} use its own client"
        )
    data_dir = settings.paths().local_data_dir
    if data_dir is None:
        raise QueryRefused("the console queries a local data folder")
    # The warehouse file is attached: hold the loader lock so no load in this process or another opens it meanwhile.
    with warehouse_lock(settings, "answering a console query"):
        con = open_catalog(settings.warehouse, settings.paths())
        try:
            _sandbox(con, data_dir)
            _only_one_select(con, sql)
            timer = threading.Timer(TIMEOUT_S, con.interrupt)
            timer.start()
            try:
                cursor = con.execute(sql)
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchmany(max_rows + 1)
            except duckdb.InterruptException:
                raise QueryRefused(f"the query ran longer than {TIMEOUT_S:.0f} s and was stopped") from None
            except duckdb.Error as exc:
                raise QueryRefused(f"query failed: {exc}") from None
            finally:
                timer.cancel()
        finally:
            con.close()
    return QueryAnswer(columns, rows[:max_rows], len(rows) > max_rows)


def _sandbox(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    folder = str(data_dir.resolve()).rstrip("/") + "/"
    con.execute("SET allowed_directories = [?]", [folder])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _only_one_select(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"query failed: {exc}") from None
    if len(statements) != 1:
        raise QueryRefused(f"one SELECT statement at a time, got {len(statements)} statements")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefused(f"read-only: only SELECT runs here, not {kind.name}")
