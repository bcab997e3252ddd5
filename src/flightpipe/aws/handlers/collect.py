"""collect: one airport, one board, one day per invocation (a branch of the state machine's Map)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import DIM_AIRPORT, DIM_BOARD, METRICS_NAMESPACE, RECORDS_COLLECTED
from flightpipe.aws.runtime import base_errors, logger, open_store, parse_day, parse_instant, required, settings, tracer
from flightpipe.core.errors import ConfigError
from flightpipe.core.layout import Board
from flightpipe.pipeline.collect import collect_planned
from flightpipe.pipeline.day import DayPlan
from flightpipe.pipeline.sources import open_source


def collect_task(event: dict[str, Any]) -> dict[str, Any]:
    config = settings()
    icao = str(required(event, "airport", "collect")).upper()
    board_name = str(required(event, "board", "collect"))
    if board_name not in {str(b) for b in Board}:
        raise ConfigError(f"board must be one of {', '.join(str(b) for b in Board)}, got {board_name!r}")
    # This branch of the Map: the plan's one task it was given.
    plan = DayPlan(
        day=parse_day(required(event, "day", "collect"), "day"),
        run_id=str(required(event, "run_id", "collect")),
        as_of=parse_instant(required(event, "as_of", "collect"), "as_of"),
        airports=(icao,),
        boards=(Board(board_name),),
    )
    (task,) = plan.tasks
    # Credentials come from the environment or the account's secret_arn (Secrets Manager).
    result = collect_planned(open_store(config), open_source(config), plan, task)
    with single_metric(
        name=RECORDS_COLLECTED, unit=MetricUnit.Count, value=result.records, namespace=METRICS_NAMESPACE
    ) as metric:
        metric.add_dimension(name=DIM_AIRPORT, value=icao)
        metric.add_dimension(name=DIM_BOARD, value=board_name)
    return {"raw_key": result.raw_key, "records": result.records, "pages": result.pages, "bytes": result.bytes_written}


@base_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = collect_task(event)
    logger.info("collected", extra=result)
    return result
