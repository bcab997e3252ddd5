"""Each notifier delivers to a real service started by the test: SMTP (aiosmtpd), HTTP (pytest-httpserver),
SNS (moto). A notifier that cannot deliver raises NotifierError naming what failed, never the secret."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flightpipe.monitoring import events as ev
from flightpipe.monitoring.events import FailedStep
from flightpipe.monitoring.notifiers import EmailNotifier, NotifierError, SnsNotifier, WebhookNotifier
from flightpipe.monitoring.settings import AlertsSettings
from tests.helpers.alert_services import (
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    closed_port,
    smtp_server,
    ssl_smtp_server,
    tls_smtp_server,
)

__all__ = ["smtp_server", "ssl_smtp_server", "tls_smtp_server"]  # fixtures used below

DAY = dt.date(2026, 6, 8)
NOW = dt.datetime(2026, 6, 9, 3, 0, tzinfo=dt.UTC)


def failed_event() -> ev.Event:
    return ev.run_failed(
        run_id="20260609T023000Z-abc123",
        day=DAY,
        state="partial",
        error="collect EDDL/arrivals: SourceError: HTTP 503",
        failed_steps=[FailedStep("collect", "EDDL/arrivals", "SourceError: HTTP 503 for ?access_key=abcdef123")],
        time=NOW,
    )


def _alerts(**sections: Any) -> AlertsSettings:
    return AlertsSettings.model_validate({"notifiers": list(sections), **sections})


def test_email_arrives_at_a_real_smtp_server_with_subject_body_and_event_json(smtp_server: SmtpServer) -> None:
    alerts = _alerts(
        email={
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": "none",
            "sender": "flightpipe@example.com",
            "to": ["ops@example.com", "oncall@example.com"],
        }
    )
    EmailNotifier(alerts.email).send(failed_event())
    [message] = smtp_server.inbox.messages
    assert smtp_server.inbox.recipients == [["ops@example.com", "oncall@example.com"]]
    assert message["Subject"].startswith("[flightpipe] ERROR run for 2026-06-08 partial: collect EDDL/arrivals failed")
    assert message["X-Flightpipe-Event"] == "flightpipe.run.failed"
    body, attachment = [part for part in message.walk() if not part.is_multipart()]
    text = body.get_payload(decode=True).decode()
    assert "What to do: the source did not deliver" in text and "flightpipe run --date 2026-06-08" in text
    event = json.loads(attachment.get_payload(decode=True))
    assert event["detail-type"] == "flightpipe.run.failed" and event["detail"]["failed_steps"][0]["stage"] == "collect"
    assert "abcdef123" not in message.as_string()


def test_email_uses_starttls_and_login_when_the_server_requires_both(
    tls_smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTPIPE__ALERTS__EMAIL__PASSWORD", SMTP_PASSWORD)
    from flightpipe.config import load_settings

    settings = load_settings(
        alerts={
            "notifiers": ["email"],
            "email": {
                "host": tls_smtp_server.host,
                "port": tls_smtp_server.port,
                "security": "starttls",
                "username": SMTP_USER,
                "sender": SMTP_USER,
                "to": ["ops@example.com"],
                "ca_file": str(tls_smtp_server.ca_file),
            },
        }
    )
    EmailNotifier(settings.alerts.email).send(failed_event())
    assert len(tls_smtp_server.inbox.messages) == 1


@pytest.mark.filterwarnings("ignore::UserWarning:aiosmtpd", "ignore::DeprecationWarning:aiosmtpd")
def test_email_over_implicit_tls_logs_in_and_delivers(ssl_smtp_server: SmtpServer) -> None:
    alerts = _alerts(
        email={
            "host": ssl_smtp_server.host,
            "port": ssl_smtp_server.port,
            "security": "ssl",
            "username": SMTP_USER,
            "password": SMTP_PASSWORD,
            "sender": SMTP_USER,
            "to": ["ops@example.com"],
            "ca_file": str(ssl_smtp_server.ca_file),
        }
    )
    EmailNotifier(alerts.email).send(failed_event())
    assert len(ssl_smtp_server.inbox.messages) == 1


def test_email_with_a_wrong_password_fails_without_naming_the_password(tls_smtp_server: SmtpServer) -> None:
    alerts = _alerts(
        email={
            "host": tls_smtp_server.host,
            "port": tls_smtp_server.port,
            "username": SMTP_USER,
            "password": "wrong-password-123",
            "sender": SMTP_USER,
            "to": ["ops@example.com"],
            "ca_file": str(tls_smtp_server.ca_file),
        }
    )
    with pytest.raises(NotifierError, match="SMTPAuthenticationError") as caught:
        EmailNotifier(alerts.email).send(failed_event())
    assert "wrong-password-123" not in str(caught.value) and tls_smtp_server.inbox.messages == []


def test_email_refuses_a_server_whose_certificate_it_cannot_verify(tls_smtp_server: SmtpServer) -> None:
    alerts = _alerts(
        email={"host": tls_smtp_server.host, "port": tls_smtp_server.port, "sender": "a@b.de", "to": ["c@d.de"]}
    )
    with pytest.raises(NotifierError, match="CERTIFICATE_VERIFY_FAILED"):
        EmailNotifier(alerts.email).send(failed_event())


def test_email_to_a_dead_server_raises_notifier_error() -> None:
    alerts = _alerts(
        email={"host": "127.0.0.1", "port": closed_port(), "security": "none", "sender": "a@b.de", "to": ["c@d.de"]}
    )
    with pytest.raises(NotifierError, match="ConnectionRefusedError"):
        EmailNotifier(alerts.email).send(failed_event())


def test_webhook_posts_a_slack_compatible_message_to_a_real_http_server(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/services/T0/B0/hooksecret", method="POST").respond_with_data("ok")
    alerts = _alerts(webhook={"url": httpserver.url_for("/services/T0/B0/hooksecret")})
    WebhookNotifier(alerts.webhook).send(failed_event())
    [(request, _)] = httpserver.log
    body = request.get_json()
    assert body["text"].startswith(":red_circle: flightpipe run for 2026-06-08 partial")
    assert [block["type"] for block in body["blocks"]] == ["section", "section", "context"]
    assert "*What to do:*" in body["blocks"][1]["text"]["text"]
    assert request.headers["Content-Type"] == "application/json"


def test_webhook_in_event_format_posts_the_eventbridge_shaped_event(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    alerts = _alerts(webhook={"url": httpserver.url_for("/hook"), "format": "event"})
    WebhookNotifier(alerts.webhook).send(failed_event())
    [(request, _)] = httpserver.log
    assert request.get_json() == failed_event().message()


def test_webhook_retries_a_5xx_answer_and_then_delivers(httpserver: HTTPServer) -> None:
    answers = iter([Response("busy", status=503), Response("ok", status=200)])

    def handler(request: Request) -> Response:
        return next(answers)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    alerts = _alerts(webhook={"url": httpserver.url_for("/hook")})
    WebhookNotifier(alerts.webhook, wait_s=0.01).send(failed_event())
    assert [response.status_code for _, response in httpserver.log] == [503, 200]


def test_webhook_answering_500_raises_after_its_attempts_without_the_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/services/T0/B0/hooksecret").respond_with_data("boom", status=500)
    alerts = _alerts(webhook={"url": httpserver.url_for("/services/T0/B0/hooksecret"), "attempts": 2})
    with pytest.raises(NotifierError, match="HTTP 500") as caught:
        WebhookNotifier(alerts.webhook, wait_s=0.01).send(failed_event())
    assert len(httpserver.log) == 2 and "hooksecret" not in str(caught.value)


def test_webhook_to_a_closed_port_raises_notifier_error() -> None:
    alerts = _alerts(webhook={"url": f"http://127.0.0.1:{closed_port()}/hook", "attempts": 1})
    with pytest.raises(NotifierError, match="ConnectError"):
        WebhookNotifier(alerts.webhook).send(failed_event())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def sns_topic_with_queue() -> tuple[str, str]:
    sns = boto3.client("sns", region_name="eu-central-1")
    sqs = boto3.client("sqs", region_name="eu-central-1")
    topic = sns.create_topic(Name="flightpipe-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def received_notifications(queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="eu-central-1")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_sns_publishes_the_event_json_with_attributes_for_filter_policies(aws: None) -> None:
    topic, queue = sns_topic_with_queue()
    alerts = _alerts(sns={"topic_arn": topic})
    SnsNotifier(alerts.sns).send(failed_event())
    [notification] = received_notifications(queue)
    assert notification["Subject"].startswith("[flightpipe] ERROR run for 2026-06-08")
    assert json.loads(notification["Message"]) == failed_event().message()
    assert notification["MessageAttributes"]["event"] == {"Type": "String", "Value": "flightpipe.run.failed"}
    assert notification["MessageAttributes"]["severity"]["Value"] == "error"


def test_sns_gives_email_subscribers_the_readable_text() -> None:
    arguments = SnsNotifier(
        _alerts(sns={"topic_arn": "arn:aws:sns:eu-central-1:123456789012:a"}).sns
    ).publish_arguments(failed_event())
    structured = json.loads(arguments["Message"])
    assert arguments["MessageStructure"] == "json"
    assert structured["email"].startswith("flightpipe run for 2026-06-08 partial")
    assert len(arguments["Subject"]) <= 100


def test_sns_to_an_unreachable_endpoint_raises_notifier_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    alerts = _alerts(
        sns={
            "topic_arn": "arn:aws:sns:eu-central-1:123456789012:alerts",
            "endpoint_url": f"http://127.0.0.1:{closed_port()}",
            "timeout_s": 2,
        }
    )
    with pytest.raises(NotifierError, match="EndpointConnectionError"):
        SnsNotifier(alerts.sns).send(failed_event())
