"""load: the processed flight dates of a run into the warehouse (Redshift Serverless through the Data API).

Redshift keeps loaders apart itself (LOCK inside each load's batch), so parallel executions are safe; each
flight date is one batch, one transaction. ``open_warehouse`` is a module attribute so tests can hand in a
warehouse whose boto3 client is stubbed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import ROWS_LOADED
from flightpipe.aws.runtime import logger, metrics, open_store, parse_day, required, settings, tracer
from flightpipe.stages.load import load_flight_date
from flightpipe.warehouse.factory import open_warehouse


def load_dates(event: dict[str, Any]) -> dict[str, Any]:
    config = settings()
    store = open_store(config)
    run_id = str(required(event, "run_id", "load"))
    dates = [parse_day(d, "flight_dates[]") for d in required(event, "flight_dates", "load")]
    warehouse = open_warehouse(config)
    loaded: dict[str, int] = {}
    try:
        for flight_date in dates:
            result = load_flight_date(store, warehouse, flight_date, run_id=run_id)
            loaded[flight_date.isoformat()] = result.rows_loaded
    finally:
        warehouse.close()
    return {"run_id": run_id, "rows_loaded": loaded, "total_rows": sum(loaded.values())}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = load_dates(event)
    metrics.add_metric(name=ROWS_LOADED, unit=MetricUnit.Count, value=result["total_rows"])
    logger.info("loaded", extra=result)
    return result
