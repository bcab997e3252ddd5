"""The Lambda handlers against moto: a whole day in state-machine order lands what the local runner lands.

S3, S3 event notifications (delivered to an SQS queue, whose messages are exactly the events Lambda gets),
SNS and Secrets Manager are moto's, served over HTTP on 127.0.0.1 so s3fs and boto3 both reach them. The
Glue step is stood in by the DuckDB process step here (tests/test_glue_job.py proves the Spark script writes
the same rows); the Redshift Data API is stubbed at the boto3 boundary (moto's never finishes a statement).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber

from flightpipe.aws import runtime
from flightpipe.aws.handlers import collect, load, notify, plan, transform, verify
from flightpipe.aws.names import (
    ENV_TOPIC_ARN,
    NOTIFY_EVENTS,
    PROCESSING_DELAYED,
    QUALITY_FAILED,
    QUALITY_FAILURES,
    RUN_FAILED,
    RUN_SUCCEEDED,
)
from flightpipe.aws.state_machine import Targets, definition
from flightpipe.core.errors import ConfigError, QualityGateFailed
from flightpipe.core.layout import Board, processed_file, quality_board_key, quality_flight_date_key
from flightpipe.core.schema import LINEAGE_COLUMNS, PROCESSED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.monitoring.events import EVENT_NAMES
from flightpipe.monitoring.notifiers import SnsNotifier
from flightpipe.monitoring.render import sns_message
from flightpipe.monitoring.settings import SnsSettings
from flightpipe.quality.gate import Hold
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.simulated.defects import DefectSettings
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.stages.process import process_flight_dates, processed_flight_dates, read_partition
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse
from flightpipe.warehouse.loadsql import KeepRows
from flightpipe.warehouse.redshift.adapter import RedshiftWarehouse
from flightpipe.warehouse.settings import RedshiftWarehouseSettings
from tests.helpers.aws_helpers import REGION, FakeLambdaContext
from tests.helpers.simulated_store import SimulatedRun, SimulatedStores
from tests.integration.aws.conftest import AIRPORTS, drain_events

DAY = dt.date(2026, 6, 8)
AS_OF = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)
BUSINESS = [c for c in PROCESSED_SCHEMA.names if c not in LINEAGE_COLUMNS]
CTX = FakeLambdaContext()


def object_etags(aws: dict[str, Any], prefix: str) -> dict[str, str]:
    listing = aws["s3"].list_objects_v2(Bucket=aws["bucket"], Prefix=prefix)
    return {o["Key"]: f"{o['ETag']}{o['LastModified']}" for o in listing.get("Contents", [])}


def business_rows(table: Any) -> list[dict[str, Any]]:
    rows = table.select(BUSINESS).to_pylist()
    return sorted(rows, key=lambda r: (r["flight_date"], r["flight_iata"] or "", r["dep_airport_icao"]))


class StubbedRedshift:
    """A RedshiftWarehouse on a real boto3 client under botocore's Stubber; every load is one FINISHED batch."""

    def __init__(self) -> None:
        self.client = boto3.client("redshift-data", region_name=REGION)
        self.stubber = Stubber(self.client)
        self.stubber.activate()
        self.batches: list[list[str]] = []
        self.quality_batches: list[list[str]] = []

    def open(self, settings: Any) -> RedshiftWarehouse:
        outer = self

        class Recording(RedshiftWarehouse):
            def load_flight_date(
                self, flight_date: dt.date, flights: Any, *, run_id: str, keep: KeepRows | None = None
            ) -> Any:
                batch, before, after = self.load_batch(flight_date, flights, run_id=run_id, keep=keep)
                outer.batches.append(batch)
                sid = f"b{len(outer.batches)}"
                outer.stubber.add_response("batch_execute_statement", {"Id": sid})
                subs = [{"Id": f"{sid}:{i}", "Status": "FINISHED"} for i in range(1, len(batch) + 1)]
                outer.stubber.add_response(
                    "describe_statement", {"Id": sid, "Status": "FINISHED", "SubStatements": subs}
                )
                for position, value in ((before, 0), (after, flights.num_rows), (after + 1, 0)):
                    outer.stubber.add_response(
                        "get_statement_result",
                        {
                            "Records": [[{"longValue": value}]],
                            "ColumnMetadata": [{"name": "count", "typeName": "int8"}],
                        },
                        {"Id": f"{sid}:{position + 1}"},
                    )
                return super().load_flight_date(flight_date, flights, run_id=run_id, keep=keep)

            def execute_script(self, statements: Sequence[str]) -> None:
                """The quality results' batch (DELETE, INSERT ... VALUES)."""
                outer.quality_batches.append(list(statements))
                sid = f"q{len(outer.quality_batches)}"
                outer.stubber.add_response("batch_execute_statement", {"Id": sid})
                outer.stubber.add_response("describe_statement", {"Id": sid, "Status": "FINISHED"})
                super().execute_script(statements)

        config = RedshiftWarehouseSettings(workgroup="flightpipe", database="flights", iam_role="arn:aws:iam::1:role/c")
        warehouse = Recording(config, data_url=settings.data_dir, client=self.client, sleep=lambda s: None)
        warehouse._initialised = True
        return warehouse


def load_input(planned: dict[str, Any], verified: dict[str, Any]) -> dict[str, Any]:
    """The load's input as the state machine's Load state builds it."""
    return {
        "run_id": planned["run_id"],
        "day": planned["day"],
        "flight_dates": verified["flight_dates"],
        "allow_quality_failures": planned["allow_quality_failures"],
    }


@pytest.mark.slow
def test_a_whole_day_through_the_handlers_lands_the_local_runners_rows(
    aws: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simulated_stores: SimulatedStores
) -> None:
    planned = plan.handler({"date": DAY.isoformat(), "as_of": AS_OF.isoformat()}, CTX)
    assert len(planned["tasks"]) == 3 * 2
    for task in planned["tasks"]:  # the Map state: one invocation per airport and board
        collected = collect.handler(task, CTX)
        assert collected["raw_key"].startswith(f"raw/{task['airport']}/{DAY}/{task['board']}-{planned['run_id']}")
    events = drain_events(aws)
    assert sum(1 for e in events if e.get("Event") == "s3:TestEvent") == 1
    raw_events = [e for e in events if "Records" in e]
    assert len(raw_events) == 6
    for event in reversed(raw_events):  # S3 promises no order
        transform.handler(event, CTX)
    transform.handler(next(e for e in events if e.get("Event") == "s3:TestEvent"), CTX)
    verified = verify.handler({"day": planned["day"], "run_id": planned["run_id"]}, CTX)
    assert verified["repaired"] == []
    assert verified["flight_dates"] == [(DAY - dt.timedelta(days=1)).isoformat(), DAY.isoformat()]
    store = ObjectStore(f"s3://{aws['bucket']}/data", skip_instance_cache=True)
    # The Glue job's place (its Spark script is proven equal to this step in test_glue_job.py).
    process_flight_dates(store, [dt.date.fromisoformat(d) for d in verified["flight_dates"]])
    redshift = StubbedRedshift()
    monkeypatch.setattr(load, "open_warehouse", redshift.open)
    loaded = load.handler(load_input(planned, verified), CTX)
    notified = notify.handler({"event": RUN_SUCCEEDED, "run": planned}, CTX)
    assert notified["message_id"]

    # The local runner's succeeded run of the same day at the same time.
    local = simulated_stores.copy(tmp_path / "local", AIRPORTS.split(","), [SimulatedRun(DAY, at=AS_OF)])
    local_store = ObjectStore(local.data_dir)
    for flight_date in verified["flight_dates"]:
        key = processed_file(dt.date.fromisoformat(flight_date))
        on_aws = pq.read_table(io.BytesIO(store.get(key)))
        here = pq.read_table(io.BytesIO(local_store.get(key)))
        assert business_rows(on_aws) == business_rows(here)
        assert loaded["rows_loaded"][flight_date] == here.num_rows
    assert sorted(processed_flight_dates(local_store)) == [dt.date.fromisoformat(d) for d in verified["flight_dates"]]
    assert [b[2] for b in redshift.batches] == [
        f"COPY stage_flights FROM 's3://{aws['bucket']}/data/processed/all_data/flight-date={d}/'"
        " IAM_ROLE 'arn:aws:iam::1:role/c' FORMAT AS PARQUET SERIALIZETOJSON"
        for d in verified["flight_dates"]
    ]
    [quality_batch] = redshift.quality_batches  # the run's quality results, after the flight dates
    assert quality_batch[0].startswith(f"DELETE FROM quality_results WHERE (run_id = '{planned['run_id']}'")
    assert all(s.startswith("INSERT INTO quality_results (") for s in quality_batch[1:])


@pytest.mark.slow
def test_duplicate_s3_events_change_nothing(aws: dict[str, Any]) -> None:
    planned = plan.handler({"date": DAY.isoformat(), "as_of": AS_OF.isoformat()}, CTX)
    for task in planned["tasks"][:2]:
        collect.handler(task, CTX)
    events = [e for e in drain_events(aws) if "Records" in e]
    first = [transform.handler(e, CTX) for e in events]
    assert sum(len(r["transformed"]) for r in first) == 2
    before = object_etags(aws, "data/transformed/") | object_etags(aws, "data/quarantine/")
    again = [transform.handler(e, CTX) for e in events + list(reversed(events))]
    assert all(r["transformed"] == [] for r in again)
    assert sum(len(r["skipped_already_transformed"]) for r in again) == 4
    assert object_etags(aws, "data/transformed/") | object_etags(aws, "data/quarantine/") == before


def test_transform_decodes_url_encoded_keys_and_ignores_files_in_raw_that_are_not_raw_keys(aws: dict[str, Any]) -> None:
    def record(key: str) -> dict[str, Any]:
        return {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": key}}}

    event = {
        "Records": [
            record("data/raw/EDDF/2026-06-08/arrivals-run%5F1.json"),  # %5F is "_"
            record("data/raw/EDDF/2026-06-08/departures-copy+%281%29.json"),  # "departures-copy (1).json"
        ]
    }
    keys, ignored = transform.store_keys(event, "s3://b/data")
    assert keys == ["raw/EDDF/2026-06-08/arrivals-run_1.json"]
    assert ignored == ["ObjectCreated:Put s3://b/data/raw/EDDF/2026-06-08/departures-copy (1).json (not a raw key)"]


def test_transform_ignores_test_events_other_buckets_and_other_prefixes() -> None:
    def record(bucket: str, key: str, name: str = "ObjectCreated:Put") -> dict[str, Any]:
        return {"eventName": name, "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}

    assert transform.store_keys({"Event": "s3:TestEvent", "Service": "Amazon S3"}, "s3://b/data") == (
        [],
        ["s3:TestEvent"],
    )
    event = {
        "Records": [
            record("other", "data/raw/EDDF/2026-06-08/departures-r1.json"),
            record("b", "data/transformed/EDDF/2026-06-08/departures-r1.parquet"),
            record("b", "data/raw/EDDF/2026-06-08/departures-r1.json", "ObjectRemoved:Delete"),
            record("b", "data/raw/EDDF/2026-06-08/departures-r1.json"),
            record("b", "data/raw/EDDF/2026-06-08/departures-r1.json"),
        ]
    }
    keys, ignored = transform.store_keys(event, "s3://b/data")
    assert keys == ["raw/EDDF/2026-06-08/departures-r1.json"]
    assert len(ignored) == 3


def test_verify_transforms_a_raw_file_whose_event_never_came(aws: dict[str, Any]) -> None:
    planned = plan.handler({"date": DAY.isoformat(), "as_of": AS_OF.isoformat()}, CTX)
    keys = [collect.handler(task, CTX)["raw_key"] for task in planned["tasks"][:2]]
    verified = verify.handler({"day": planned["day"], "run_id": planned["run_id"]}, CTX)
    assert sorted(verified["repaired"]) == sorted(keys)
    assert verified["flight_dates_arg"] == ",".join(verified["flight_dates"])
    again = verify.handler({"day": planned["day"], "run_id": planned["run_id"]}, CTX)
    assert again["repaired"] == [] and again["flight_dates"] == verified["flight_dates"]


def test_plan_collects_the_day_before_the_schedule_fired(aws: dict[str, Any]) -> None:
    planned = plan.handler({"time": "2026-06-09T04:00:00Z"}, CTX)
    assert planned["day"] == "2026-06-08"
    assert {(t["airport"], t["board"]) for t in planned["tasks"]} == {
        (a, b) for a in AIRPORTS.split(",") for b in ("departures", "arrivals")
    }
    assert {t["run_id"] for t in planned["tasks"]} == {planned["run_id"]}


def test_handlers_log_json_lines_with_the_lambda_context_through_powertools(aws: dict[str, Any]) -> None:
    stream = io.StringIO()
    previous = runtime.logger.registered_handler.setStream(stream)
    try:
        planned = plan.handler({"time": "2026-06-09T04:00:00Z"}, CTX)
    finally:
        runtime.logger.registered_handler.setStream(previous)
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines() if '"planned run"' in text]
    assert (line["level"], line["service"], line["run_id"], line["day"]) == (
        "INFO",
        "flightpipe",
        planned["run_id"],
        "2026-06-08",
    )
    assert (line["function_name"], line["function_request_id"]) == (CTX.function_name, CTX.aws_request_id)
    assert isinstance(line["cold_start"], bool)


def test_collect_reads_the_api_key_from_secrets_manager(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from flightpipe.sources import credentials

    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="flightpipe/aviationstack", SecretString='{"access_key": "k-123456789-secret"}'
    )["ARN"]
    monkeypatch.setenv("FLIGHTPIPE__SOURCE__TYPE", "aviationstack")
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__AVIATIONSTACK__SECRET_ARN", arn)
    credentials.forget_cached_secrets()
    seen: dict[str, Any] = {}

    def fake_source(settings: Any) -> Any:
        from flightpipe.sources.credentials import resolve_credentials

        seen.update(resolve_credentials("aviationstack", settings.sources.aviationstack))
        raise ConfigError("stop here")

    monkeypatch.setattr(collect, "open_source", fake_source)
    with pytest.raises(ConfigError, match="stop here"):
        collect.handler(
            {"airport": "EDDF", "board": "departures", "day": "2026-06-08", "run_id": "r1", "as_of": AS_OF.isoformat()},
            CTX,
        )
    assert seen == {"access_key": "k-123456789-secret"}
    credentials.forget_cached_secrets()


def test_collect_refuses_an_unknown_board_naming_the_allowed_ones(aws: dict[str, Any]) -> None:
    task = {"airport": "EDDF", "board": "gates", "day": "2026-06-08", "run_id": "r1", "as_of": AS_OF.isoformat()}
    with pytest.raises(ConfigError, match="board must be one of departures, arrivals, got 'gates'"):
        collect.handler(task, CTX)


NOTIFIED_AT = dt.datetime(2026, 6, 9, 2, 41, 7, tzinfo=dt.UTC)
RUN = {"day": "2026-06-08", "run_id": "r1"}


class CapturingSns:
    """An SNS client that keeps what it was asked to publish."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **arguments: Any) -> dict[str, str]:
        self.published.append(arguments)
        return {"MessageId": f"m{len(self.published)}"}


def state_machine_payloads() -> list[dict[str, Any]]:
    """What the state machine's Notify states pass notify, but the paths filled in at run time."""
    machine = definition(Targets(*(f"arn:{name}" for name in ("plan", "collect", "verify", "load", "notify")),
                                 glue_job="g", data_url="s3://b", glue_database="d", glue_table="t"))  # fmt: skip
    return [
        {k: v for k, v in state["Parameters"]["Payload"].items() if not k.endswith(".$")}
        for name, state in machine["States"].items()
        if name.startswith("Notify")
    ]


def notify_payloads() -> list[dict[str, Any]]:
    """Every kind of input notify takes: the state machine's, and the deadline event anything may send."""
    delayed = {"event": PROCESSING_DELAYED, "deadline": "2026-06-09T06:00:00Z", "started_at": "2026-06-09T02:30:00Z"}
    error = {"Error": "LoadError", "Cause": json.dumps({"errorMessage": "disk full"})}
    return [{**p, "run": RUN, "error": error} for p in [*state_machine_payloads(), delayed]]


@pytest.mark.parametrize("payload", notify_payloads(), ids=lambda p: f"{p['event']}:{p.get('state', '')}")
def test_every_event_notify_publishes_is_a_local_event_sent_as_the_local_sns_notifier_sends_it(
    payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = "arn:aws:sns:eu-west-1:123456789012:alerts"
    monkeypatch.setenv(ENV_TOPIC_ARN, topic)
    aws_side = CapturingSns()
    notify.notify(payload, aws_side, now=NOTIFIED_AT)
    event = notify.event_for(payload, NOTIFIED_AT)
    assert event.name in EVENT_NAMES
    local_side = CapturingSns()
    SnsNotifier(SnsSettings(topic_arn=topic), client=local_side).send(event)
    assert aws_side.published == local_side.published


def test_the_state_machine_asks_notify_for_local_event_names_only() -> None:
    asked = sorted((p["event"], p.get("state")) for p in state_machine_payloads())
    assert asked == [
        ("flightpipe.quality.failed", None),
        ("flightpipe.run.failed", "failed"),
        ("flightpipe.run.failed", "partial"),
        ("flightpipe.run.succeeded", None),
    ]
    assert set(NOTIFY_EVENTS) == {e for e, _ in asked} | {PROCESSING_DELAYED} and set(NOTIFY_EVENTS) <= set(EVENT_NAMES)


def test_the_runs_metric_counts_finished_runs_by_their_state_and_a_late_run_not_at_all() -> None:
    outcomes = sorted(str(notify.outcome_of(notify.event_for(p, NOTIFIED_AT))) for p in notify_payloads())
    assert outcomes == ["None", "failed", "failed quality", "partial", "succeeded"]


def test_the_run_states_notify_names_are_the_ledgers() -> None:
    from flightpipe.aws import names
    from flightpipe.state import runs

    assert (names.RUN_STATE_SUCCEEDED, names.RUN_STATE_PARTIAL, names.RUN_STATE_FAILED,
            names.RUN_STATE_FAILED_QUALITY) == (runs.SUCCEEDED, runs.PARTIAL, runs.FAILED,
                                                runs.FAILED_QUALITY)  # fmt: skip


def test_a_partial_run_is_published_as_run_failed_with_the_boards_that_did_not_land() -> None:
    run = {**RUN, "tasks": [{}] * 6, "verified": {"result": {"missing_boards": 2}}}
    counted = notify.event_for({"event": RUN_FAILED, "state": "partial", "run": run}, NOTIFIED_AT).detail()
    named = notify.event_for(
        {"event": RUN_FAILED, "state": "partial", "run": run, "failed_boards": ["EDDF/arrivals"]}, NOTIFIED_AT
    ).detail()
    landed = "no raw file landed (see the execution's CollectBoard failures)"
    assert (counted["event"], counted["state"], counted["failed_steps"]) == (
        "flightpipe.run.failed",
        "partial",
        [{"stage": "collect", "target": "2 of 6 boards", "error": landed}],
    )
    assert named["failed_steps"] == [{"stage": "collect", "target": "EDDF/arrivals", "error": landed}]


def test_a_quality_failure_is_published_as_quality_failed_with_the_gate_message_redacted() -> None:
    from flightpipe.core.redact import register_secret

    register_secret("hunter2-very-secret")
    cause = json.dumps(
        {"errorType": "QualityGateFailed", "errorMessage": "2026-06-08: null_dep_time > 5% (hunter2-very-secret)"}
    )
    event = notify.event_for(
        {"event": QUALITY_FAILED, "run": RUN, "error": {"Error": "QualityGateFailed", "Cause": cause}}, NOTIFIED_AT
    )
    [failure] = event.detail()["failures"]
    assert (event.name, failure["rule"]) == ("flightpipe.quality.failed", "quality_gate")
    assert failure["message"].startswith("QualityGateFailed: 2026-06-08: null_dep_time > 5% (")
    assert "hunter2-very-secret" not in json.dumps(sns_message(event))


def test_a_late_run_is_published_as_processing_delayed_of_kind_deadline() -> None:
    payload = {"event": PROCESSING_DELAYED, "run": RUN, "deadline": "2026-06-09T06:00:00Z",
               "started_at": "2026-06-09T02:30:00Z"}  # fmt: skip
    detail = notify.event_for(payload, NOTIFIED_AT).detail()
    assert (detail["event"], detail["kind"], detail["deadline"], detail["finished_at"]) == (
        "flightpipe.processing.delayed",
        "deadline",
        "2026-06-09T06:00:00Z",
        None,
    )


def test_a_failure_before_plan_decided_the_day_is_published_for_the_day_plan_would_have_collected() -> None:
    payload = {"event": RUN_FAILED, "state": "failed", "run": {"time": "2026-06-09T02:30:00Z"},
               "error": {"Error": "Lambda.ServiceException", "Cause": "boom"}}  # fmt: skip
    event = notify.event_for(payload, NOTIFIED_AT)
    assert (event.name, event.day, event.detail()["error"]) == (
        "flightpipe.run.failed",
        dt.date(2026, 6, 8),
        "Lambda.ServiceException: boom",
    )


def test_notify_publishes_to_the_topic(aws: dict[str, Any]) -> None:
    sqs, sns = aws["sqs"], boto3.client("sns", region_name=REGION)
    inbox = sqs.create_queue(QueueName=f"{aws['bucket']}-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=aws["topic"], Protocol="sqs", Endpoint=arn)
    notify.handler({"event": RUN_SUCCEEDED, "run": {**RUN, "loaded": {"total_rows": 1234}}}, CTX)
    body = json.loads(sqs.receive_message(QueueUrl=inbox)["Messages"][0]["Body"])
    assert body["Subject"] == "[flightpipe] INFO run for 2026-06-08 succeeded: 1234 rows loaded for no flight date"
    assert body["MessageAttributes"]["event"]["Value"] == "flightpipe.run.succeeded"
    assert json.loads(body["Message"])["detail-type"] == "flightpipe.run.succeeded"


def test_notify_refuses_an_unknown_event() -> None:
    with pytest.raises(ConfigError, match="event must be one of flightpipe.run.succeeded"):
        notify.event_for({"event": "run.succeeded", "run": RUN}, NOTIFIED_AT)


def test_handlers_emit_embedded_metric_format_per_airport(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    planned = plan.handler({"date": DAY.isoformat(), "as_of": AS_OF.isoformat()}, CTX)
    task = planned["tasks"][0]
    collected = collect.handler(task, CTX)
    (event,) = [e for e in drain_events(aws) if "Records" in e]
    result = transform.handler(event, CTX)
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    by_metric = {m["Name"]: d for d in documents for m in d["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert by_metric["RecordsCollected"]["RecordsCollected"] == [collected["records"]]
    assert (by_metric["RecordsCollected"]["airport"], by_metric["RecordsCollected"]["board"]) == (
        task["airport"],
        task["board"],
    )
    assert by_metric["RowsTransformed"]["RowsTransformed"] == [result["rows"]]
    assert by_metric["RowsTransformed"]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "flightpipe"


# The quality gate in the load ------------------------------------------------------------------------------

BAD = "EDDH"


class OneBadAirport:
    """The simulation, with ``defects`` at airport BAD only."""

    name, format = "simulated", "aviationstack"

    def __init__(self, **defects: float) -> None:
        self.good = SimulatedSource(seed=1)
        self.bad = SimulatedSource(seed=1, defects=DefectSettings(**defects))

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        return (self.bad if icao == BAD else self.good).fetch_board(icao, day, board, as_of=as_of)


def collect_to_processed(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, *, source: Any = None, allow: bool = False
) -> tuple[dict[str, Any], dict[str, Any], ObjectStore]:
    """Plan, collect, transform, verify and process (DuckDB in Glue's place) one day: the load's inputs."""
    if source is not None:
        monkeypatch.setattr(collect, "open_source", lambda settings: source)
    start = {"date": DAY.isoformat(), "as_of": AS_OF.isoformat(), "allow_quality_failures": allow}
    planned = plan.handler(start, CTX)
    for task in planned["tasks"]:
        collect.handler(task, CTX)
    for event in drain_events(aws):
        transform.handler(event, CTX)
    verified = verify.handler({"day": planned["day"], "run_id": planned["run_id"]}, CTX)
    store = ObjectStore(f"s3://{aws['bucket']}/data", skip_instance_cache=True)
    process_flight_dates(store, [dt.date.fromisoformat(d) for d in verified["flight_dates"]])
    return planned, verified, store


@pytest.fixture
def duckdb_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The load writes to a DuckDB warehouse, so the tests can read the rows it kept and loaded."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setattr(load, "open_warehouse", lambda settings: DuckDBWarehouse(path))
    return path


def warehouse_keys(path: Path, flight_date: str) -> set[tuple[str, str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(
        "SELECT flight_iata, dep_airport_icao, arr_airport_icao FROM fact_flights WHERE flight_date = ?",
        [dt.date.fromisoformat(flight_date)],
    ).fetchall()
    con.close()
    return {(r[0], r[1], r[2]) for r in rows}


def processed_keys(store: ObjectStore, flight_date: str) -> set[tuple[str, str, str]]:
    rows = read_partition(store, dt.date.fromisoformat(flight_date)).select(
        ["flight_iata", "dep_airport_icao", "arr_airport_icao"]
    )
    return {(r["flight_iata"], r["dep_airport_icao"], r["arr_airport_icao"]) for r in rows.to_pylist()}


def metric_values(captured: str, name: str) -> list[Any]:
    """The values of metric ``name`` in each embedded-metric-format document printed (a list per document)."""
    documents = [json.loads(line) for line in captured.splitlines() if '"_aws"' in line]
    return [d[name] for d in documents if name in d]


@pytest.mark.slow
def test_a_clean_day_passes_the_gate_and_its_results_are_stored_as_json(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, duckdb_path: Path
) -> None:
    planned, verified, store = collect_to_processed(aws, monkeypatch)
    loaded = load.handler(load_input(planned, verified), CTX)
    assert loaded["quality"] == {"fails": [], "held": [], "overridden": []}
    run_id = planned["run_id"]
    for icao in AIRPORTS.split(","):
        for board in ("departures", "arrivals"):
            body = json.loads(store.get(quality_board_key(DAY, icao, board, run_id)))
            assert body["run_id"] == run_id and {r["rule"] for r in body["results"]} >= {"volume_band", "parse"}
    for flight_date in verified["flight_dates"]:
        key = quality_flight_date_key(dt.date.fromisoformat(flight_date), run_id)
        body = json.loads(store.get(key))
        assert {r["rule"]: r["outcome"] for r in body["results"]} == {"null_share": "pass", "dedup_report": "pass"}
        assert body["gate"]["held"] is None
        assert warehouse_keys(duckdb_path, flight_date) == processed_keys(store, flight_date)


@pytest.mark.slow
def test_one_bad_airport_fails_the_load_naming_rule_and_airport_after_the_others_loaded(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, duckdb_path: Path
) -> None:
    planned, verified, store = collect_to_processed(aws, monkeypatch, source=OneBadAirport(missing_key=0.3))
    with pytest.raises(QualityGateFailed) as failed:
        load.handler(load_input(planned, verified), CTX)
    message = str(failed.value)
    assert f"{BAD} departures {DAY} quarantine_share: " in message
    assert f"{BAD} arrivals {DAY} quarantine_share: " in message
    assert f"flight date {DAY}: held flights departing {BAD}, flights arriving at {BAD} (" in message
    assert '"allow_quality_failures": true' in message
    previous, today = verified["flight_dates"]
    # Today's rows of BAD are held both ways; the day before only its arrivals (today's arrivals board).
    assert warehouse_keys(duckdb_path, today) == {k for k in processed_keys(store, today) if BAD not in k[1:]}
    assert warehouse_keys(duckdb_path, previous) == {k for k in processed_keys(store, previous) if k[2] != BAD}
    assert warehouse_keys(duckdb_path, today) and any(BAD in k[1:] for k in processed_keys(store, today))


@pytest.mark.slow
def test_a_gate_failure_emits_the_quality_failures_metric(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, duckdb_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned, verified, _ = collect_to_processed(aws, monkeypatch, source=OneBadAirport(missing_key=0.3))
    capsys.readouterr()
    with pytest.raises(QualityGateFailed):
        load.handler(load_input(planned, verified), CTX)
    # quarantine_share of BAD's departures and of its arrivals board: two fails, however many dates they hold.
    assert metric_values(capsys.readouterr().out, QUALITY_FAILURES) == [[2.0]]


@pytest.mark.slow
def test_allow_quality_failures_loads_everything_and_records_the_override(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, duckdb_path: Path
) -> None:
    planned, verified, store = collect_to_processed(aws, monkeypatch, source=OneBadAirport(missing_key=0.3), allow=True)
    loaded = load.handler(load_input(planned, verified), CTX)
    assert loaded["quality"]["held"] == []
    assert sorted(line.split(":")[0] for line in loaded["quality"]["overridden"]) == [
        f"{BAD} arrivals {DAY} quarantine_share",
        f"{BAD} departures {DAY} quarantine_share",
    ]
    for flight_date in verified["flight_dates"]:
        assert warehouse_keys(duckdb_path, flight_date) == processed_keys(store, flight_date)
    body = json.loads(store.get(quality_board_key(DAY, BAD, "departures", planned["run_id"])))
    fails = [r for r in body["results"] if r["outcome"] == "fail"]
    assert [(r["rule"], r["overridden"]) for r in fails] == [("quarantine_share", True)]
    gate = json.loads(store.get(quality_flight_date_key(DAY, planned["run_id"])))["gate"]
    assert gate["held"] is None and len(gate["overridden_by_this_run"]) == 2


@pytest.mark.slow
def test_without_a_day_the_load_checks_only_the_flight_dates(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, duckdb_path: Path
) -> None:
    planned, verified, store = collect_to_processed(aws, monkeypatch, source=OneBadAirport(missing_key=0.3))
    event = {k: v for k, v in load_input(planned, verified).items() if k not in {"day", "allow_quality_failures"}}
    loaded = load.handler(event, CTX)  # this run's boards are not judged, so nothing holds
    assert loaded["quality"]["held"] == []
    assert store.list(f"quality/{DAY}/") == [quality_flight_date_key(DAY, planned["run_id"])]


def test_plan_passes_the_override_flag_on_and_refuses_a_non_boolean(aws: dict[str, Any]) -> None:
    assert plan.handler({"date": DAY.isoformat()}, CTX)["allow_quality_failures"] is False
    assert plan.handler({"date": DAY.isoformat(), "allow_quality_failures": True}, CTX)["allow_quality_failures"]
    with pytest.raises(ConfigError, match="allow_quality_failures must be true or false, got 'yes'"):
        plan.handler({"date": DAY.isoformat(), "allow_quality_failures": "yes"}, CTX)


@pytest.mark.slow
def test_the_load_emits_rows_loaded_per_configured_departure_airport(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, duckdb_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned, verified, store = collect_to_processed(aws, monkeypatch)
    capsys.readouterr()
    load.handler(load_input(planned, verified), CTX)
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    per_airport = {
        d["airport"]: (d["RowsLoaded"], d["_aws"]["CloudWatchMetrics"][0]["Dimensions"])
        for d in documents
        if "RowsLoaded" in d and "airport" in d
    }
    expected: Counter[str] = Counter()
    for flight_date in verified["flight_dates"]:
        expected.update(
            read_partition(store, dt.date.fromisoformat(flight_date)).column("dep_airport_icao").to_pylist()
        )
    configured = AIRPORTS.split(",")
    assert per_airport == {a: ([float(n)], [["airport", "service"]]) for a, n in expected.items() if a in configured}
    assert set(expected) - set(configured)  # flights from elsewhere were loaded, but get no series of their own


def test_rows_loaded_per_airport_leave_out_the_rows_a_partial_hold_keeps() -> None:
    flights = pa.table(
        {
            "dep_airport_icao": ["EDDF", "EDDF", "EDDM", "EDDH", None],
            "arr_airport_icao": ["EDDM", "EDDH", "EDDF", "EDDF", "EDDF"],
        }
    )
    hold = Hold(DAY, dep_airports=frozenset({"EDDH"}), arr_airports=frozenset({"EDDH"}))
    assert load.rows_by_departure_airport(flights, hold) == {"EDDF": 1, "EDDM": 1}
    assert load.rows_by_departure_airport(flights, None) == {"EDDF": 2, "EDDM": 1, "EDDH": 1}
