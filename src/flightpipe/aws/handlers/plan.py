"""plan: the first state of a run. Which day, which run id, and one collect task per airport and board.

The schedule passes EventBridge's event (its ``time``: the run collects the day before it); a backfill passes
``{"date": "YYYY-MM-DD"}``. The plan is the local runner's (``flightpipe.pipeline.day``), so raw keys look the
same everywhere. ``allow_quality_failures`` of the execution input is passed on (false when absent) for the load
to read: later states see only what plan returns, and a JSONPath to a missing field fails the execution.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import ALLOW_QUALITY_FAILURES
from flightpipe.aws.runtime import base_errors, logger, parse_day, parse_flag, parse_instant, settings, tracer
from flightpipe.core.clock import collection_day, utc_now
from flightpipe.pipeline.day import plan_day


def plan_run(event: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    if event.get("date"):
        day = parse_day(event["date"])
    else:
        day = collection_day(parse_instant(event["time"], "time") if event.get("time") else now)
    as_of = parse_instant(event["as_of"], "as_of") if event.get("as_of") else now
    plan = plan_day(settings(), day, as_of=as_of, run_id=str(event.get("run_id") or "") or None)
    base = {"day": plan.day.isoformat(), "run_id": plan.run_id, "as_of": plan.as_of.isoformat()}
    tasks = [{**base, "airport": task.airport, "board": str(task.board)} for task in plan.tasks]
    allow = parse_flag(event.get(ALLOW_QUALITY_FAILURES), ALLOW_QUALITY_FAILURES)
    return {**base, "airports": list(plan.airports), "tasks": tasks, ALLOW_QUALITY_FAILURES: allow}


@base_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    planned = plan_run(event, utc_now())
    logger.info("planned run", extra={k: planned[k] for k in ("day", "run_id")}, tasks=len(planned["tasks"]))
    return planned
