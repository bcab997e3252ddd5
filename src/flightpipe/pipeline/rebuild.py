"""``flightpipe warehouse rebuild``: the warehouse again from ``processed/``, without a single API call.

The warehouse is derived data: every row it holds is a row of a processed partition, loaded whole. So a
warehouse that was deleted, truncated or damaged is rebuilt by loading the processed partitions again, one
flight date per transaction as every load does (a rebuild is as safe to repeat or interrupt as a run's load).
An embedded DuckDB file that cannot be read is first moved aside (``<file>.damaged-<UTC stamp>``, never
deleted), and a new one is created.

What a rebuild cannot restore: the ``quality_results`` history (it stays in ``quality/`` and the ledger), and a
quality gate's hold: a rebuild loads each partition whole, as ``processed/`` has it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import FlightpipeError
from flightpipe.core.layout import PROCESSED
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.stages.load import load_flight_date
from flightpipe.warehouse.base import LoadResult

#: The run id the rows of a rebuild carry (``loaded by run``), with the UTC start second.
REBUILD_RUN_PREFIX = "rebuild-"


@dataclass(frozen=True, slots=True)
class RebuildResult:
    url: str
    run_id: str
    loaded: list[LoadResult] = field(default_factory=list)
    #: Where a damaged warehouse file was moved to (None: it was readable, or there was none).
    moved_aside: Path | None = None


def processed_flight_dates(
    store: ObjectStore, start: dt.date | None = None, end: dt.date | None = None
) -> list[dt.date]:
    """The flight dates ``processed/`` holds a partition of, between ``start`` and ``end`` (both included)."""
    dates = []
    for name in store.list_dirs(PROCESSED):
        try:
            day = dt.date.fromisoformat(name.removeprefix("flight-date="))
        except ValueError:
            continue  # not a partition of flightpipe's
        if name.startswith("flight-date=") and (start is None or day >= start) and (end is None or day <= end):
            dates.append(day)
    return dates


def warehouse_damage(settings: Settings) -> str | None:
    """Why the configured warehouse cannot be read (None: it can, or it does not exist yet).

    Reads every table's row count and rows per flight date (what ``warehouse status`` shows): a truncated or
    overwritten DuckDB file fails here even where opening it works."""
    if settings.warehouse.type == "duckdb" and not settings.resolved_warehouse_path().exists():
        return None
    try:
        warehouse = connect_warehouse(settings, read_only=True)
    except FlightpipeError as exc:
        return str(exc)
    try:
        warehouse.status()
    except FlightpipeError as exc:
        return str(exc)
    finally:
        warehouse.close()
    return None


def rebuild_warehouse(
    settings: Settings,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    clock: Clock = utc_now,
    on_loaded: Callable[[LoadResult], None] = lambda result: None,
) -> RebuildResult:
    """Load every processed flight date between ``start`` and ``end`` into the warehouse again, under the
    loader lock; a DuckDB file that cannot be read is moved aside first and created anew."""
    store = ObjectStore(settings.data_dir)
    flight_dates = processed_flight_dates(store, start, end)
    run_id = f"{REBUILD_RUN_PREFIX}{clock().astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    with warehouse_lock(settings, "rebuilding the warehouse"):
        moved = _move_aside_if_damaged(settings, clock)
        warehouse = connect_warehouse(settings)
        try:
            warehouse.init()
            loaded = []
            for flight_date in flight_dates:
                result = load_flight_date(store, warehouse, flight_date, run_id=run_id)
                loaded.append(result)
                on_loaded(result)
        finally:
            warehouse.close()
    return RebuildResult(warehouse.url, run_id, loaded, moved)


def _move_aside_if_damaged(settings: Settings, clock: Clock) -> Path | None:
    if settings.warehouse.type != "duckdb" or warehouse_damage(settings) is None:
        return None
    path = settings.resolved_warehouse_path()
    aside = path.with_name(f"{path.name}.damaged-{clock().astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
    path.rename(aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.rename(aside.with_name(aside.name + ".wal"))
    return aside
