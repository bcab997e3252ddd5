"""verify: after the Map, every raw object of the day has its transformed twin; transform any that lack one.

S3 events can be late, and a transform can have failed after its retries; verify closes that gap before
processing, as the local runner's verify step does. It also answers which flight dates the run's files touch
(a day's arrivals hold flights of the day before): the Glue job rebuilds exactly those.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import FILES_REPAIRED
from flightpipe.aws.runtime import logger, metrics, open_store, parse_day, required, settings, tracer
from flightpipe.core.layout import RawKey, raw_prefix
from flightpipe.core.store import ObjectStore
from flightpipe.stages.transform import is_transformed, transform_raw_object


def transformed_flight_dates(store: ObjectStore, raw_key: str) -> set[dt.date]:
    key = RawKey.parse(raw_key)
    if not store.exists(key.transformed_key):
        return set()  # quarantined whole as corrupt: no rows
    column = pq.read_table(io.BytesIO(store.get(key.transformed_key)), columns=["flight_date"]).column("flight_date")
    return {d for d in pc.unique(column).to_pylist() if d is not None}


def verify_day(event: dict[str, Any]) -> dict[str, Any]:
    config = settings()
    store = open_store(config)
    day = parse_day(required(event, "day", "verify"), "day")
    run_id = str(required(event, "run_id", "verify"))
    raw_keys = [k for icao in config.airports for k in store.list(raw_prefix(icao, day)) if k.endswith(".json")]
    repaired = []
    flight_dates: set[dt.date] = set()
    for key in raw_keys:
        if not is_transformed(store, key):
            result = transform_raw_object(store, key)
            repaired.append(key)
            flight_dates.update(result.flight_dates)
        elif RawKey.parse(key).run_id == run_id:
            # Like the local runner: this run's files and every repaired one decide what is reprocessed.
            flight_dates.update(transformed_flight_dates(store, key))
    dates = [d.isoformat() for d in sorted(flight_dates)]
    run_files = sum(1 for k in raw_keys if RawKey.parse(k).run_id == run_id)
    # The state machine passes how many boards it planned: the difference is the boards whose collect failed.
    expected = int(event.get("expected_files", run_files))
    return {
        "day": day.isoformat(),
        "run_id": run_id,
        "raw_files": run_files,
        "missing_boards": max(expected - run_files, 0),
        "repaired": repaired,
        "flight_dates": dates,
        # Step Functions has no "join" intrinsic; the Glue job takes its dates as one argument.
        "flight_dates_arg": ",".join(dates),
        "has_flight_dates": bool(dates),
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = verify_day(event)
    metrics.add_metric(name=FILES_REPAIRED, unit=MetricUnit.Count, value=len(result["repaired"]))
    logger.info("verified", extra=result)
    return result
