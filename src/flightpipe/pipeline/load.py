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

from flightpipe.config import Settings
from flightpipe.core.errors import QualityGateFailed
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.quality import RunQuality
from flightpipe.pipeline.tracking import UNTRACKED, StepTracker
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.quality.gate import Hold
from flightpipe.stages.process import read_partition
from flightpipe.warehouse.base import LoadResult, SqlWarehouse, Warehouse
from flightpipe.warehouse.loadsql import KeepRows


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
) -> list[LoadedDate]:
    """Load ``flight_dates`` as ``quality.decision`` gates them, then the run's quality results; under the
    engine's single-writer lock. ``connect`` opens the warehouse (tests hand in their own)."""
    tracker.total("load", len(flight_dates))
    if not flight_dates and not quality.results:
        return []
    with warehouse_lock(settings):
        warehouse = connect(settings)
        tracker.total("load", len(flight_dates) + 1)  # the quality results are one more load step
        try:
            loaded = []
            for flight_date in flight_dates:
                hold = quality.decision.hold_for(flight_date)
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
            if quality.decision.overridden:
                with tracker.step("gate", "override") as counts:
                    counts["overridden"] = quality.summary_lines()[2]
            with tracker.step("load", "quality_results") as counts:
                counts["records_out"] = warehouse.load_quality_results(quality.results_table())
            return loaded
        finally:
            warehouse.close()


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
