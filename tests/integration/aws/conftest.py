"""The AWS handlers' world under moto: a bucket whose raw/ notifications go to a queue, a topic, and the
functions' environment (what the stack sets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from flightpipe.aws.names import ENV_TOPIC_ARN
from tests.helpers.aws_helpers import REGION, moto_server

#: The airports the functions' environment names (FLIGHTPIPE__AIRPORTS).
AIRPORTS = "EDDF,EDDM,EDDH"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """A fresh bucket with raw/ notifications to a queue, a topic, and the functions' environment."""
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "flightpipe",
        # As the stack sets it: powertools then adds the service dimension to every metric.
        "POWERTOOLS_SERVICE_NAME": "flightpipe",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"flights-{tmp_path.name.lower().replace('_', '-')[-30:]}"
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=bucket)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "data/raw/"}]}},
                }
            ]
        },
    )
    topic = boto3.client("sns", region_name=REGION).create_topic(Name=bucket)["TopicArn"]
    monkeypatch.setenv("FLIGHTPIPE__DATA_DIR", f"s3://{bucket}/data")
    monkeypatch.setenv("FLIGHTPIPE__LEDGER_PATH", str(tmp_path / "lambda-tmp" / "ledger.sqlite"))
    monkeypatch.setenv("FLIGHTPIPE__AIRPORTS", AIRPORTS)
    monkeypatch.setenv(ENV_TOPIC_ARN, topic)
    return {"bucket": bucket, "queue_url": queue_url, "topic": topic, "s3": s3, "sqs": sqs}


def drain_events(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Every S3 event the bucket sent since the last call, as the transform Lambda receives it."""
    events = []
    while True:
        answer = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            aws["sqs"].delete_message(QueueUrl=aws["queue_url"], ReceiptHandle=message["ReceiptHandle"])
