"""Process inside a run: every flight date the new rows touch, rebuilt in one step.

The local runner processes here (DuckDB running the process SQL); on AWS the Glue job runs the same SQL with Spark
over the flight dates the verify Lambda named.
"""

from __future__ import annotations

import datetime as dt

from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.tracking import UNTRACKED, StepTracker
from flightpipe.stages.process import ProcessResult, process_flight_dates


def process_touched(
    store: ObjectStore, flight_dates: list[dt.date], tracker: StepTracker = UNTRACKED
) -> list[ProcessResult]:
    """Rebuild the processed partitions of ``flight_dates``: one step, all dates in one SQL pass."""
    tracker.total("process", 1 if flight_dates else 0)
    if not flight_dates:
        return []
    with tracker.step("process", ",".join(d.isoformat() for d in flight_dates)) as counts:
        results = process_flight_dates(store, flight_dates)
        counts.update(
            records_in=sum(r.rows_in for r in results),
            records_out=sum(r.flights_out for r in results),
            codeshares=sum(r.codeshares for r in results),
            duplicates_merged=sum(r.duplicates_merged for r in results),
        )
    return results
