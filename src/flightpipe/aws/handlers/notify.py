"""notify: one SNS message per finished run, with the events and the message the local runtime sends.

The state machine passes an event name of ``flightpipe.monitoring.events`` (``flightpipe.run.succeeded``;
``flightpipe.run.failed`` with ``state`` failed or partial; ``flightpipe.quality.failed``) and the execution's state
(``run``); an error arrives as Step Functions' ``{"Error", "Cause"}``, where a Lambda's Cause is its error JSON
(``errorMessage`` holds, for a quality-gate failure, the failing rules). The handler builds the event with the
same constructors the local detector uses and publishes it as the local SNS notifier does
(``flightpipe.monitoring.render.sns_message``). Everything published goes through ``flightpipe.core.redact``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import (
    DIM_OUTCOME,
    ENV_TOPIC_ARN,
    NOTIFY_EVENTS,
    PROCESSING_DELAYED,
    QUALITY_FAILED,
    RUN_FAILED,
    RUN_STATE_FAILED,
    RUN_STATE_FAILED_QUALITY,
    RUN_STATE_PARTIAL,
    RUN_STATE_SUCCEEDED,
    RUN_SUCCEEDED,
    RUNS,
)
from flightpipe.aws.runtime import base_errors, logger, metrics, parse_day, parse_instant, required, tracer
from flightpipe.core.clock import collection_day, utc_now
from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact
from flightpipe.monitoring import events as ev
from flightpipe.monitoring.events import Event, FailedStep, QualityFailure
from flightpipe.monitoring.render import sns_message

#: What a board that failed to collect is known by on AWS: verify counts the raw files that did not land.
_NOT_LANDED = "no raw file landed (see the execution's CollectBoard failures)"


def error_text(error: dict[str, Any] | None) -> str | None:
    if not error:
        return None
    cause = error.get("Cause")
    try:
        parsed = json.loads(cause) if isinstance(cause, str) else None
    except ValueError:
        parsed = None
    message = parsed.get("errorMessage") if isinstance(parsed, dict) else cause
    return redact(f"{error.get('Error', 'Error')}: {message}")


def event_for(payload: Mapping[str, Any], now: dt.datetime) -> Event:
    """The event the state machine asked for, from what the execution knows at its end."""
    name = str(required(dict(payload), "event", "notify"))
    build = _BUILDERS.get(name)
    if build is None:
        raise ConfigError(f"notify: event must be one of {', '.join(NOTIFY_EVENTS)}, got {name!r}")
    run: Mapping[str, Any] = payload.get("run") or {}
    return build(payload, run, _day_of(run, now), str(run.get("run_id") or "?"), now)


def _day_of(run: Mapping[str, Any], now: dt.datetime) -> dt.date:
    """The run's collection day; when plan itself failed, the execution input holds only what plan reads, so
    decide the day as plan does (``date``, else the day before ``time``, else the day before now)."""
    if run.get("day") or run.get("date"):
        return parse_day(run.get("day") or run.get("date"), "run.day")
    return collection_day(parse_instant(run["time"], "time") if run.get("time") else now)


def _succeeded(
    payload: Mapping[str, Any], run: Mapping[str, Any], day: dt.date, run_id: str, now: dt.datetime
) -> Event:
    verified = (run.get("verified") or {}).get("result") or {}
    return ev.run_succeeded(
        run_id=run_id,
        day=day,
        records_collected=None,  # the Map state keeps no branch output (its ResultPath is null)
        rows_loaded=int((run.get("loaded") or {}).get("total_rows") or 0),
        flight_dates=[str(d) for d in verified.get("flight_dates") or []],
        duration_s=None,
        source=None,
        time=now,
    )


def _failed(payload: Mapping[str, Any], run: Mapping[str, Any], day: dt.date, run_id: str, now: dt.datetime) -> Event:
    state = str(payload.get("state") or RUN_STATE_FAILED)
    error = error_text(payload.get("error"))
    return ev.run_failed(
        run_id=run_id,
        day=day,
        state=state,
        error=error,
        failed_steps=_failed_boards(payload, run) if state == RUN_STATE_PARTIAL else [],
        time=now,
    )


def _failed_boards(payload: Mapping[str, Any], run: Mapping[str, Any]) -> list[FailedStep]:
    """A partial run's failed collect steps: the boards if the input names them (``failed_boards``, each
    ``ICAO/board``), else how many of the planned boards did not land (what verify counts)."""
    named = payload.get("failed_boards")
    if isinstance(named, list) and named:
        return [FailedStep("collect", str(board), _NOT_LANDED) for board in named]
    missing = int(((run.get("verified") or {}).get("result") or {}).get("missing_boards") or 0)
    planned = len(run.get("tasks") or [])
    return [FailedStep("collect", f"{missing} of {planned} boards", _NOT_LANDED)] if missing else []


def _quality_failed(
    payload: Mapping[str, Any], run: Mapping[str, Any], day: dt.date, run_id: str, now: dt.datetime
) -> Event:
    # The load's QualityGateFailed message names the failing rules per flight date and airport; the structured
    # results stay in the bucket (quality/<date>/), so the event carries the message, as the local detector does
    # for a gate failure without details.
    message = error_text(payload.get("error")) or "the quality gate stopped the load"
    return ev.quality_failed(run_id=run_id, day=day, failures=[QualityFailure("quality_gate", None, message)], time=now)


def _delayed(payload: Mapping[str, Any], run: Mapping[str, Any], day: dt.date, run_id: str, now: dt.datetime) -> Event:
    return ev.deadline_missed(
        run_id=run_id,
        day=day,
        deadline=parse_instant(required(dict(payload), "deadline", "notify"), "deadline"),
        started_at=parse_instant(required(dict(payload), "started_at", "notify"), "started_at"),
        finished_at=None,
        time=now,
    )


_BUILDERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], dt.date, str, dt.datetime], Event]] = {
    RUN_SUCCEEDED: _succeeded,
    RUN_FAILED: _failed,
    QUALITY_FAILED: _quality_failed,
    PROCESSING_DELAYED: _delayed,
}


def outcome_of(event: Event) -> str | None:
    """The finished run's state for the Runs metric; None for an event about a run still going."""
    if event.name == RUN_SUCCEEDED:
        return RUN_STATE_SUCCEEDED
    if event.name == QUALITY_FAILED:
        return RUN_STATE_FAILED_QUALITY
    if event.name == RUN_FAILED:
        return str(event.fields.get("state") or RUN_STATE_FAILED)
    return None


def notify(payload: dict[str, Any], sns: Any = None, *, now: dt.datetime | None = None) -> dict[str, Any]:
    topic = os.environ.get(ENV_TOPIC_ARN)
    if not topic:
        raise ConfigError(f"notify needs the SNS topic ARN in {ENV_TOPIC_ARN}")
    event = event_for(payload, now or utc_now())
    message = sns_message(event)
    client = sns or boto3.client("sns")
    answer = client.publish(TopicArn=topic, **message)
    return {
        "event": event.name,
        "outcome": outcome_of(event),
        "message_id": answer["MessageId"],
        "subject": message["Subject"],
    }


@base_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = notify(event)
    if result["outcome"] is not None:
        metrics.add_dimension(name=DIM_OUTCOME, value=result["outcome"])
        metrics.add_metric(name=RUNS, unit=MetricUnit.Count, value=1)
    logger.info("notified", extra=result)
    return result
