"""notify: one SNS message per finished run (success, partial, failure, quality-gate failure).

The state machine passes the event name and what it knows; an error arrives as Step Functions' ``{"Error",
"Cause"}``, where a Lambda's Cause is its error JSON (``errorMessage`` holds, for a quality-gate failure, the
failing rules). Everything published goes through ``flightpipe.redact``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import DIM_OUTCOME, ENV_TOPIC_ARN, RUN_EVENTS, RUN_QUALITY_FAILED, RUNS
from flightpipe.aws.runtime import logger, metrics, required, tracer
from flightpipe.errors import ConfigError
from flightpipe.redact import redact

_SUBJECTS = {
    "run.succeeded": "succeeded",
    "run.partial": "finished with failed boards",
    "run.failed": "FAILED",
    "run.quality_failed": "stopped by the quality gate",
    "run.late": "has not finished by its deadline",
}


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


def message_for(event: dict[str, Any]) -> tuple[str, str]:
    name = str(required(event, "event", "notify"))
    if name not in RUN_EVENTS:
        raise ConfigError(f"notify: event must be one of {', '.join(RUN_EVENTS)}, got {name!r}")
    run = event.get("run") or {}
    day = run.get("day", "?")
    subject = f"flightpipe {day} {_SUBJECTS[name]}"
    lines = [f"event: {name}", f"day: {day}", f"run_id: {run.get('run_id', '?')}"]
    if event.get("failed_boards"):
        lines.append(f"failed boards: {event['failed_boards']}")
    error = error_text(event.get("error"))
    if error:
        lines.append(("failing rules: " if name == RUN_QUALITY_FAILED else "error: ") + error)
    if event.get("execution"):
        lines.append(f"execution: {event['execution']}")
    return subject[:100], redact("\n".join(lines))


def notify(event: dict[str, Any], sns: Any = None) -> dict[str, Any]:
    topic = os.environ.get(ENV_TOPIC_ARN)
    if not topic:
        raise ConfigError(f"notify needs the SNS topic ARN in {ENV_TOPIC_ARN}")
    subject, body = message_for(event)
    client = sns or boto3.client("sns")
    answer = client.publish(
        TopicArn=topic,
        Subject=subject,
        Message=body,
        MessageAttributes={"event": {"DataType": "String", "StringValue": str(event["event"])}},
    )
    return {"event": event["event"], "message_id": answer["MessageId"], "subject": subject}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = notify(event)
    metrics.add_dimension(name=DIM_OUTCOME, value=str(event["event"]))
    metrics.add_metric(name=RUNS, unit=MetricUnit.Count, value=1)
    logger.info("notified", extra=result)
    return result
