"""load: gate the processed flight dates of a run on quality, then load them into the warehouse (Redshift
Serverless through the Data API).

The quality step and the gated load are the local runner's (``flightpipe.pipeline.quality``,
``flightpipe.pipeline.load``), with the earlier runs' results read from the ``quality/`` JSON in the bucket
instead of the ledger: the boards of the collection ``day`` are checked (every transformed file exists once
verify has run), then each processed flight date, and every flight date that is not wholly held is loaded;
held airports keep the rows the warehouse had. Only then, if anything was held, the handler raises
``QualityGateFailed``, which the state machine routes to NotifyQualityFailure: one bad airport never blocks the
others. ``allow_quality_failures`` in the execution input loads everything and records the override.

Redshift keeps loaders apart itself (LOCK inside each load's batch), so parallel executions are safe (the file
lock of ``pipeline.warehouse.warehouse_lock`` is taken for an embedded engine only); each flight date is one
batch, one transaction. ``open_warehouse`` is a module attribute so tests can hand in a warehouse whose boto3
client is stubbed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import ALLOW_QUALITY_FAILURES, DIM_AIRPORT, METRICS_NAMESPACE, QUALITY_FAILURES, ROWS_LOADED
from flightpipe.aws.runtime import (
    base_errors,
    logger,
    metrics,
    open_store,
    parse_day,
    parse_flag,
    required,
    settings,
    tracer,
)
from flightpipe.config import Settings
from flightpipe.core.errors import QualityGateFailed
from flightpipe.core.layout import QUALITY
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.load import load_flight_dates
from flightpipe.pipeline.quality import RunQuality, run_board_checks, run_flight_date_checks
from flightpipe.pipeline.warehouse import connect_warehouse as open_warehouse
from flightpipe.quality.gate import Hold
from flightpipe.quality.history import StoredQualityHistory
from flightpipe.stages.process import read_partition


@dataclass(frozen=True, slots=True)
class GatedLoad:
    """What one load invocation did: rows per flight date loaded, and the quality behind it."""

    run_id: str
    rows_loaded: dict[str, int]
    quality: RunQuality
    #: Rows loaded per departure airport, over every flight date loaded (the dashboard's per-airport graph).
    rows_by_airport: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows_loaded.values())

    @property
    def quality_failures(self) -> int:
        """Distinct fail results behind the active holds (a board feeding two flight dates counts once), and the
        fails that fed no row to hold."""
        decision = self.quality.decision
        holds = [h for h in decision.holds.values() if h.active]
        return len({(r.rule, r.partition) for r in [*(r for h in holds for r in h.because), *decision.unheld]})

    def error(self) -> QualityGateFailed | None:
        return self.quality.decision.error(
            f"results under {QUALITY}/<date>/ in the bucket; start the execution again with "
            f'"{ALLOW_QUALITY_FAILURES}": true to load anyway'
        )

    def as_dict(self) -> dict[str, Any]:
        fails, held, overridden = self.quality.summary_lines()
        return {
            "run_id": self.run_id,
            "rows_loaded": self.rows_loaded,
            "total_rows": self.total_rows,
            "quality": {"fails": fails, "held": held, "overridden": overridden},
        }


def check_quality(
    config: Settings,
    store: ObjectStore,
    run_id: str,
    flight_dates: list[dt.date],
    *,
    day: dt.date | None,
    allow_failures: bool,
) -> RunQuality:
    """Check the boards of ``day`` (when given) and the processed ``flight_dates``, decide the gate, store the
    results as JSON beside the data (the history the next run reads)."""
    quality = RunQuality(config, store, StoredQualityHistory(store), run_id, allow_failures=allow_failures)
    if day is not None:  # an older state machine passes no day: then only the flight-date rules run
        run_board_checks(quality, day)
    run_flight_date_checks(quality, flight_dates)  # processed by the Glue job: counted from the layers
    quality.decide(flight_dates)
    return quality


def rows_by_departure_airport(flights: pa.Table, hold: Hold | None) -> Counter[str]:
    """Rows of a processed partition a load puts in, per departure airport: a partly held flight date leaves
    the held airports' rows (departing or arriving there) as the warehouse has them, so they are not counted."""
    loaded = flights
    if hold is not None:
        held = pc.or_(
            pc.is_in(flights["dep_airport_icao"], pa.array(sorted(hold.dep_airports), pa.string())),
            pc.is_in(flights["arr_airport_icao"], pa.array(sorted(hold.arr_airports), pa.string())),
        )
        loaded = flights.filter(pc.invert(pc.fill_null(held, False)))
    return Counter(str(airport) for airport in loaded["dep_airport_icao"].to_pylist() if airport is not None)


def emit_rows_loaded(rows_by_airport: dict[str, int], airports: Sequence[str]) -> None:
    """RowsLoaded per configured departure airport, one metric each (the airport dimension; powertools adds
    service). The other departure airports of the flights (hundreds: every origin of an arrival) get no series of
    their own: each would be a custom metric billed every month (docs/aws.md, cost); the total has them all."""
    for airport, rows in sorted(rows_by_airport.items()):
        if airport not in airports:
            continue
        with single_metric(name=ROWS_LOADED, unit=MetricUnit.Count, value=rows, namespace=METRICS_NAMESPACE) as metric:
            metric.add_dimension(name=DIM_AIRPORT, value=airport)


def load_dates(event: dict[str, Any]) -> GatedLoad:
    config = settings()
    store = open_store(config)
    run_id = str(required(event, "run_id", "load"))
    dates = [parse_day(d, "flight_dates[]") for d in required(event, "flight_dates", "load")]
    day = parse_day(event["day"], "day") if event.get("day") else None
    allow = parse_flag(event.get(ALLOW_QUALITY_FAILURES), ALLOW_QUALITY_FAILURES)
    quality = check_quality(config, store, run_id, dates, day=day, allow_failures=allow)
    loaded = load_flight_dates(config, store, quality, dates, run_id=run_id, connect=open_warehouse)
    by_airport: Counter[str] = Counter()
    for each in loaded:
        # Read again for the per-airport counts: a day's partition is a few thousand rows.
        by_airport.update(rows_by_departure_airport(read_partition(store, each.flight_date), each.hold))
    rows = {each.flight_date.isoformat(): each.result.rows_loaded for each in loaded}
    return GatedLoad(run_id, rows, quality, dict(by_airport))


@base_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = load_dates(event)
    # Emitted before a gate failure is raised: log_metrics flushes them either way.
    metrics.add_metric(name=ROWS_LOADED, unit=MetricUnit.Count, value=outcome.total_rows)
    emit_rows_loaded(outcome.rows_by_airport, settings().airports)
    metrics.add_metric(name=QUALITY_FAILURES, unit=MetricUnit.Count, value=outcome.quality_failures)
    result = outcome.as_dict()
    logger.info("loaded", extra=result)
    error = outcome.error()
    if error is not None:
        raise error  # after loading everything not held; Step Functions routes it to NotifyQualityFailure
    return result
