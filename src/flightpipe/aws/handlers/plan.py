"""plan: the first state of a run. Which day, which run id, and one collect task per airport and board.

The schedule passes EventBridge's event (its ``time``: the run collects the day before it); a backfill passes
``{"date": "YYYY-MM-DD"}``. The run id has the local runner's shape, so raw keys look the same everywhere.
``allow_quality_failures`` of the execution input is passed on (false when absent) for the load to read:
later states see only what plan returns, and a JSONPath to a missing field fails the execution.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import ALLOW_QUALITY_FAILURES
from flightpipe.aws.runtime import logger, parse_day, parse_flag, parse_instant, settings, tracer


def new_run_id(now: dt.datetime) -> str:
    # The same shape as flightpipe.pipeline.runner.new_run_id (not imported: the runner pulls in the warehouse engines).
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def plan_run(event: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    config = settings()
    if event.get("date"):
        day = parse_day(event["date"])
    else:
        scheduled = parse_instant(event["time"], "time") if event.get("time") else now
        day = scheduled.date() - dt.timedelta(days=1)
    as_of = parse_instant(event["as_of"], "as_of") if event.get("as_of") else now
    run_id = str(event.get("run_id") or new_run_id(as_of))
    base = {"day": day.isoformat(), "run_id": run_id, "as_of": as_of.isoformat()}
    tasks = [{**base, "airport": icao, "board": str(board)} for icao in config.airports for board in config.boards]
    allow = parse_flag(event.get(ALLOW_QUALITY_FAILURES), ALLOW_QUALITY_FAILURES)
    return {**base, "airports": list(config.airports), "tasks": tasks, ALLOW_QUALITY_FAILURES: allow}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    planned = plan_run(event, dt.datetime.now(dt.UTC))
    logger.info("planned run", extra={k: planned[k] for k in ("day", "run_id")}, tasks=len(planned["tasks"]))
    return planned
