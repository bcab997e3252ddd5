"""The Glue job's Spark script in local Spark: the same rows as the DuckDB process step, partitions in Glue.

Spark 3.5 (pyspark, the ``spark`` extra) needs Java 17: a missing ``java`` fails the test under CI=true and
skips it (saying why) on a developer machine. `make test` installs a headless JRE when java is missing.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow.compute as pc
import pytest

from flightpipe.aws.glue_catalog import (
    MAX_DELETES_PER_CALL,
    MAX_PARTITIONS_PER_CALL,
    PARTITION_KEY,
    deregister_partitions,
    glue_columns,
    register_partitions,
)
from flightpipe.aws.glue_job import parse_args, parse_dates, process, process_counted, put_rows_processed
from flightpipe.core.errors import ConfigError
from flightpipe.core.layout import processed_partition
from flightpipe.core.schema import PROCESSED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.stages.process import process_flight_dates, read_partition
from tests.helpers.aws_helpers import REGION
from tests.helpers.simulated_store import SimulatedRun, SimulatedStores
from tests.helpers.spark_session import local_spark

REPO = Path(__file__).resolve().parents[3]

D1 = dt.date(2026, 6, 8)
D2 = D1 + dt.timedelta(days=1)
FIRST_SEEN = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)
RECOLLECTED = FIRST_SEEN + dt.timedelta(hours=30)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with local_spark() as session:
        yield session


@pytest.fixture
def collected(tmp_path: Path, simulated_stores: SimulatedStores) -> Path:
    """Two collection days of three airports, the first collected again later: late dates, codeshares, re-collection."""
    runs = [SimulatedRun(day, at=at) for day, at in ((D1, FIRST_SEEN), (D2, FIRST_SEEN), (D1, RECOLLECTED))]
    data = tmp_path / "collected" / "data"
    simulated_stores.copy(data, ("EDDF", "EDDM", "EDDH"), runs)
    return data


def _sorted_rows(table: Any) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: (r["flight_date"], r["dep_airport_icao"], r["flight_iata"] or ""))


@pytest.mark.slow
def test_the_spark_script_writes_the_same_rows_as_the_duckdb_process_step(
    spark: Any, collected: Path, tmp_path: Path
) -> None:
    dates = [D1 - dt.timedelta(days=1), D1, D2]
    duck = ObjectStore(str(collected))
    process_flight_dates(duck, dates)
    out = tmp_path / "spark-out"
    written = process(spark, collected.resolve().as_uri(), dates, output_url=out.resolve().as_uri())
    assert written == dates
    sparks = ObjectStore(str(out))
    for day in dates:
        assert sparks.list(processed_partition(day)) != []
        duck_rows, spark_rows = read_partition(duck, day), read_partition(sparks, day)
        assert spark_rows.schema == PROCESSED_SCHEMA
        assert spark_rows.num_rows == duck_rows.num_rows > 0
        assert _sorted_rows(spark_rows) == _sorted_rows(duck_rows)
    late = read_partition(sparks, dates[0])  # flight date D1-1: only D1's arrivals board saw these flights
    assert late.num_rows > 0 and pc.all(late.column("seen_on_arrivals")).as_py()
    codeshares = pc.sum(pc.list_value_length(read_partition(sparks, D1).column("codeshare_flight_iatas"))).as_py()
    assert codeshares > 100
    recollected = read_partition(sparks, D1).column("observation_count")
    assert pc.max(recollected).as_py() >= 3  # D1 departures twice plus D1/D2 arrivals: one flight, one row


@pytest.mark.slow
def test_dynamic_overwrite_replaces_only_the_dates_given(spark: Any, collected: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    untouched = out / "processed/all_data/flight-date=2000-01-01/part-00000.parquet"
    untouched.parent.mkdir(parents=True)
    untouched.write_bytes(b"an older partition the job must leave alone")
    process(spark, collected.resolve().as_uri(), [D1], output_url=out.resolve().as_uri())
    first = ObjectStore(str(out)).list(processed_partition(D1))
    process(spark, collected.resolve().as_uri(), [D1], output_url=out.resolve().as_uri())
    second = ObjectStore(str(out)).list(processed_partition(D1))
    assert untouched.read_bytes() == b"an older partition the job must leave alone"
    assert len(first) == len(second) == 1 and first != second  # replaced, not added to


@pytest.mark.slow
def test_the_job_counts_the_rows_it_wrote_per_departure_airport(spark: Any, collected: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    written, counts = process_counted(spark, collected.resolve().as_uri(), [D1, D2], output_url=out.resolve().as_uri())
    expected: Counter[str] = Counter()
    for day in written:
        expected.update(read_partition(ObjectStore(str(out)), day).column("dep_airport_icao").to_pylist())
    assert counts == dict(expected) and sum(counts.values()) > 0


def _catalog(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "flightpipe"})
    glue.create_table(
        DatabaseName="flightpipe",
        TableInput={
            "Name": "processed",
            "PartitionKeys": [{"Name": PARTITION_KEY, "Type": "string"}],
            "StorageDescriptor": {
                "Columns": glue_columns(PROCESSED_SCHEMA),
                "Location": "s3://b/d/processed/all_data/",
            },
        },
    )


def test_partitions_are_registered_in_batches_of_at_most_100() -> None:
    import moto

    with moto.mock_aws():
        glue = boto3.client("glue", region_name=REGION)
        _catalog(glue)
        calls: list[int] = []
        original = glue.batch_create_partition

        def counting(**kwargs: Any) -> Any:
            calls.append(len(kwargs["PartitionInputList"]))
            return original(**kwargs)

        glue.batch_create_partition = counting
        dates = [D1 + dt.timedelta(days=i) for i in range(250)]
        register_partitions(
            glue,
            database="flightpipe",
            table="processed",
            data_url="s3://b/d",
            flight_dates=dates,
            schema=PROCESSED_SCHEMA,
        )
        assert calls == [MAX_PARTITIONS_PER_CALL, MAX_PARTITIONS_PER_CALL, 50]
        pages = glue.get_paginator("get_partitions").paginate(DatabaseName="flightpipe", TableName="processed")
        partitions = [p for page in pages for p in page["Partitions"]]
        assert len(partitions) == 250
        first = next(p for p in partitions if p["Values"] == [D1.isoformat()])
        assert first["StorageDescriptor"]["Location"] == f"s3://b/d/processed/all_data/flight-date={D1}/"
        assert first["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


def test_registering_a_partition_again_updates_it_instead_of_failing() -> None:
    import moto

    with moto.mock_aws():
        glue = boto3.client("glue", region_name=REGION)
        _catalog(glue)
        for url in ("s3://b/d", "s3://b/moved"):
            register_partitions(
                glue, database="flightpipe", table="processed", data_url=url, flight_dates=[D1], schema=PROCESSED_SCHEMA
            )
        partition = glue.get_partition(
            DatabaseName="flightpipe", TableName="processed", PartitionValues=[D1.isoformat()]
        )
        assert partition["Partition"]["StorageDescriptor"]["Location"].startswith("s3://b/moved/")


def test_a_date_that_lost_all_its_rows_loses_its_partition_and_a_missing_one_is_no_error() -> None:
    import moto

    days = [D1 + dt.timedelta(days=i) for i in range(MAX_DELETES_PER_CALL + 5)]
    with moto.mock_aws():
        glue = boto3.client("glue", region_name=REGION)
        _catalog(glue)
        register_partitions(
            glue,
            database="flightpipe",
            table="processed",
            data_url="s3://b/d",
            flight_dates=days,
            schema=PROCESSED_SCHEMA,
        )
        gone = [*days[1:], D1 - dt.timedelta(days=1)]  # the last was never registered
        calls = deregister_partitions(glue, database="flightpipe", table="processed", flight_dates=gone)
        partitions = glue.get_partitions(DatabaseName="flightpipe", TableName="processed")["Partitions"]
    assert calls == 2
    assert [p["Values"] for p in partitions] == [[D1.isoformat()]]


def test_job_arguments_are_checked_with_what_is_allowed() -> None:
    args = parse_args(["--JOB_ID", "j1", "--data_url", "s3://b/d", "--flight_dates", "2026-06-08,2026-06-07"])
    assert parse_dates(args["flight_dates"]) == [dt.date(2026, 6, 7), dt.date(2026, 6, 8)]
    with pytest.raises(ConfigError, match="the Glue job needs --flight_dates"):
        parse_args(["--data_url", "s3://b/d"])
    with pytest.raises(ConfigError, match="comma-separated dates YYYY-MM-DD, got '8 June'"):
        parse_dates("8 June")


@pytest.mark.slow
def test_the_job_entry_point_processes_and_registers_the_dates_it_is_given(
    spark: Any, collected: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto

    from flightpipe.aws.glue_job import main

    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    out = tmp_path / "out"
    with moto.mock_aws():
        glue = boto3.client("glue", region_name=REGION)
        _catalog(glue)
        main(
            [
                "--JOB_ID", "j_1", "--data_url", collected.resolve().as_uri(), "--output_url", out.resolve().as_uri(),
                "--flight_dates", f"{D2},{D1}", "--database", "flightpipe", "--table", "processed",
            ]
        )  # fmt: skip
        partitions = glue.get_partitions(DatabaseName="flightpipe", TableName="processed")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == [D1.isoformat(), D2.isoformat()]
    assert all(p["StorageDescriptor"]["Location"].startswith(out.resolve().as_uri()) for p in partitions)
    assert read_partition(ObjectStore(str(out)), D2).num_rows > 0


def test_the_jobs_spark_sql_is_process_sql_transpiled_at_build_time() -> None:
    """The checked-in process_spark.sql is what sqlglot makes of process.sql today (make package rewrites it;
    so does ``cd infra && python -m flightpipe_infra.spark_sql``)."""
    sys.path.insert(0, str(REPO / "infra"))
    from flightpipe_infra.spark_sql import SPARK_SQL_FILE, transpiled

    from flightpipe.aws.glue_job import SPARK_PROCESS_SQL

    assert SPARK_PROCESS_SQL == SPARK_SQL_FILE.read_text(encoding="utf-8") == transpiled()


#: What a Glue 5.0 job has without --additional-python-modules from PyPI (beside Spark): no sqlglot, fsspec...
NOT_ON_GLUE = ("sqlglot", "fsspec", "s3fs", "duckdb", "pydantic", "pydantic_settings", "httpx", "aws_lambda_powertools")


def test_the_job_imports_with_nothing_but_its_wheel_and_what_glue_ships() -> None:
    code = (
        "import importlib.abc, sys\n"
        "class Blocked(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        f"        if name.split('.')[0] in {NOT_ON_GLUE!r}:\n"
        "            raise ImportError(name + ' is not on Glue')\n"
        "sys.meta_path.insert(0, Blocked())\n"
        "import flightpipe.aws.glue_job\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_rows_processed_are_put_for_the_configured_airports_only() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def put_metric_data(self, **kwargs: Any) -> None:
            self.calls.append(kwargs)

    cloudwatch = Recorder()
    put_rows_processed(cloudwatch, {"EDDF": 10, "KJFK": 2, "EDDM": 3}, ["EDDF", "EDDM"])
    (call,) = cloudwatch.calls
    assert [(m["Dimensions"][0]["Value"], m["Value"]) for m in call["MetricData"]] == [("EDDF", 10.0), ("EDDM", 3.0)]
