"""The report step: after a run's load, write the day's report beside the data.

Kept apart from the report's modules so importing the runner does not import them (jinja2, the queries).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from flightpipe.config import Settings
from flightpipe.core.redact import redact
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.warehouse.base import SqlWarehouse

log = logging.getLogger(__name__)


def write_run_report(
    settings: Settings, day: dt.date, warehouse: SqlWarehouse | None = None
) -> tuple[str | None, str | None]:
    """After a run's load: write the day's report. Returns (where, None) or (None, the error).

    ``warehouse``: the connection the load still holds, under the loader lock; the report reads through it
    instead of opening the warehouse again (on DuckDB an open reads the whole catalogue: some 0.05 s of a daily
    run). Without one the report opens the warehouse read-only under the lock itself.

    A report that cannot be written does not fail the run: the data is loaded and correct, and a failed run
    would make ``backfill`` collect the day again (spending API quota) for a derived file that
    ``flightpipe report`` can write at any time. The error is kept in the run summary and logged.
    """
    started = time.perf_counter()
    try:
        from flightpipe.report.render import write_report

        if warehouse is not None:
            where = write_report(settings.report_scope(), warehouse, day)
        else:
            # The embedded DuckDB file may be open for writing by one process only: read under the loader lock.
            with warehouse_lock(settings, "writing the report"):
                reader = connect_warehouse(settings, read_only=True)
                try:
                    where = write_report(settings.report_scope(), reader, day)
                finally:
                    reader.close()
        # What the report cost the run (its imports included): the benchmark reads it from this line.
        log.info("report written", extra={"data": {"duration_s": round(time.perf_counter() - started, 3)}})
        return where, None
    except Exception as exc:  # noqa: BLE001 - any failure here must leave the loaded run alone (see above)
        message = redact(f"{type(exc).__name__}: {exc}")
        log.warning("the report of %s was not written: %s", day, message)
        return None, message
