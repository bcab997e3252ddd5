"""What the warehouse tests share: partitions built from the simulated ground truth, and one engine handle
per warehouse type so the same test runs on DuckDB and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.config import Settings, load_settings
from flightpipe.core.layout import Board
from flightpipe.core.schema import PROCESSED_SCHEMA, QUALITY_RESULTS_SCHEMA
from flightpipe.pipeline.warehouse import warehouse_lock
from flightpipe.sources.simulated.model import SimulatedSource, expected_processed_rows
from flightpipe.warehouse.base import SqlWarehouse
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse
from flightpipe.warehouse.postgres.adapter import PostgresWarehouse
from flightpipe.warehouse.settings import PostgresWarehouseSettings
from flightpipe.warehouse.tables import WAREHOUSE_TABLES, TableSpec

AIRPORTS = ("EDDB", "EDDM", "EDDH", "EDDL", "EDDF")
DAYS = (dt.date(2024, 6, 3), dt.date(2024, 6, 4))
AS_OF = dt.datetime(2024, 6, 6, 6, 0, tzinfo=dt.UTC)
COLLECTED_AT = dt.datetime(2024, 6, 5, 6, 0, tzinfo=dt.UTC)


@functools.cache
def ground_truth(airports: tuple[str, ...] = AIRPORTS, days: tuple[dt.date, ...] = DAYS) -> tuple[dict[str, Any], ...]:
    """The processed rows the pipeline must produce for ``days`` (simulated truth), lineage filled in."""
    rows = expected_processed_rows(SimulatedSource(), list(airports), [Board.DEPARTURES, Board.ARRIVALS], days, AS_OF)
    return tuple({**row, "observation_count": 1, "collected_at_utc": COLLECTED_AT, "run_id": "truth"} for row in rows)


def partition(day: dt.date, rows: Sequence[dict[str, Any]] | None = None) -> pa.Table:
    """One flight date's processed partition as the process stage writes it."""
    selected = [r for r in (ground_truth() if rows is None else rows) if r["flight_date"] == day]
    return pa.Table.from_pylist(selected, schema=PROCESSED_SCHEMA)


def quality_rows(*rows: tuple[Any, ...]) -> pa.Table:
    """QUALITY_RESULTS_SCHEMA rows from (run_id, scope, partition_date, airport, board, rule, outcome, examples)."""
    return pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "checked_at_utc": dt.datetime(2024, 6, 5, 6, 30, tzinfo=dt.UTC),
                "scope": scope,
                "partition_date": day,
                "airport_icao": airport,
                "board": board,
                "rule": rule,
                "kind": "dataset",
                "level": "fail",
                "outcome": outcome,
                "threshold": 0.4,
                "observed": 0.5,
                "message": 'volume band: 1 of 2 ("x")',
                "counts_json": '{"records": 1}',
                "examples": examples,
                "overridden": False,
            }
            for run_id, scope, day, airport, board, rule, outcome, examples in rows
        ],
        schema=QUALITY_RESULTS_SCHEMA,
    )


def without(table: pa.Table, flight_iata: str) -> pa.Table:
    return table.filter(pc.not_equal(table.column("flight_iata"), flight_iata))


@dataclass
class Engine:
    """One warehouse under test: how to open it, and the settings the runner would use."""

    kind: str
    settings: Settings
    open_count: int = 0

    def open(self, tables: Sequence[TableSpec] = WAREHOUSE_TABLES, **kwargs: Any) -> SqlWarehouse:
        self.open_count += 1
        config = self.settings.warehouse
        if isinstance(config, PostgresWarehouseSettings):
            return PostgresWarehouse(config, tables=tables, **kwargs)
        return DuckDBWarehouse(self.settings.resolved_warehouse_path(), tables=tables, **kwargs)

    @contextmanager
    def loader(self, tables: Sequence[TableSpec] = WAREHOUSE_TABLES) -> Iterator[SqlWarehouse]:
        """A loader as the runner makes one: the engine's single-writer lock, then the warehouse."""
        with warehouse_lock(self.settings):
            warehouse = self.open(tables)
            try:
                yield warehouse
            finally:
                warehouse.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        warehouse = self.open()
        try:
            return warehouse.query(sql)
        finally:
            warehouse.close()


def make_engine(kind: str, tmp_path: Path, postgres_url: str | None) -> Engine:
    data_dir = tmp_path / "data"
    if kind == "duckdb":
        return Engine(kind, load_settings(data_dir=str(data_dir)))
    assert postgres_url is not None
    return Engine(kind, load_settings(data_dir=str(data_dir), warehouse=postgres_url))


def load_ground_truth(engine: Engine, run_id: str = "views") -> Engine:
    """``engine`` with every flight date of the ground truth loaded, each by a loader of its own."""
    for day in sorted({r["flight_date"] for r in ground_truth()}):
        with engine.loader() as warehouse:
            warehouse.load_flight_date(day, partition(day), run_id=run_id)
    return engine
