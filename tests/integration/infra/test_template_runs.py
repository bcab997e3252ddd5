"""The state machine **as the synthesized template holds it**, executed: real handlers on a moto server, the Glue
job on local Spark, the S3 notification to the transform function emulated, and a DuckDB warehouse for the load.

Four executions in a row, each day run by the local runner on the same simulated source too: a clean day, a
rerun of it, a day whose key one airport's API rejects, a day the API is down for one airport past its retries.
Each execution ends in the state docs/aws.md promises ("End states": the one matching the local run's state) and
the two warehouses hold the same rows after every day.

The template's definition runs under ``tests.helpers.asl`` (moto's interpreter invokes Lambdas only in Docker and
runs no Glue job); its Tasks call the functions the template names, found by their logical ids.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest

from flightpipe.aws.glue_catalog import (
    PARQUET_INPUT_FORMAT,
    PARQUET_OUTPUT_FORMAT,
    PARQUET_SERDE,
    PARTITION_KEY,
    glue_columns,
)
from flightpipe.aws.handlers import collect, load, notify, plan, transform, verify
from flightpipe.aws.names import ENV_TOPIC_ARN
from flightpipe.config import load_settings
from flightpipe.core.errors import SourceAuthError
from flightpipe.core.layout import PROCESSED, TRANSFORMED, processed_partition
from flightpipe.core.schema import LINEAGE_COLUMNS, PROCESSED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.runner import run_day
from flightpipe.pipeline.sources import open_source
from flightpipe.sources.aviationstack.client import AviationstackPagesError
from flightpipe.sources.base import FetchedBoard
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse
from tests.helpers.asl import Execution, Interpreter, StatesError
from tests.helpers.aws_helpers import REGION, FakeLambdaContext, moto_server
from tests.helpers.cfn_tokens import template_definition
from tests.helpers.spark_session import local_spark

pytestmark = pytest.mark.slow

AIRPORTS = ("EDDF", "EDDM")
D1 = dt.date(2026, 6, 8)
CTX = FakeLambdaContext()
HANDLERS = {"plan": plan, "collect": collect, "verify": verify, "load": load, "notify": notify}


class FaultySource:
    """The simulated source, but one airport's fetches raise ``failure`` (a key rejected, an API down)."""

    def __init__(self, inner: Any, airport: str | None = None, failure: Exception | None = None) -> None:
        self.inner, self.airport, self.failure = inner, airport, failure

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def fetch_board(self, icao: str, day: dt.date, board: Any, *, as_of: dt.datetime) -> FetchedBoard:
        if icao == self.airport and self.failure is not None:
            raise self.failure
        result: FetchedBoard = self.inner.fetch_board(icao, day, board, as_of=as_of)
        return result


#: (collection day, the airport whose fetches fail, the failure)
DAYS = [
    (D1, None, None),
    (D1, None, None),  # the same day again: a rerun
    (D1 + dt.timedelta(days=1), "EDDM", SourceAuthError("the API refused the access key (401)")),
    # A SourceUnavailable subclass: the collect function raises it as SourceUnavailable, which is retried.
    (D1 + dt.timedelta(days=2), "EDDF", AviationstackPagesError("page 1: 503 Service Unavailable, retries exhausted")),
]
#: The last states of an execution, for each state the local runner ends a run in (docs/aws.md, "End states").
END_STATES = {
    "succeeded": ["NotifySuccess", "Done"],
    "partial": ["NotifyPartial", "Done"],
    "failed quality": ["NotifyQualityFailure", "QualityFailed"],
    "failed": ["NotifyFailure", "RunFailed"],
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with local_spark(shuffle_partitions=1) as session:
        yield session


class World:
    """The stack's resources as the executions see them: a bucket (the data root, as the stack's), a topic, the
    Glue catalog, a DuckDB warehouse; and the Glue service, run on local Spark."""

    def __init__(self, stack: Any, template: dict[str, Any], spark: Any, tmp: Path) -> None:
        self.bucket = f"flightpipe-{uuid.uuid4().hex[:12]}"
        self.tmp = tmp
        self.spark = spark
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        self.topic = boto3.client("sns", region_name=REGION).create_topic(Name=self.bucket)["TopicArn"]
        self.warehouse = tmp / "aws-warehouse.duckdb"
        bucket_id = stack.get_logical_id(stack.bucket.node.default_child)
        job_id = stack.get_logical_id(stack.glue_job)
        self.job_name = "flightpipe-process-job"
        self.functions = {
            f"${{{stack.get_logical_id(fn.node.default_child)}.Arn}}": name for name, fn in stack.functions.items()
        }
        self.definition = template_definition(template, {bucket_id: self.bucket, job_id: self.job_name})
        glue = boto3.client("glue", region_name=REGION)
        arguments = self.definition["States"]["Process"]["Parameters"]["Arguments"]
        glue.create_database(DatabaseInput={"Name": arguments["--database"]})
        glue.create_table(
            DatabaseName=arguments["--database"],
            TableInput={
                "Name": arguments["--table"],
                "PartitionKeys": [{"Name": PARTITION_KEY, "Type": "string"}],
                "StorageDescriptor": {
                    "Columns": glue_columns(PROCESSED_SCHEMA),
                    "Location": f"s3://{self.bucket}/{PROCESSED}/",
                    "InputFormat": PARQUET_INPUT_FORMAT,
                    "OutputFormat": PARQUET_OUTPUT_FORMAT,
                    "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
                },
            },
        )
        self.glue_runs: list[list[str]] = []

    def store(self) -> ObjectStore:
        """The bucket, with no listing cached from an earlier look (s3fs caches directory listings)."""
        return ObjectStore(f"s3://{self.bucket}", skip_instance_cache=True)

    def invoke(self, resource: str, parameters: dict[str, Any]) -> Any:
        if resource == "arn:aws:states:::lambda:invoke":
            name = self.functions[parameters["FunctionName"]]
            try:
                payload = HANDLERS[name].handler(parameters["Payload"], CTX)
            except Exception as exc:  # noqa: BLE001 - as Lambda reports it: errorType is the class name
                cause = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
                raise StatesError(type(exc).__name__, json.dumps(cause)) from exc
            if name == "collect":
                self.s3_notification(payload["raw_key"])
            return {"Payload": payload, "StatusCode": 200, "ExecutedVersion": "$LATEST"}
        if resource == "arn:aws:states:::glue:startJobRun.sync":
            return self.glue_job_run(parameters)
        raise AssertionError(f"a Task resource the stack does not use: {resource}")

    def s3_notification(self, raw_key: str) -> None:
        """What the bucket's notification does when a raw envelope lands: invoke transform with the S3 event."""
        record = {"eventSource": "aws:s3", "s3": {"bucket": {"name": self.bucket}, "object": {"key": raw_key}}}
        transform.handler({"Records": [record]}, CTX)

    def glue_job_run(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Glue's job run on local Spark: transformed/ staged to a folder (local Spark has no S3 connector), the
        job's own entry point, processed/ synced back (the dates written, and the dates emptied removed)."""
        from flightpipe.aws.glue_job import main, parse_dates

        assert parameters["JobName"] == self.job_name
        arguments = parameters["Arguments"]
        assert arguments["--data_url"] == f"s3://{self.bucket}"
        run = self.tmp / f"glue-run-{len(self.glue_runs)}"
        bucket = self.store()
        staged = ObjectStore(str(run / "in"))
        for key in bucket.list(f"{TRANSFORMED}/"):
            staged.put(key, bucket.get(key))
        argv = [f"{k} {v}" for k, v in arguments.items()]
        self.glue_runs.append(argv)
        main(
            [
                "--JOB_ID", "j_1", "--data_url", (run / "in").resolve().as_uri(),
                "--output_url", (run / "out").resolve().as_uri(), "--flight_dates", arguments["--flight_dates"],
                "--database", arguments["--database"], "--table", arguments["--table"],
            ]
        )  # fmt: skip
        written = ObjectStore(str(run / "out"))
        for flight_date in parse_dates(arguments["--flight_dates"]):
            prefix = processed_partition(flight_date)
            for key in bucket.list(prefix):
                bucket.delete(key)
            for key in written.list(prefix):
                bucket.put(key, written.get(key))
        return {"Id": f"jr_{len(self.glue_runs)}", "JobRunState": "SUCCEEDED", "JobName": self.job_name}

    def execute(self, day: dt.date, as_of: dt.datetime) -> Execution:
        interpreter = Interpreter(self.definition, self.invoke, execution_id=f"arn:execution:{day}:{as_of}")
        return interpreter.run({"date": day.isoformat(), "as_of": as_of.isoformat()})


def fact_rows(path: Path) -> list[tuple[Any, ...]]:
    """The warehouse's flights, less what names the run that loaded them."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = [c[0] for c in con.execute("DESCRIBE fact_flights").fetchall()]
        kept = [c for c in columns if c not in {*LINEAGE_COLUMNS, "loaded_at"}]
        return sorted(con.execute(f"SELECT {', '.join(kept)} FROM fact_flights").fetchall(), key=repr)  # noqa: S608
    finally:
        con.close()


def test_the_synthesized_state_machine_runs_four_days_to_the_documented_end_states(
    synthesised: tuple[Any, Any, Path],
    endpoint: str,
    spark: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack, template, template_file = synthesised
    local_settings = load_settings(data_dir=str(tmp_path / "local"), airports=",".join(AIRPORTS))
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "flightpipe",
        "POWERTOOLS_METRICS_NAMESPACE": "flightpipe",
    }.items():
        monkeypatch.setenv(name, value)
    world = World(stack, json.loads(template_file.read_text()), spark, tmp_path)
    # The functions' environment as the stack sets it, but the simulated source and three airports.
    monkeypatch.setenv("FLIGHTPIPE__DATA_DIR", f"s3://{world.bucket}")
    monkeypatch.setenv("FLIGHTPIPE__LEDGER_PATH", str(tmp_path / "lambda-tmp" / "ledger.sqlite"))
    monkeypatch.setenv("FLIGHTPIPE__AIRPORTS", ",".join(AIRPORTS))
    monkeypatch.setenv(ENV_TOPIC_ARN, world.topic)
    monkeypatch.setattr(load, "open_warehouse", lambda settings: DuckDBWarehouse(world.warehouse))

    ends, attempts, rows = [], [], []
    for day, airport, failure in DAYS:
        as_of = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC)
        source = FaultySource(open_source(local_settings), airport, failure)
        monkeypatch.setattr(collect, "open_source", lambda config, source=source: source)
        execution = world.execute(day, as_of)
        local = run_day(local_settings, day, clock=lambda as_of=as_of: as_of, source=source)
        ends.append((execution.status, execution.error, execution.entered[-2:], END_STATES[local.state]))
        attempts.append((execution.attempts["CollectBoard"], execution.entered.count("BoardFailed")))
        rows.append(fact_rows(world.warehouse))
        assert rows[-1] == fact_rows(local_settings.resolved_warehouse_path()), day

    gate = ["NotifyQualityFailure", "QualityFailed"]
    assert ends == [
        ("SUCCEEDED", None, END_STATES["succeeded"], END_STATES["succeeded"]),
        ("SUCCEEDED", None, END_STATES["succeeded"], END_STATES["succeeded"]),
        # The airport whose boards did not land is held by the quality gate, the other loaded: as locally.
        ("FAILED", "QualityGateFailed", gate, gate),
        ("FAILED", "QualityGateFailed", gate, gate),
    ]
    assert rows[1] == rows[0] and len(rows[0]) > 1000  # the rerun replaced the day's rows with the same rows
    # (collect attempts, boards failed): a rejected key is not retried; an unavailable API is, three times.
    assert attempts == [(4, 0), (4, 0), (4, 2), (2 + 2 * 4, 2)]
    assert len(world.glue_runs) == 4
