"""The warehouse interface the load stage talks to, and the base every engine adapter builds on.

An adapter is thin: it knows how to run SQL on its engine, how to stage a partition, and how to make one load
a single transaction that only one loader runs at a time. Everything else (which tables exist, the migration
from the schema diff, the load statements, the views, status) is shared and lives here or in the modules it
calls. Where engines differ, ``Capabilities`` says how (SQLMesh's engine adapters work the same way).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import pyarrow as pa

from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import LoadError
from flightpipe.warehouse.ddl import Dialect, create_table_sql, migration_sql
from flightpipe.warehouse.loadsql import KeepRows, LoadStatements, LoadTables, load_statements, sql_string
from flightpipe.warehouse.qualitysql import quality_results_statements
from flightpipe.warehouse.tables import META, QUALITY_RESULTS, WAREHOUSE_TABLES, TableSpec
from flightpipe.warehouse.views import VIEW_NAMES, view_ddl, views_fingerprint

#: The flightpipe_meta key of the views' fingerprint.
VIEWS_KEY = "views_sha256"


@dataclass(frozen=True, slots=True)
class LoadResult:
    flight_date: dt.date
    rows_loaded: int
    rows_replaced: int
    codeshares_loaded: int


@dataclass(frozen=True, slots=True)
class Capabilities:
    """How an engine differs where code outside its adapter must decide (no one tests engine types)."""

    #: The SQL the shared statements are rendered in.
    dialect: Dialect
    #: Who keeps loaders apart: ``file`` (the caller holds the local file lock: an embedded engine),
    #: ``advisory`` (a PostgreSQL transaction-level advisory lock), ``table`` (LOCK TABLE inside the batch);
    #: ``stages.load.loader_lock`` takes the file lock for ``file`` only.
    loader_lock: Literal["file", "advisory", "table"]


@dataclass(frozen=True, slots=True)
class DateStatus:
    flight_date: dt.date
    rows: int
    run_id: str | None
    loaded_at: dt.datetime | None


@dataclass(slots=True)
class WarehouseStatus:
    url: str
    engine: str
    initialised: bool
    tables: dict[str, int | None] = field(default_factory=dict)  # None: the table does not exist
    views: dict[str, bool] = field(default_factory=dict)
    pending_migrations: list[str] = field(default_factory=list)
    dates: list[DateStatus] = field(default_factory=list)

    @property
    def last_load(self) -> DateStatus | None:
        loaded = [d for d in self.dates if d.loaded_at is not None]
        return max(loaded, key=lambda d: d.loaded_at or dt.datetime.min.replace(tzinfo=dt.UTC), default=None)


class Warehouse(Protocol):
    url: str
    capabilities: ClassVar[Capabilities]

    def init(self) -> list[str]:
        """Create missing tables, add missing columns, (re)create the views unless they are current; returns the
        DDL it ran (none on a current warehouse)."""
        ...

    def load_flight_date(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> LoadResult:
        """Replace ``flight_date``'s rows with ``flights`` (PROCESSED_SCHEMA) in one transaction; the rows
        ``keep`` names (the quality gate's held airports) stay as they are."""
        ...

    def load_quality_results(self, results: pa.Table) -> int:
        """Store a run's quality results (QUALITY_RESULTS_SCHEMA), replacing that run's rows of the same
        partitions, in one transaction; returns the rows written."""
        ...

    def query(self, sql: str) -> list[tuple[Any, ...]]: ...

    def query_many(self, statements: Mapping[str, str]) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of each of ``statements`` (read-only queries), by name."""
        ...

    def status(self) -> WarehouseStatus: ...

    def close(self) -> None: ...


class SqlWarehouse(ABC):
    """Shared logic over three engine primitives: ``execute_script`` (one transaction), ``query``, ``close``."""

    capabilities: ClassVar[Capabilities]
    url: str

    def __init__(self, tables: Sequence[TableSpec] = WAREHOUSE_TABLES, clock: Clock = utc_now) -> None:
        self.tables = tuple(tables)
        by_name = {t.name: t for t in self.tables}
        self.load_tables = LoadTables(
            fact=by_name["fact_flights"],
            codeshares=by_name["flight_codeshares"],
            airport=by_name["dim_airport"],
            airline=by_name["dim_airline"],
            loads=by_name["flightpipe_loads"],
        )
        self.meta_table = by_name[META.name]
        self.clock = clock
        self._initialised = False

    @property
    def dialect(self) -> Dialect:
        return self.capabilities.dialect

    # Engine primitives ------------------------------------------------------------------------------------

    @abstractmethod
    def execute_script(self, statements: Sequence[str]) -> None:
        """Run ``statements`` in one transaction, under the loader lock where the engine has one."""

    @abstractmethod
    def columns_and_rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of one statement; engine errors become LoadError."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.columns_and_rows(sql)[1]

    def query_many(self, statements: Mapping[str, str]) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of each of ``statements`` (read-only queries), by name: one after the other here; an engine
        that can run them side by side on one connection does (DuckDB)."""
        return {name: self.query(sql) for name, sql in statements.items()}

    @abstractmethod
    def load_flight_date(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> LoadResult: ...

    @abstractmethod
    def close(self) -> None: ...

    def load_flight_dates(self, flight_dates: Sequence[dt.date], flights: pa.Table, *, run_id: str) -> list[LoadResult]:
        """Replace the rows of each of ``flight_dates`` with its rows of ``flights`` (their partitions, one after
        the other), whole: what ``load_flight_date`` does for each, in date order. Here one transaction per date;
        an engine that stages a range as cheaply as a date overrides this with one set-based transaction."""
        import pyarrow.compute as pc

        check_range(flight_dates, flights)
        return [
            self.load_flight_date(
                day, flights.filter(pc.equal(flights.column("flight_date"), pa.scalar(day, pa.date32()))), run_id=run_id
            )
            for day in sorted(set(flight_dates))
        ]

    def load_plan(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None
    ) -> LoadStatements:
        """The shared statements of one load on this engine (after the adapter has staged ``flights``)."""
        return load_statements(
            self.dialect,
            flight_date,
            run_id=run_id,
            loaded_at=self.clock(),
            tables=self.load_tables,
            keep=keep,
        )

    def defer_housekeeping(self) -> None:
        """Many loads follow on this connection (a range): the engine may put off work it does after each commit
        until the connection closes. Nothing to put off here."""
        return None  # noqa: B027 - a hook, empty where the engine has nothing to defer

    def before_commit(self) -> None:
        """Called inside a load's transaction just before COMMIT (tests pause or fail a load here)."""
        return None  # noqa: B027 - a hook, empty on purpose

    # Shared -----------------------------------------------------------------------------------------------

    def existing_columns(self) -> dict[str, list[str]]:
        rows = self.query(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        found: dict[str, list[str]] = {}
        for table, column in rows:
            found.setdefault(str(table).lower(), []).append(str(column).lower())
        return found

    def existing_views(self) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()")
        return {str(r[0]).lower() for r in rows}

    def schema_ddl(self) -> list[str]:
        """CREATE TABLE for missing tables, ALTER TABLE ADD COLUMN for missing columns (the schema diff)."""
        existing = self.existing_columns()
        statements = []
        for spec in self.tables:
            if spec.name not in existing:
                statements.append(create_table_sql(spec, self.dialect))
            else:
                statements.extend(migration_sql(spec, existing[spec.name], self.dialect))
        return statements

    def init(self) -> list[str]:
        """Apply what is missing; nothing at all when the tables and views are current.

        Every load of a fresh adapter (each Lambda invocation) runs init first, so a current warehouse must cost
        reads only: DDL there would take locks and race concurrent loads. The views are recreated only with a
        schema change, a changed definition (the fingerprint in ``flightpipe_meta``) or a view gone missing.
        """
        statements = self.schema_ddl()
        if statements or not self.views_current():
            statements += view_ddl(self.dialect)
            self.execute_script(self.init_batch(statements + self.record_views_sql()))
        self._initialised = True
        return statements

    def init_batch(self, statements: list[str]) -> list[str]:
        """The transaction init runs; an engine whose loader lock is a statement puts it in front."""
        return statements

    def views_current(self) -> bool:
        """The views init would create exist, and were created from today's definitions."""
        meta, key = self.meta_table.name, sql_string(VIEWS_KEY, self.dialect)
        stored = self.query(f"SELECT meta_value FROM {meta} WHERE meta_key = {key}")
        return stored == [(views_fingerprint(self.dialect),)] and set(VIEW_NAMES) <= self.existing_views()

    def record_views_sql(self) -> list[str]:
        meta, key = self.meta_table.name, sql_string(VIEWS_KEY, self.dialect)
        fingerprint = sql_string(views_fingerprint(self.dialect), self.dialect)
        return [
            f"DELETE FROM {meta} WHERE meta_key = {key}",
            f"INSERT INTO {meta} (meta_key, meta_value) VALUES ({key}, {fingerprint})",
        ]

    def load_quality_results(self, results: pa.Table) -> int:
        self.ensure_initialised()
        by_name = {t.name: t for t in self.tables}
        self.execute_script(quality_results_statements(results, self.dialect, by_name[QUALITY_RESULTS.name]))
        return int(results.num_rows)

    def ensure_initialised(self) -> None:
        if not self._initialised:
            self.init()

    def status(self) -> WarehouseStatus:
        existing = self.existing_columns()
        views = self.existing_views()
        status = WarehouseStatus(
            url=self.url, engine=self.dialect, initialised=all(t.name in existing for t in self.tables)
        )
        for spec in self.tables:
            status.tables[spec.name] = (
                int(self.query(f"SELECT count(*) FROM {spec.name}")[0][0]) if spec.name in existing else None
            )
            if spec.name in existing:
                status.pending_migrations.extend(migration_sql(spec, existing[spec.name], self.dialect))
        status.views = {name: name in views for name in VIEW_NAMES}
        if not status.initialised:
            return status
        fact, loads = self.load_tables.fact.name, self.load_tables.loads.name
        counts = dict(self.query(f"SELECT flight_date, count(*) FROM {fact} GROUP BY flight_date"))
        recorded = {row[0]: row[1:] for row in self.query(f"SELECT flight_date, run_id, loaded_at FROM {loads}")}
        for day in sorted(set(counts) | set(recorded)):
            run_id, loaded_at = recorded.get(day, (None, None))
            status.dates.append(DateStatus(_as_date(day), int(counts.get(day, 0)), run_id, _as_datetime(loaded_at)))
        return status


def check_partition(flight_date: dt.date, flights: pa.Table) -> None:
    """A partition holds its own flight date only; anything else would be dropped without a word."""
    import pyarrow.compute as pc

    days = pc.unique(flights.column("flight_date")).to_pylist()
    strangers = sorted(d for d in days if d != flight_date)
    if strangers:
        raise LoadError(
            f"the partition for flight date {flight_date} holds rows of {', '.join(map(str, strangers[:3]))}; "
            "a load replaces exactly one flight date"
        )


def check_range(flight_dates: Sequence[dt.date], flights: pa.Table) -> None:
    """The partitions of a range hold rows of its flight dates only (``check_partition`` for many dates)."""
    import pyarrow.compute as pc

    wanted = set(flight_dates)
    strangers = sorted(d for d in pc.unique(flights.column("flight_date")).to_pylist() if d not in wanted)
    if strangers:
        raise LoadError(
            f"the partitions of {len(wanted)} flight date(s) hold rows of {', '.join(map(str, strangers[:3]))}; "
            "a load replaces exactly the flight dates it is given"
        )


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
