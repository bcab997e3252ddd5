"""verify: after the Map, every raw object of the day has its transformed twin; transform any that lack one.

S3 events can be late, and a transform can have failed after its retries; verify closes that gap before
processing, with the local runner's verify step (``flightpipe.pipeline.verify``: the configured record rules, the
same files). It also answers which flight dates the run's files touch (a day's arrivals hold flights of the day
before): the Glue job rebuilds exactly those.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import FILES_REPAIRED
from flightpipe.aws.runtime import base_errors, logger, metrics, open_store, parse_day, required, settings, tracer
from flightpipe.pipeline.transform import RawTransform
from flightpipe.pipeline.verify import verify_day as verify_raw_files


def verify_day(event: dict[str, Any]) -> dict[str, Any]:
    config = settings()
    store = open_store(config)
    day = parse_day(required(event, "day", "verify"), "day")
    run_id = str(required(event, "run_id", "verify"))
    # A failed transform is raised: the state machine retries verify, which redoes only what is still missing.
    verification = verify_raw_files(store, config.airports, day, RawTransform.configured(config, store))
    dates = [d.isoformat() for d in verification.flight_dates_of_run(store, run_id)]
    run_files = len(verification.files_of(run_id))
    # The state machine passes how many boards it planned: the difference is the boards whose collect failed.
    expected = int(event.get("expected_files", run_files))
    return {
        "day": day.isoformat(),
        "run_id": run_id,
        "raw_files": run_files,
        "missing_boards": max(expected - run_files, 0),
        "repaired": [r.raw_key for r in verification.repaired],
        "flight_dates": dates,
        # Step Functions has no "join" intrinsic; the Glue job takes its dates as one argument.
        "flight_dates_arg": ",".join(dates),
        "has_flight_dates": bool(dates),
    }


@base_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = verify_day(event)
    metrics.add_metric(name=FILES_REPAIRED, unit=MetricUnit.Count, value=len(result["repaired"]))
    logger.info("verified", extra=result)
    return result
