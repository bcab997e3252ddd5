"""PostgreSQL through psycopg 3 (extra ``postgres``).

A load is one transaction: take the loader's advisory lock (transaction-scoped, so it is released by COMMIT,
ROLLBACK or a dropped connection), stage the partition with COPY into temporary tables, then run the shared
load statements, the same ones Redshift runs. Any error rolls everything back; the previous rows stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import ConfigError, LoadError, LockBusy
from flightpipe.core.faults import failpoint
from flightpipe.core.redact import redact
from flightpipe.core.schema import DIM_AIRPORT_SCHEMA, PROCESSED_SCHEMA
from flightpipe.core.secrets import postgres_password
from flightpipe.warehouse.base import Capabilities, LoadResult, SqlWarehouse, check_partition
from flightpipe.warehouse.ddl import create_table_sql
from flightpipe.warehouse.dims import dim_airport_rows
from flightpipe.warehouse.loadsql import STAGE_AIRPORTS, STAGE_FLIGHTS, KeepRows
from flightpipe.warehouse.postgres.settings import PostgresWarehouseSettings
from flightpipe.warehouse.tables import WAREHOUSE_TABLES, TableSpec

if TYPE_CHECKING:
    import psycopg

#: The advisory lock every flightpipe loader takes ("flightpi" as a big-endian 64-bit integer).
LOADER_LOCK_KEY = int.from_bytes(b"flightpi", "big", signed=True)


class PostgresWarehouse(SqlWarehouse):
    capabilities: ClassVar[Capabilities] = Capabilities(dialect="postgres", loader_lock="advisory")

    def __init__(
        self,
        settings: PostgresWarehouseSettings,
        *,
        read_only: bool = False,
        tables: Sequence[TableSpec] = WAREHOUSE_TABLES,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(tables, clock)
        try:
            import psycopg
        except ImportError:
            raise ConfigError("warehouse.type = 'postgres' needs psycopg: pip install 'flightpipe[postgres]'") from None
        self.settings = settings
        self.read_only = read_only
        self.url = f"postgresql://{settings.user}@{settings.host}:{settings.port}/{settings.dbname}"
        password = postgres_password(settings.password_env, settings.secret_arn)
        try:
            self._con: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(
                host=settings.host,
                port=settings.port,
                dbname=settings.dbname,
                user=settings.user,
                password=password,
                connect_timeout=settings.connect_timeout_s,
                application_name="flightpipe",
                # UTC sessions: AT TIME ZONE and timestamp casts never depend on the server's default zone.
                options="-c timezone=UTC",
                autocommit=True,
            )
        except psycopg.Error as exc:
            raise LoadError(f"cannot connect to the warehouse {self.url}: {redact(str(exc))}") from None

    def close(self) -> None:
        self._con.close()

    def columns_and_rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import psycopg

        try:
            with self._con.transaction(), self._con.cursor() as cur:
                if self.read_only:
                    cur.execute("SET TRANSACTION READ ONLY")
                cur.execute(sql.encode())
                if not cur.description:
                    return [], []
                return [d.name for d in cur.description], cur.fetchall()
        except psycopg.Error as exc:
            raise LoadError(f"query on {self.url} failed: {redact(str(exc))}") from None

    def _lock(self, cur: psycopg.Cursor[tuple[Any, ...]]) -> None:
        import psycopg

        cur.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(self.settings.lock_timeout_s * 1000)}ms"])
        try:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOADER_LOCK_KEY])
        except psycopg.errors.LockNotAvailable:
            raise LockBusy(
                f"another flightpipe loader has held the warehouse lock on {self.url} for "
                f"{self.settings.lock_timeout_s:.0f} s; try again when it is done"
            ) from None
        cur.execute("SELECT set_config('lock_timeout', '0', true)")

    def execute_script(self, statements: Sequence[str]) -> None:
        import psycopg

        try:
            with self._con.transaction(), self._con.cursor() as cur:
                self._lock(cur)
                for statement in statements:
                    cur.execute(statement.encode())
        except psycopg.Error as exc:
            raise LoadError(f"warehouse {self.url}: {redact(str(exc))}") from None

    def load_flight_date(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> LoadResult:
        import psycopg

        check_partition(flight_date, flights)
        self.ensure_initialised()
        plan = self.load_plan(flight_date, flights, run_id=run_id, keep=keep)
        try:
            with self._con.transaction(), self._con.cursor() as cur:
                self._lock(cur)
                _stage(cur, STAGE_FLIGHTS, PROCESSED_SCHEMA, flights)
                _stage(cur, STAGE_AIRPORTS, DIM_AIRPORT_SCHEMA, dim_airport_rows(flights))
                replaced = _count(cur, plan.count_before)
                for statement in plan.apply:
                    cur.execute(statement.encode())
                loaded = _count(cur, plan.count_fact)
                codeshares = _count(cur, plan.count_codeshares)
                self.before_commit()
                failpoint("load.before_commit")
        except psycopg.Error as exc:
            raise LoadError(
                f"loading flight date {flight_date} into {self.url} failed; the previous rows are intact: "
                f"{redact(str(exc))}"
            ) from None
        return LoadResult(flight_date, rows_loaded=loaded, rows_replaced=replaced, codeshares_loaded=codeshares)


def _stage(cur: psycopg.Cursor[tuple[Any, ...]], name: str, schema: pa.Schema, rows: pa.Table) -> None:
    cur.execute(create_table_sql(TableSpec(name, schema), "postgres", temporary=True).encode() + b" ON COMMIT DROP")
    columns = schema.names
    with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN".encode()) as copy:
        for row in rows.select(columns).to_pylist():
            copy.write_row([row[c] for c in columns])


def _count(cur: psycopg.Cursor[tuple[Any, ...]], sql: str) -> int:
    row = cur.execute(sql.encode()).fetchone()
    return int(row[0]) if row else 0
