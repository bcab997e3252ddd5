"""Alerts from real runs: each event type reaches a real notifier, duplicates are not repeated, delays are noticed,
and nothing a notifier (or the monitor itself) does can turn a run red."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.monitoring import events as ev
from flightpipe.pipeline.runner import run_day
from flightpipe.pipeline.scheduler import Scheduler
from flightpipe.state.runs import RunRecord
from flightpipe.state.store import StateStore
from tests.helpers.alert_services import ScriptedSource, SmtpServer, closed_port, smtp_server, source_down

__all__ = ["smtp_server"]

DAY = dt.date(2026, 6, 8)
MORNING = dt.datetime(2026, 6, 9, 3, 0, tzinfo=dt.UTC)  # the usual run time, before the 06:00 deadline


def clock(when: dt.datetime = MORNING) -> Any:
    return lambda: when


def settings_with(data_dir: Path, **alerts: Any) -> Settings:
    return load_settings(data_dir=str(data_dir), airports="EDDH", alerts=alerts)


@pytest.fixture
def webhook(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return httpserver


def hook_settings(tmp_path: Path, webhook: HTTPServer, **alerts: Any) -> Settings:
    return settings_with(
        tmp_path / "data",
        notifiers=["log", "webhook"],
        webhook={"url": webhook.url_for("/hook"), "format": "event"},
        **alerts,
    )


def recorded_runs(settings: Settings) -> list[RunRecord]:
    with StateStore.open(settings.paths().ledger) as state:
        return state.runs.recent()


def received(webhook: HTTPServer) -> list[dict[str, Any]]:
    return [request.get_json()["detail"] for request, _ in webhook.log]


def test_a_failed_board_sends_run_failed_with_the_step_the_error_and_what_to_do(
    tmp_path: Path, webhook: HTTPServer
) -> None:
    summary = run_day(hook_settings(tmp_path, webhook), DAY, clock=clock(), source=source_down("EDDH", "arrivals"))
    # The missing board also fails the board_collected quality rule, so the gate holds what it feeds.
    assert summary.state == "failed quality"
    events = {e["event"]: e for e in received(webhook)}
    assert sorted(events) == ["flightpipe.quality.failed", "flightpipe.run.failed"]
    assert "board_collected" in events["flightpipe.quality.failed"]["rules"]
    event = events["flightpipe.run.failed"]
    assert event["state"] == "failed quality"
    assert event["failed_steps"] == [
        {"stage": "collect", "target": "EDDH/arrivals", "error": "SourceError: EDDH arrivals: HTTP 503 from the source"}
    ]
    assert (
        event["remedy"].startswith("the source did not deliver")
        and "flightpipe run --date 2026-06-08" in event["remedy"]
    )


def api_settings(tmp_path: Path, webhook: HTTPServer, source: str, **more: Any) -> Settings:
    """A real API source, its credentials left to the environment, alerts to the webhook."""
    return load_settings(
        data_dir=str(tmp_path / "data"),
        airports="EDDH",
        source={"type": source},
        alerts={"notifiers": ["webhook"], "webhook": {"url": webhook.url_for("/hook"), "format": "event"}},
        **more,
    )


MISSING_KEY = (
    "aviationstack needs credentials: set FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY in the environment, "
    "or set sources.aviationstack.secret_arn to read them from AWS Secrets Manager"
)


def test_a_run_without_its_api_key_is_recorded_failed_and_alerts_which_variable_to_set(
    tmp_path: Path, webhook: HTTPServer
) -> None:
    settings = api_settings(tmp_path, webhook, "aviationstack")
    with pytest.raises(ConfigError, match="needs credentials"):
        run_day(settings, DAY, clock=clock())
    with StateStore.open(settings.paths().ledger) as state:
        [record] = state.runs.recent()
        steps = state.steps.of_run(record.run_id)
    assert (record.state, record.source, record.error) == ("failed", "aviationstack", f"ConfigError: {MISSING_KEY}")
    assert [(s.stage, s.target, s.state, s.error) for s in steps] == [
        ("collect", "aviationstack", "failed", f"ConfigError: {MISSING_KEY}")
    ]
    [event] = received(webhook)
    assert (event["event"], event["state"], event["failed_steps"]) == (
        "flightpipe.run.failed",
        "failed",
        [{"stage": "collect", "target": "aviationstack", "error": f"ConfigError: {MISSING_KEY}"}],
    )
    assert event["remedy"] == (
        f"the configuration is incomplete or invalid: {MISSING_KEY}; fix it, then rerun the day "
        "(`flightpipe run --date 2026-06-08`)"
    )


def test_a_scheduled_day_whose_credential_is_missing_is_alerted_and_never_shows_the_other_one(
    tmp_path: Path, webhook: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenSky needs two credentials: the secret is set, the client id is not.
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_SECRET", "s3cret-opensky-value")
    settings = api_settings(tmp_path, webhook, "opensky", schedule={"catch_up_days": 0})

    def run_once(settings_: Settings, day: dt.date, *, kind: str) -> Any:
        scheduler.request_stop("test done")
        return run_day(settings_, day, kind=kind, clock=clock())

    scheduler = Scheduler(settings, run=run_once, clock=clock(MORNING + dt.timedelta(days=1)))
    scheduler.run_forever()  # the failed run is logged; the daemon itself carries on
    [record] = recorded_runs(settings)
    assert (record.day, record.kind, record.state) == ("2026-06-09", "schedule", "failed")
    [event] = received(webhook)
    assert event["event"] == "flightpipe.run.failed" and "FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_ID" in event["remedy"]
    assert "s3cret-opensky-value" not in json.dumps([r.get_data(as_text=True) for r, _ in webhook.log])
    assert "s3cret-opensky-value" not in f"{record.error} {record.summary}"


def test_a_retry_that_fails_the_same_way_the_same_day_sends_no_second_alert(
    tmp_path: Path, webhook: HTTPServer
) -> None:
    settings = hook_settings(tmp_path, webhook)
    run_day(settings, DAY, clock=clock(), source=source_down("EDDH", "arrivals"))
    run_day(settings, DAY, clock=clock(MORNING + dt.timedelta(hours=1)), source=source_down("EDDH", "arrivals"))
    assert sorted(e["event"] for e in received(webhook)) == ["flightpipe.quality.failed", "flightpipe.run.failed"]
    assert len(recorded_runs(settings)) == 2


def test_an_empty_board_sends_data_missing(tmp_path: Path, webhook: HTTPServer) -> None:
    source = ScriptedSource(empty={("EDDH", "departures")})
    summary = run_day(hook_settings(tmp_path, webhook), DAY, clock=clock(), source=source)
    assert summary.state == "succeeded"
    [event] = received(webhook)
    assert (event["event"], event["missing"]) == (
        "flightpipe.data.missing",
        [{"airport": "EDDH", "board": "departures"}],
    )


def test_many_quarantined_records_send_quality_failed_with_the_rule_and_airport(
    tmp_path: Path, webhook: HTTPServer
) -> None:
    source = ScriptedSource(broken={("EDDH", "departures"): 40})
    run_day(hook_settings(tmp_path, webhook), DAY, clock=clock(), source=source)
    [event] = received(webhook)
    assert event["event"] == "flightpipe.quality.failed"
    assert (event["rules"], event["airports"]) == (["quarantine_share"], ["EDDH"])
    assert event["failures"][0]["message"].startswith("40 of ")


@pytest.mark.slow
def test_a_succeeded_run_sends_its_one_line_summary_only_when_enabled(tmp_path: Path, webhook: HTTPServer) -> None:
    run_day(hook_settings(tmp_path / "off", webhook), DAY, clock=clock())
    assert received(webhook) == []
    run_day(hook_settings(tmp_path / "on", webhook, run_succeeded=True), DAY, clock=clock())
    [event] = received(webhook)
    assert event["event"] == "flightpipe.run.succeeded"
    assert event["summary"].startswith("flightpipe run for 2026-06-08 succeeded: ")


@pytest.mark.slow
def test_a_step_made_slow_sends_processing_delayed_and_a_normal_run_does_not(
    tmp_path: Path, webhook: HTTPServer
) -> None:
    settings = hook_settings(tmp_path, webhook, slow_step_min_seconds=2.0, slow_step_min_history=3)
    for offset in range(3):  # the history that defines "usual"
        assert run_day(settings, DAY - dt.timedelta(days=offset + 1), clock=clock()).state == "succeeded"
    assert run_day(settings, DAY, clock=clock()).state == "succeeded"
    assert received(webhook) == []  # a normal run: silent
    slow = ScriptedSource(slow={("EDDH", "departures"): 4.0})
    assert (
        run_day(settings, DAY + dt.timedelta(days=1), clock=clock(MORNING + dt.timedelta(days=1)), source=slow).state
        == "succeeded"
    )
    [event] = received(webhook)
    assert event["event"] == "flightpipe.processing.delayed" and event["kind"] == "slow_step"
    assert (event["stage"], event["target"]) == ("collect", "EDDH/departures")
    assert event["duration_s"] >= 4.0 and event["ratio"] > 3


@pytest.mark.slow
def test_a_run_still_going_at_its_deadline_sends_processing_delayed_while_it_runs(
    tmp_path: Path, webhook: HTTPServer
) -> None:
    almost = dt.datetime(2026, 6, 9, 5, 59, 59, 700000, tzinfo=dt.UTC)  # 0.3 s before the 06:00 deadline
    slow = ScriptedSource(slow={("EDDH", "departures"): 1.5})
    started = time.monotonic()
    run_day(hook_settings(tmp_path, webhook), DAY, clock=clock(almost), source=slow)
    [(request, _)] = webhook.log
    event = request.get_json()["detail"]
    assert event["event"] == "flightpipe.processing.delayed" and event["kind"] == "deadline"
    assert event["finished_at"] is None and event["summary"].endswith("it is still running")
    assert time.monotonic() - started >= 1.5


def test_a_run_that_ends_before_its_deadline_sends_no_delay(tmp_path: Path, webhook: HTTPServer) -> None:
    almost = dt.datetime(2026, 6, 9, 5, 59, 50, tzinfo=dt.UTC)  # 10 s to spare; the run takes about 1 s
    run_day(hook_settings(tmp_path, webhook), DAY, clock=clock(almost), source=ScriptedSource())
    assert received(webhook) == []


def test_mail_of_a_failed_run_arrives_at_the_smtp_server(tmp_path: Path, smtp_server: SmtpServer) -> None:
    settings = settings_with(
        tmp_path / "data",
        notifiers=["email"],
        email={
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": "none",
            "sender": "fp@example.com",
            "to": ["ops@example.com"],
        },
    )
    run_day(settings, DAY, clock=clock(), source=source_down("EDDH", "departures"))
    messages = {m["X-Flightpipe-Event"]: m for m in smtp_server.inbox.messages}
    assert sorted(messages) == ["flightpipe.quality.failed", "flightpipe.run.failed"]
    assert messages["flightpipe.run.failed"]["Subject"].startswith(
        "[flightpipe] ERROR run for 2026-06-08 failed quality: collect EDDH/departures failed"
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield


def test_sns_alert_of_a_failed_run_reaches_a_subscribed_queue(tmp_path: Path, aws: None) -> None:
    sns, sqs = boto3.client("sns", region_name="eu-west-1"), boto3.client("sqs", region_name="eu-west-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    settings = settings_with(tmp_path / "data", notifiers=["sns"], sns={"topic_arn": topic})
    run_day(settings, DAY, clock=clock(), source=source_down("EDDH", "arrivals"))
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    events = {e["detail-type"]: e for e in (json.loads(json.loads(m["Body"])["Message"]) for m in messages)}
    assert sorted(events) == ["flightpipe.quality.failed", "flightpipe.run.failed"]
    assert events["flightpipe.run.failed"]["detail"]["day"] == "2026-06-08"


@pytest.mark.slow
def test_dead_notifiers_leave_the_run_green_and_record_what_failed(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/hook").respond_with_data("broken", status=500)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = settings_with(
        tmp_path / "data",
        notifiers=["email", "webhook", "sns"],
        run_succeeded=True,
        email={"host": "127.0.0.1", "port": closed_port(), "security": "none", "sender": "a@b.de", "to": ["c@d.de"]},
        webhook={"url": httpserver.url_for("/hook"), "attempts": 2},
        sns={
            "topic_arn": "arn:aws:sns:eu-west-1:123456789012:alerts",
            "endpoint_url": f"http://127.0.0.1:{closed_port()}",
            "timeout_s": 2,
        },
    )
    summary = run_day(settings, DAY, clock=clock(), source=ScriptedSource(empty={("EDDH", "arrivals")}))
    assert summary.state == "succeeded"
    assert recorded_runs(settings)[0].state == "succeeded"
    assert len(httpserver.log) == 2 * 2  # two events, each tried twice
    # Undelivered alerts are not remembered as sent: the next run may still deliver them.
    with StateStore.open(settings.paths().ledger) as state:
        assert state.alerts.recent() == []


@pytest.mark.slow
def test_an_error_inside_the_monitor_itself_leaves_the_run_green(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> list[ev.Event]:
        raise RuntimeError("bug in detection")

    monkeypatch.setattr("flightpipe.pipeline.monitor.detect", broken)
    settings = settings_with(tmp_path / "data")
    assert run_day(settings, DAY, clock=clock(), source=source_down("EDDH", "arrivals")).state == "failed quality"
    assert run_day(settings, DAY - dt.timedelta(days=5), clock=clock()).state == "succeeded"


def test_the_metrics_files_are_written_beside_the_data_after_every_run(tmp_path: Path) -> None:
    settings = settings_with(tmp_path / "data")
    summary = run_day(settings, DAY, clock=clock())
    metrics = tmp_path / "data" / "metrics"
    assert sorted(p.name for p in (metrics / "runs").iterdir()) == [f"{summary.run_id}.json", f"{summary.run_id}.prom"]
    written = json.loads((metrics / "latest.json").read_text())
    assert written["run_id"] == summary.run_id and written["state"] == "succeeded"
    assert (metrics / "latest.prom").read_text() == (metrics / "runs" / f"{summary.run_id}.prom").read_text()
    assert os.path.getsize(metrics / "latest.prom") > 0
