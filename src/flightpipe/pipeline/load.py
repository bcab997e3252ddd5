"""The gated load: the processed flight dates of a run into the warehouse, as the quality gate decided.

Both runtimes load here: the local runner after its quality step, the load Lambda after the Glue job. Per flight
date: a wholly held one is not loaded (the warehouse keeps what it had); a partly held one is loaded without the
held airports' rows (they stay as the warehouse has them); the others load whole, one transaction each. Then the
run's quality results are loaded beside the data. A hold is recorded as a failed ``gate`` step (its error is
``QualityGateFailed``, for alerting to route); the other flight dates go on loading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from flightpipe.config import Settings
from flightpipe.core.errors import QualityGateFailed
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.quality import RunQuality
from flightpipe.pipeline.tracking import UNTRACKED, StepTracker
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.quality.gate import GateDecision, Hold
from flightpipe.stages.process import read_partition
from flightpipe.warehouse.base import LoadResult, SqlWarehouse, Warehouse
from flightpipe.warehouse.loadsql import KeepRows

#: Flight dates one set-based load stages (``batched``): about 3,400 flights a date at 5 busy airports, so some
#: 50 MB of Arrow a batch, whatever the length of the range.
LOAD_CHUNK_DATES = 31


@dataclass(frozen=True, slots=True)
class LoadedDate:
    """One flight date the load put in, and the hold it was loaded under (None: loaded whole)."""

    flight_date: dt.date
    hold: Hold | None
    result: LoadResult


def load_gated(
    store: ObjectStore, warehouse: Warehouse, flight_date: dt.date, hold: Hold | None, *, run_id: str
) -> LoadResult:
    """Load ``flight_date``; the rows of a partly held flight date's held airports stay as the warehouse has
    them (the engine's load leaves them out of the replace)."""
    assert hold is None or not hold.whole, "a wholly held flight date is not loaded at all"
    keep = KeepRows(hold.dep_airports, hold.arr_airports) if hold is not None else None
    return warehouse.load_flight_date(flight_date, read_partition(store, flight_date), run_id=run_id, keep=keep)


def load_flight_dates(
    settings: Settings,
    store: ObjectStore,
    quality: RunQuality,
    flight_dates: list[dt.date],
    *,
    run_id: str,
    tracker: StepTracker = UNTRACKED,
    connect: Callable[[Settings], SqlWarehouse] = connect_warehouse,
    batched: bool = False,
    after: Callable[[SqlWarehouse], None] | None = None,
) -> list[LoadedDate]:
    """Load ``flight_dates`` as ``quality.decision`` gates them, then the run's quality results; under the
    engine's single-writer lock. ``connect`` opens the warehouse (tests hand in their own). ``batched``: see
    ``load_decided``. ``after``: called with the open warehouse once all is loaded, still under the lock (the
    daily run writes its report there); not called when nothing was to load and the warehouse was not opened."""
    tracker.total("load", len(flight_dates))
    if not flight_dates and not quality.results:
        return []
    with warehouse_lock(settings):
        warehouse = connect(settings)
        tracker.total("load", len(flight_dates) + 1)  # the quality results are one more load step
        try:
            loaded = load_decided(
                store, warehouse, quality.decision, flight_dates, run_id=run_id, tracker=tracker, batched=batched
            )
            load_quality(warehouse, quality, tracker)
            if after is not None:
                after(warehouse)
            return loaded
        finally:
            warehouse.close()


def load_decided(
    store: ObjectStore,
    warehouse: SqlWarehouse,
    decision: GateDecision,
    flight_dates: list[dt.date],
    *,
    run_id: str,
    tracker: StepTracker = UNTRACKED,
    batched: bool = False,
) -> list[LoadedDate]:
    """Load ``flight_dates`` into the open ``warehouse`` as ``decision`` gates them, in date order. ``batched``
    (a range): the flight dates loaded whole go in set-based loads of up to ``LOAD_CHUNK_DATES`` consecutive
    ones (``SqlWarehouse.load_flight_dates``), each still a ``load`` step of its own once its batch committed;
    the warehouse ends as the per-date loads in date order leave it."""
    loaded: list[LoadedDate] = []
    whole: list[dt.date] = []  # loaded whole, not yet loaded: consecutive in load order

    def flush() -> None:
        for start in range(0, len(whole), LOAD_CHUNK_DATES):
            loaded.extend(_load_whole(store, warehouse, whole[start : start + LOAD_CHUNK_DATES], run_id, tracker))
        whole.clear()

    for flight_date in flight_dates:
        hold = decision.hold_for(flight_date)
        if batched and hold is None:
            whole.append(flight_date)
            continue
        flush()  # the dates before this one first: the dimensions take the later date's values
        if hold is not None:
            _record_hold(tracker, hold.describe(), flight_date)
            if hold.whole:
                continue
        with tracker.step("load", flight_date.isoformat()) as counts:
            result = load_gated(store, warehouse, flight_date, hold, run_id=run_id)
            counts.update(
                records_out=result.rows_loaded,
                replaced=result.rows_replaced,
                codeshares=result.codeshares_loaded,
            )
            if hold is not None:
                counts["held"] = hold.describe()
        loaded.append(LoadedDate(flight_date, hold, result))
    flush()
    return loaded


def load_quality(warehouse: SqlWarehouse, quality: RunQuality, tracker: StepTracker = UNTRACKED) -> None:
    """The run's quality results into the open ``warehouse`` (after a ``gate`` step naming the fails this run
    loaded anyway, if any), as one ``load`` step."""
    if quality.decision.overridden:
        with tracker.step("gate", "override") as counts:
            counts["overridden"] = quality.summary_lines()[2]
    with tracker.step("load", "quality_results") as counts:
        counts["records_out"] = warehouse.load_quality_results(quality.results_table())


def _load_whole(
    store: ObjectStore, warehouse: SqlWarehouse, flight_dates: list[dt.date], run_id: str, tracker: StepTracker
) -> list[LoadedDate]:
    """One set-based load of ``flight_dates``' partitions; a ``load`` step per date once it committed (a failed
    load is one failed step naming the dates, and nothing of them is loaded)."""
    try:
        flights = pa.concat_tables([read_partition(store, day) for day in flight_dates])
        results = warehouse.load_flight_dates(flight_dates, flights, run_id=run_id)
    except BaseException:
        with tracker.step("load", f"{flight_dates[0].isoformat()}..{flight_dates[-1].isoformat()}"):
            raise
    for result in results:
        with tracker.step("load", result.flight_date.isoformat()) as counts:
            counts.update(
                records_out=result.rows_loaded, replaced=result.rows_replaced, codeshares=result.codeshares_loaded
            )
    return [LoadedDate(result.flight_date, None, result) for result in results]


def _record_hold(tracker: StepTracker, what: str, flight_date: dt.date) -> None:
    """A held flight date is a failed ``gate`` step whose error is QualityGateFailed."""
    try:
        with tracker.step("gate", flight_date.isoformat()):
            raise QualityGateFailed(
                f"{what}; see `flightpipe check --date {flight_date.isoformat()}`, "
                "or rerun with --allow-quality-failures"
            )
    except QualityGateFailed:
        pass
