"""An event as people read it: a mail (subject and body), a Slack message, an SNS message (the same for the local
SNS notifier and the AWS notify handler). Machines get ``Event.message()``."""

from __future__ import annotations

import json
from typing import Any

from flightpipe.monitoring.events import Event, Severity

_ICON = {Severity.ERROR: ":red_circle:", Severity.WARNING: ":warning:", Severity.INFO: ":white_check_mark:"}

#: SNS refuses subjects over 100 characters; mail clients cut long ones anyway.
SUBJECT_LIMIT = 100


def subject(event: Event) -> str:
    text = f"[flightpipe] {event.severity.upper()} {event.summary.removeprefix('flightpipe ')}"
    text = " ".join(text.split())  # one line, no control characters
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def text_body(event: Event) -> str:
    detail = event.detail()
    lines = [
        event.summary,
        "",
        f"What to do: {event.remedy}",
        "",
        f"event:    {event.name}",
        f"severity: {event.severity}",
        f"day:      {event.day.isoformat()}",
        f"run:      {event.run_id or '-'}",
        f"time:     {detail['time']}",
        "",
        "The event, as the AWS stack emits it:",
        json.dumps(event.message(), indent=2, sort_keys=True, default=str),
    ]
    return "\n".join(lines) + "\n"


def slack_payload(event: Event) -> dict[str, Any]:
    """An incoming-webhook message: ``text`` for notifications and old clients, ``blocks`` for the layout."""
    context = f"`{event.name}` · day {event.day.isoformat()} · run {event.run_id or '-'}"
    return {
        "text": f"{_ICON[event.severity]} {event.summary}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{_ICON[event.severity]} *{event.summary}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*What to do:* {event.remedy}"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def sns_message(event: Event) -> dict[str, Any]:
    """SNS ``Publish`` arguments but the topic: ``MessageStructure=json`` gives e-mail subscribers the text and
    every other protocol (SQS, Lambda, HTTPS) the event JSON; the attributes are for filter policies."""
    return {
        "Subject": subject(event),
        "MessageStructure": "json",
        "Message": json.dumps(
            {"default": json.dumps(event.message(), sort_keys=True, default=str), "email": text_body(event)}
        ),
        "MessageAttributes": {
            "event": {"DataType": "String", "StringValue": event.name},
            "severity": {"DataType": "String", "StringValue": str(event.severity)},
            "day": {"DataType": "String", "StringValue": event.day.isoformat()},
        },
    }
