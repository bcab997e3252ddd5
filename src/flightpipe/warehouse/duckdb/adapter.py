"""The embedded warehouse: one DuckDB file.

Staging is free here: the partition's Arrow table is registered as ``stage_flights`` and the airports as
``stage_airports``, then the shared load statements run in one transaction, so a crash anywhere before COMMIT
leaves the previous rows and a rerun with the same partition leaves the same rows. DuckDB lets one process
open a file for writing, so loaders are kept apart by the caller's file lock (``stages.load.loader_lock``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import LoadError
from flightpipe.core.faults import failpoint
from flightpipe.warehouse.base import Capabilities, LoadResult, SqlWarehouse, check_partition
from flightpipe.warehouse.dims import dim_airport_rows
from flightpipe.warehouse.loadsql import STAGE_AIRPORTS, STAGE_FLIGHTS, KeepRows
from flightpipe.warehouse.tables import WAREHOUSE_TABLES, TableSpec


class DuckDBWarehouse(SqlWarehouse):
    capabilities: ClassVar[Capabilities] = Capabilities(dialect="duckdb", loader_lock="file")

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        tables: Sequence[TableSpec] = WAREHOUSE_TABLES,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(tables, clock)
        self.path = path
        self.url = f"duckdb:///{path}"
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise LoadError(f"cannot open the warehouse {path} ({open_error_hint(exc)}): {exc}") from exc

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def close(self) -> None:
        self._con.close()

    def columns_and_rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            cursor = self._con.execute(sql)
            return [d[0] for d in cursor.description or []], cursor.fetchall()
        except duckdb.Error as exc:
            raise LoadError(f"query on {self.path} failed: {exc}") from None

    def execute_script(self, statements: Sequence[str]) -> None:
        con = self._con
        try:
            con.execute("BEGIN TRANSACTION")
            for statement in statements:
                con.execute(statement)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise LoadError(f"warehouse {self.path}: {exc}") from exc

    def load_flight_date(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> LoadResult:
        check_partition(flight_date, flights)
        self.ensure_initialised()
        con = self._con
        plan = self.load_plan(flight_date, flights, run_id=run_id, keep=keep)
        con.register(STAGE_FLIGHTS, flights)
        con.register(STAGE_AIRPORTS, dim_airport_rows(flights))
        try:
            con.execute("BEGIN TRANSACTION")
            replaced = _count(con, plan.count_before)
            for statement in plan.apply:
                con.execute(statement)
            loaded = _count(con, plan.count_fact)
            codeshares = _count(con, plan.count_codeshares)
            self.before_commit()
            failpoint("load.before_commit")
            con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # the transaction may never have begun
                con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise LoadError(
                    f"loading flight date {flight_date} failed; the previous rows are intact: {exc}"
                ) from exc
            raise
        finally:
            con.unregister(STAGE_FLIGHTS)
            con.unregister(STAGE_AIRPORTS)
        return LoadResult(flight_date, rows_loaded=loaded, rows_replaced=replaced, codeshares_loaded=codeshares)


def open_error_hint(exc: duckdb.Error) -> str:
    """What a failure to open the warehouse file most likely means, for the error message."""
    text = str(exc)
    if "Conflicting lock" in text or "Could not set lock" in text:
        return "another process has it open"
    if "not a valid DuckDB database" in text or "Could not read enough bytes" in text or "Corrupt" in text:
        return "the file is damaged: `flightpipe warehouse rebuild` moves it aside and loads processed/ again"
    return "see the error"


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses other work until it is done.
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0
