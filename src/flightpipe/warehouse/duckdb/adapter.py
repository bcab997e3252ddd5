"""The embedded warehouse: one DuckDB file.

Staging is free here: the partition's Arrow table is registered as ``stage_flights`` and the airports as
``stage_airports``, then the shared load statements run in one transaction, so a crash anywhere before COMMIT
leaves the previous rows and a rerun with the same partition leaves the same rows. DuckDB lets one process
open a file for writing, so loaders are kept apart by the caller's file lock (``stages.load.loader_lock``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import LoadError
from flightpipe.core.faults import failpoint
from flightpipe.warehouse.base import Capabilities, LoadResult, SqlWarehouse, check_partition, check_range
from flightpipe.warehouse.dims import dim_airport_rows
from flightpipe.warehouse.loadsql import STAGE_AIRPORTS, STAGE_FLIGHTS, KeepRows, range_load_statements
from flightpipe.warehouse.qualitysql import PARTITION_COLUMNS
from flightpipe.warehouse.tables import QUALITY_RESULTS, WAREHOUSE_TABLES, TableSpec

#: Statements ``query_many`` runs at once: one per core, at most four (on two cores, four gained nothing on two).
QUERY_THREADS = max(1, min(4, os.cpu_count() or 1))

#: The name a run's quality results are staged under for their load.
STAGE_QUALITY = "stage_quality_results"


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

    def defer_housekeeping(self) -> None:
        """No checkpoint until the connection closes: DuckDB checkpoints whenever its write-ahead log passes 16 MB,
        which a range's loads did several times (each rewriting the tables); closing checkpoints once. Commits
        stay durable in the log, which the next open replays after a crash."""
        try:
            self._con.execute("SET checkpoint_threshold = '1GiB'")
        except duckdb.Error as exc:
            raise LoadError(f"warehouse {self.path}: {exc}") from exc

    def columns_and_rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            cursor = self._con.execute(sql)
            return [d[0] for d in cursor.description or []], cursor.fetchall()
        except duckdb.Error as exc:
            raise LoadError(f"query on {self.path} failed: {exc}") from None

    def query_many(self, statements: Mapping[str, str]) -> dict[str, list[tuple[Any, ...]]]:
        """Side by side, each on a cursor of its own (a connection of its own to the same database, seeing what
        is committed): DuckDB leaves the GIL while a statement runs, and a report's small statements each spend
        most of their time planning on one core. The daily report's eleven, 0.06-0.08 s one after the other, take
        about a third less on two threads."""
        if len(statements) < 2:
            return super().query_many(statements)

        def rows_of(sql: str) -> list[tuple[Any, ...]]:
            cursor = self._con.cursor()
            try:
                return cursor.execute(sql).fetchall()
            except duckdb.Error as exc:
                raise LoadError(f"query on {self.path} failed: {exc}") from None
            finally:
                cursor.close()

        with ThreadPoolExecutor(max_workers=min(QUERY_THREADS, len(statements)), thread_name_prefix="query") as pool:
            futures = {name: pool.submit(rows_of, sql) for name, sql in statements.items()}
            return {name: future.result() for name, future in futures.items()}

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

    @contextlib.contextmanager
    def _staged_transaction(self, flights: pa.Table, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """``flights`` (and their airports) staged, one transaction around the body, committed after the
        ``load.before_commit`` failpoint; any error rolls back, a DuckDB one raised as ``LoadError`` naming ``what``."""
        con = self._con
        con.register(STAGE_FLIGHTS, flights)
        con.register(STAGE_AIRPORTS, dim_airport_rows(flights))
        try:
            con.execute("BEGIN TRANSACTION")
            yield con
            self.before_commit()
            failpoint("load.before_commit")
            con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # the transaction may never have begun
                con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise LoadError(f"loading {what} failed; the previous rows are intact: {exc}") from exc
            raise
        finally:
            con.unregister(STAGE_FLIGHTS)
            con.unregister(STAGE_AIRPORTS)

    def load_flight_date(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> LoadResult:
        check_partition(flight_date, flights)
        self.ensure_initialised()
        plan = self.load_plan(flight_date, flights, run_id=run_id, keep=keep)
        with self._staged_transaction(flights, f"flight date {flight_date}") as con:
            replaced = _count(con, plan.count_before)
            for statement in plan.apply:
                con.execute(statement)
            loaded = _count(con, plan.count_fact)
            codeshares = _count(con, plan.count_codeshares)
        return LoadResult(flight_date, rows_loaded=loaded, rows_replaced=replaced, codeshares_loaded=codeshares)

    def load_flight_dates(self, flight_dates: Sequence[dt.date], flights: pa.Table, *, run_id: str) -> list[LoadResult]:
        """The range staged once and loaded by set-based statements in one transaction: the same rows as the
        per-date loads (``loadsql.range_load_statements``), without a round of statements per date."""
        days = sorted(set(flight_dates))
        if not days:
            return []
        check_range(days, flights)
        self.ensure_initialised()
        plan = range_load_statements(self.dialect, days, run_id=run_id, loaded_at=self.clock(), tables=self.load_tables)
        with self._staged_transaction(flights, f"flight dates {days[0]}..{days[-1]}") as con:
            replaced = _counts(con, plan.count_before)
            for statement in plan.apply:
                con.execute(statement)
            loaded = _counts(con, plan.count_fact)
            codeshares = _counts(con, plan.count_codeshares)
        return [
            LoadResult(
                day,
                rows_loaded=loaded.get(day, 0),
                rows_replaced=replaced.get(day, 0),
                codeshares_loaded=codeshares.get(day, 0),
            )
            for day in days
        ]

    def load_quality_results(self, results: pa.Table) -> int:
        """Staged, not as literal INSERTs: a range's results are thousands of rows. The same rows as the shared
        statements leave (``qualitysql``): the stored rows of the same runs and partitions replaced."""
        self.ensure_initialised()
        if results.num_rows == 0:
            return 0
        table = next((t for t in self.tables if t.name == QUALITY_RESULTS.name), QUALITY_RESULTS)
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM {table.name}.{c}" for c in PARTITION_COLUMNS)
        columns = ", ".join(table.schema.names)
        self._con.register(STAGE_QUALITY, results.select(table.schema.names))
        try:
            self.execute_script(
                [
                    f"DELETE FROM {table.name} WHERE EXISTS (SELECT 1 FROM {STAGE_QUALITY} AS s WHERE {same})",
                    f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {STAGE_QUALITY}",
                ]
            )
        finally:
            self._con.unregister(STAGE_QUALITY)
        return int(results.num_rows)


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


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> dict[dt.date, int]:
    """(flight_date, count) rows as a mapping."""
    return {day: int(n) for day, n in con.execute(sql).fetchall()}
