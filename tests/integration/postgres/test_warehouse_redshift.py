"""Redshift through the Data API, checked statement by statement at the boto3 boundary.

moto's redshift-data never finishes a statement, so the client is a real boto3 client with botocore's Stubber:
every request is validated against the service model and compared with the parameters we expect. The load
statements after staging are the shared ones that the PostgreSQL suite runs for real.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pyarrow as pa
import pytest
from botocore.stub import ANY, Stubber

from flightpipe.core.errors import ConfigError, LoadError
from flightpipe.warehouse.ddl import create_table_sql
from flightpipe.warehouse.loadsql import KeepRows, insert_values_sql, load_statements
from flightpipe.warehouse.qualitysql import quality_results_statements
from flightpipe.warehouse.redshift.adapter import RedshiftWarehouse
from flightpipe.warehouse.settings import RedshiftWarehouseSettings
from flightpipe.warehouse.tables import (
    DIM_AIRPORT,
    FACT_FLIGHTS,
    FLIGHT_CODESHARES,
    QUALITY_RESULTS,
    WAREHOUSE_TABLES,
)
from flightpipe.warehouse.views import VIEW_NAMES, transpile, view_ddl, views_fingerprint
from tests.helpers.warehouse_helpers import DAYS, partition, quality_rows

D1 = DAYS[0]
ROLE = "arn:aws:iam::123456789012:role/flightpipe-copy"
NOW = dt.datetime(2024, 6, 5, 7, 0, tzinfo=dt.UTC)
TARGET = {"WorkgroupName": "flights", "Database": "analytics"}
#: What every statement is sent with: the target, and WithEvent so the stack's EventBridge rule sees it.
SENT = {**TARGET, "WithEvent": True}


class FakeTime:
    """sleep() advances monotonic(): the bounded wait is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "redshift-data", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _warehouse(client: Any, time: FakeTime, **settings: Any) -> RedshiftWarehouse:
    config = RedshiftWarehouseSettings(
        workgroup="flights", database="analytics", iam_role=ROLE, statement_timeout_s=2.0, **settings
    )
    return RedshiftWarehouse(
        config,
        data_url="s3://flight-bucket/data",
        client=client,
        clock=lambda: NOW,
        sleep=time.sleep,
        monotonic=time.monotonic,
    )


def _finished(stubber: Stubber, statement_id: str, subs: int = 0) -> None:
    response: dict[str, Any] = {"Id": statement_id, "Status": "FINISHED"}
    if subs:
        response["SubStatements"] = [{"Id": f"{statement_id}:{i}", "Status": "FINISHED"} for i in range(1, subs + 1)]
    stubber.add_response("describe_statement", response, {"Id": statement_id})


def _count_result(stubber: Stubber, statement_id: str, value: int) -> None:
    stubber.add_response(
        "get_statement_result",
        {"Records": [[{"longValue": value}]], "ColumnMetadata": [{"name": "count", "typeName": "int8"}]},
        {"Id": statement_id},
    )


def test_a_load_is_one_batch_lock_copy_from_the_partition_then_the_shared_statements(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    warehouse = _warehouse(client, FakeTime())
    warehouse._initialised = True
    table = partition(D1)
    batch, before, after = warehouse.load_batch(D1, table, run_id="r1")
    stubber.add_response("batch_execute_statement", {"Id": "b1"}, {"Sqls": batch, **SENT})
    _finished(stubber, "b1", subs=len(batch))
    _count_result(stubber, f"b1:{before + 1}", 10)
    _count_result(stubber, f"b1:{after + 1}", table.num_rows)
    _count_result(stubber, f"b1:{after + 2}", 1552)

    result = warehouse.load_flight_date(D1, table, run_id="r1")

    assert (result.rows_replaced, result.rows_loaded, result.codeshares_loaded) == (10, table.num_rows, 1552)
    assert batch[0] == "LOCK fact_flights, flight_codeshares, dim_airport, dim_airline, flightpipe_loads"
    assert batch[1].startswith("CREATE TEMPORARY TABLE stage_flights (\n    flight_date DATE NOT NULL,")
    assert "    codeshare_flight_iatas SUPER NOT NULL," in batch[1]
    assert batch[2] == (
        "COPY stage_flights FROM 's3://flight-bucket/data/processed/all_data/flight-date=2024-06-03/'"
        f" IAM_ROLE '{ROLE}' FORMAT AS PARQUET SERIALIZETOJSON"
    )
    assert batch[3].startswith("CREATE TEMPORARY TABLE stage_airports (")
    assert batch[4].startswith(
        "INSERT INTO stage_airports (airport_icao, airport_iata, name, city, country, tz, lat, lon)"
    )
    assert (
        "('EDDF', 'FRA', 'Frankfurt am Main International Airport', 'Frankfurt am Main', 'DE', 'Europe/Berlin',"
        " 50.0264, 8.54313)" in batch[4]
    )
    assert batch[before] == "SELECT count(*) FROM fact_flights WHERE flight_date = DATE '2024-06-03'"
    shared = load_statements("redshift", D1, run_id="r1", loaded_at=NOW)
    assert batch[before + 1 : after] == shared.apply
    assert batch[after:] == [shared.count_fact, shared.count_codeshares]


def test_the_merge_and_replace_statements_sent_to_redshift_are_the_ones_postgresql_runs() -> None:
    redshift = load_statements("redshift", D1, run_id="r1", loaded_at=NOW).apply
    postgres = load_statements("postgres", D1, run_id="r1", loaded_at=NOW).apply
    differing = [i for i, (r, p) in enumerate(zip(redshift, postgres, strict=True)) if r != p]
    # Only the temp table's types, the fact insert's codeshare count and the unnesting of the codeshare list differ.
    assert differing == [0, 3, 5]
    assert "get_array_length(codeshare_flight_iatas)" in redshift[3]
    assert "FROM stage_flights AS s, s.codeshare_flight_iatas AS c" in redshift[5]
    merges = [s for s in redshift if s.startswith("MERGE")]
    assert merges == [
        "MERGE INTO dim_airline USING stage_airlines AS s ON dim_airline.airline_key = s.airline_key WHEN MATCHED"
        " THEN UPDATE SET airline_iata = coalesce(s.airline_iata, dim_airline.airline_iata), airline_icao ="
        " coalesce(s.airline_icao, dim_airline.airline_icao), airline_name = coalesce(s.airline_name,"
        " dim_airline.airline_name) WHEN NOT MATCHED THEN INSERT (airline_key, airline_iata, airline_icao,"
        " airline_name) VALUES (s.airline_key, s.airline_iata, s.airline_icao, s.airline_name)",
        "MERGE INTO dim_airport USING stage_airports AS s ON dim_airport.airport_icao = s.airport_icao WHEN MATCHED"
        " THEN UPDATE SET airport_iata = s.airport_iata, name = s.name, city = s.city, country = s.country,"
        " tz = s.tz, lat = s.lat, lon = s.lon WHEN NOT MATCHED THEN INSERT (airport_icao, airport_iata, name,"
        " city, country, tz, lat, lon) VALUES (s.airport_icao, s.airport_iata, s.name, s.city, s.country, s.tz,"
        " s.lat, s.lon)",
    ]


def test_statements_are_polled_at_the_interval_until_they_finish(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    time = FakeTime()
    warehouse = _warehouse(client, time, poll_interval_s=0.25)
    stubber.add_response("execute_statement", {"Id": "q1"}, {"Sql": "SELECT 1", **SENT})
    for status in ("SUBMITTED", "PICKED", "STARTED"):
        stubber.add_response("describe_statement", {"Id": "q1", "Status": status}, {"Id": "q1"})
    _finished(stubber, "q1")
    _count_result(stubber, "q1", 1)
    assert warehouse.query("SELECT 1") == [(1,)]
    assert time.sleeps == [0.25, 0.25, 0.25]


@pytest.mark.parametrize("status", ["FAILED", "ABORTED"])
def test_a_failed_or_aborted_batch_raises_load_error_naming_the_statement(
    stubbed: tuple[Any, Stubber], status: str
) -> None:
    client, stubber = stubbed
    warehouse = _warehouse(client, FakeTime())
    warehouse._initialised = True
    table = partition(D1)
    batch, _, _ = warehouse.load_batch(D1, table, run_id="r1")
    stubber.add_response("batch_execute_statement", {"Id": "b2"}, {"Sqls": batch, **SENT})
    subs = [{"Id": "b2:1", "Status": "FINISHED"}, {"Id": "b2:2", "Status": "FINISHED"}]
    subs.append({"Id": "b2:3", "Status": status, "Error": "S3ServiceException:Access Denied,Status 403"})
    stubber.add_response("describe_statement", {"Id": "b2", "Status": status, "SubStatements": subs}, {"Id": "b2"})
    with pytest.raises(LoadError) as raised:
        warehouse.load_flight_date(D1, table, run_id="r1")
    message = str(raised.value)
    assert f"Redshift statement {status} at statement 3 of {len(batch)} (COPY stage_flights FROM " in message
    assert "Access Denied" in message and "the previous rows are intact" in message


def test_a_statement_that_never_finishes_is_cancelled_after_the_bounded_wait(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    time = FakeTime()
    warehouse = _warehouse(client, time, poll_interval_s=0.5)
    stubber.add_response("execute_statement", {"Id": "q2"}, {"Sql": "SELECT 1", **SENT})
    for _ in range(5):  # at 0, 0.5, 1.0, 1.5 s still running; at 2.0 s the 2 s budget is spent
        stubber.add_response("describe_statement", {"Id": "q2", "Status": "STARTED"}, {"Id": "q2"})
    stubber.add_response("cancel_statement", {"Status": True}, {"Id": "q2"})
    with pytest.raises(
        LoadError, match="statement q2 did not finish within 2 s .last status STARTED.; it was cancelled"
    ):
        warehouse.query("SELECT 1")
    assert time.now == 2.0


def test_init_creates_the_missing_tables_and_the_views_in_one_batch(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    warehouse = _warehouse(client, FakeTime())
    stubber.add_response("execute_statement", {"Id": "c1"}, {"Sql": ANY, **SENT})
    _finished(stubber, "c1")
    stubber.add_response("get_statement_result", {"Records": []}, {"Id": "c1"})
    expected = [create_table_sql(t, "redshift") for t in WAREHOUSE_TABLES] + view_ddl("redshift")
    recorded = _record_views()
    stubber.add_response("batch_execute_statement", {"Id": "i1"}, {"Sqls": expected + recorded, **SENT})
    _finished(stubber, "i1", subs=len(expected) + len(recorded))
    assert warehouse.init() == expected


def test_init_adds_a_column_the_schema_gained_with_alter_table_under_the_loaders_lock(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    warehouse = _warehouse(client, FakeTime())
    existing = [
        [{"stringValue": t.name}, {"stringValue": c}]
        for t in WAREHOUSE_TABLES
        for c in t.schema.names
        if (t.name, c) != ("fact_flights", "arr_baggage")
    ]
    stubber.add_response("execute_statement", {"Id": "c2"}, {"Sql": ANY, **SENT})
    _finished(stubber, "c2")
    stubber.add_response("get_statement_result", {"Records": existing}, {"Id": "c2"})
    expected = ["ALTER TABLE fact_flights ADD COLUMN arr_baggage VARCHAR(256)", *view_ddl("redshift")]
    lock = "LOCK fact_flights, flight_codeshares, dim_airport, dim_airline, flightpipe_loads"
    sent = [lock, *expected, *_record_views()]
    stubber.add_response("batch_execute_statement", {"Id": "i2"}, {"Sqls": sent, **SENT})
    _finished(stubber, "i2")
    assert warehouse.init() == expected


def _record_views() -> list[str]:
    fingerprint = views_fingerprint("redshift")
    return [
        "DELETE FROM flightpipe_meta WHERE meta_key = 'views_sha256'",
        f"INSERT INTO flightpipe_meta (meta_key, meta_value) VALUES ('views_sha256', '{fingerprint}')",
    ]


def _strings(*values: str) -> dict[str, Any]:
    return {"Records": [[{"stringValue": v}] for v in values]}


def test_a_load_of_a_current_warehouse_sends_no_ddl_before_its_batch(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    warehouse = _warehouse(client, FakeTime())  # a fresh adapter, as in every Lambda invocation
    columns = [[{"stringValue": t.name}, {"stringValue": c}] for t in WAREHOUSE_TABLES for c in t.schema.names]
    # information_schema.columns, the views' fingerprint in flightpipe_meta, information_schema.views
    reads = [{"Records": columns}, _strings(views_fingerprint("redshift")), _strings(*VIEW_NAMES)]
    for number, result in enumerate(reads):
        stubber.add_response("execute_statement", {"Id": f"r{number}"}, {"Sql": ANY, **SENT})
        _finished(stubber, f"r{number}")
        stubber.add_response("get_statement_result", result, {"Id": f"r{number}"})
    table = partition(D1)
    batch, before, after = warehouse.load_batch(D1, table, run_id="r1")
    stubber.add_response("batch_execute_statement", {"Id": "b4"}, {"Sqls": batch, **SENT})
    _finished(stubber, "b4", subs=len(batch))
    for position in (before, after, after + 1):
        _count_result(stubber, f"b4:{position + 1}", 1)

    warehouse.load_flight_date(D1, table, run_id="r1")

    # The Stubber took the reads and this one batch only; it holds no view or table DDL.
    assert not [s for s in batch if "VIEW" in s or s.startswith(("ALTER", "CREATE TABLE IF NOT EXISTS"))]


def test_a_secrets_manager_secret_authenticates_the_data_api(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:flightpipe-redshift"
    warehouse = _warehouse(client, FakeTime(), secret_arn=arn)
    stubber.add_response("execute_statement", {"Id": "q3"}, {"Sql": "SELECT 1", "SecretArn": arn, **SENT})
    _finished(stubber, "q3")
    _count_result(stubber, "q3", 1)
    assert warehouse.query("SELECT 1") == [(1,)]


def test_redshift_tables_sort_by_flight_date_and_copy_small_dimensions_to_every_node() -> None:
    assert create_table_sql(FACT_FLIGHTS, "redshift").endswith(
        "\nDISTSTYLE KEY DISTKEY (flight_iata) SORTKEY (flight_date)"
    )
    assert create_table_sql(FLIGHT_CODESHARES, "redshift").endswith(
        "\nDISTSTYLE KEY DISTKEY (flight_iata) SORTKEY (flight_date)"
    )
    assert create_table_sql(DIM_AIRPORT, "redshift").endswith("    PRIMARY KEY (airport_icao)\n)\nDISTSTYLE ALL")
    assert "    dep_scheduled_utc TIMESTAMPTZ," in create_table_sql(FACT_FLIGHTS, "redshift")


def test_a_local_data_folder_cannot_feed_a_redshift_copy(stubbed: tuple[Any, Stubber]) -> None:
    client, _ = stubbed
    warehouse = RedshiftWarehouse(
        RedshiftWarehouseSettings(workgroup="flights", database="analytics"), data_url=None, client=client
    )
    with pytest.raises(ConfigError, match="set data_dir to an s3:// URL or warehouse.processed_url"):
        warehouse.partition_url(D1)


def test_the_views_reach_redshift_with_its_own_median_and_no_filter_clause() -> None:
    statements = "\n".join(view_ddl("redshift"))
    assert "MEDIAN(delay_min)" in statements
    assert "PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY\n    delay_min)" in statements
    assert "FILTER(" not in statements.upper()


def test_the_views_reach_redshift_with_local_times_from_convert_timezone_not_at_time_zone() -> None:
    statements = "\n".join(view_ddl("redshift"))
    assert "CONVERT_TIMEZONE('UTC', a.tz, f.dep_scheduled_utc)" in statements
    # Only the fallback for rows without an offset converts; the offset columns come first (one zone database).
    assert "CAST(CONVERT_TIMEZONE('UTC', a.tz, f.arr_scheduled_utc) AS DATE)\n  ) AS local_date" in statements
    assert "f.arr_utc_offset_min * 60" in statements
    assert "AT TIME ZONE" not in statements.upper()


def test_a_statement_for_redshift_gets_local_times_from_convert_timezone() -> None:
    sql = "SELECT CAST(f.arr_scheduled_utc AT TIME ZONE a.tz AS DATE) FROM f JOIN a ON TRUE"
    assert transpile(sql, "redshift") == (
        "SELECT CAST(CONVERT_TIMEZONE('UTC', a.tz, f.arr_scheduled_utc) AS DATE) FROM f JOIN a ON TRUE"
    )


def test_literal_values_in_a_batch_are_quoted_so_no_name_can_break_out() -> None:
    table = pa.table({"name": ["O'Hare \\ x'; DROP TABLE fact_flights; --", None], "lat": [1.5, None]})
    assert insert_values_sql("t", table, "redshift") == [
        "INSERT INTO t (name, lat) VALUES ('O''Hare \\\\ x''; DROP TABLE fact_flights; --', 1.5), (NULL, NULL)"
    ]


def test_a_load_that_keeps_held_airports_replaces_only_the_other_rows_by_the_process_stages_flight_key(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    warehouse = _warehouse(client, FakeTime())
    warehouse._initialised = True
    table = partition(D1)
    keep = KeepRows(departing=frozenset({"EDDL"}), arriving=frozenset({"EDDH", "EDDB"}))
    batch, before, after = warehouse.load_batch(D1, table, run_id="r1", keep=keep)
    stubber.add_response("batch_execute_statement", {"Id": "b3"}, {"Sqls": batch, **SENT})
    _finished(stubber, "b3", subs=len(batch))
    for position in (before, after, after + 1):
        _count_result(stubber, f"b3:{position + 1}", 1)

    warehouse.load_flight_date(D1, table, run_id="r1", keep=keep)

    apply = batch[before + 1 : after]  # what the Stubber saw sent, past the staging
    kept = "coalesce({t}.dep_airport_icao IN ('EDDL') OR {t}.arr_airport_icao IN ('EDDB', 'EDDH'), FALSE)"
    assert (
        apply[2]
        == f"DELETE FROM fact_flights WHERE flight_date = DATE '2024-06-03' AND NOT {kept.format(t='fact_flights')}"
    )
    assert apply[3] == (
        "DELETE FROM flight_codeshares WHERE flight_date = DATE '2024-06-03' AND NOT EXISTS (SELECT 1 FROM fact_flights"
        " AS k WHERE k.flight_date = flight_codeshares.flight_date"
        " AND coalesce(k.flight_iata, k.flight_icao, '')"
        " = coalesce(flight_codeshares.flight_iata, flight_codeshares.flight_icao, '')"
        " AND k.dep_airport_icao = flight_codeshares.dep_airport_icao)"
    )
    fresh = (
        f" AND NOT {kept.format(t='s')} AND NOT EXISTS (SELECT 1 FROM fact_flights AS k WHERE"
        " k.flight_date = s.flight_date AND coalesce(k.flight_iata, k.flight_icao, '')"
        " = coalesce(s.flight_iata, s.flight_icao, '') AND k.dep_airport_icao = s.dep_airport_icao)"
    )
    assert apply[4] == (
        "INSERT INTO flight_codeshares (flight_date, flight_iata, dep_airport_icao, codeshare_flight_iata,"
        " flight_icao) SELECT s.flight_date, s.flight_iata, s.dep_airport_icao, CAST(c AS VARCHAR(256)),"
        " s.flight_icao FROM stage_flights AS s, s.codeshare_flight_iatas AS c"
        f" WHERE s.flight_date = DATE '2024-06-03'{fresh}"
    )
    assert apply[5].startswith("INSERT INTO fact_flights (") and apply[5].endswith(fresh)


def test_quality_results_reach_redshift_as_one_batch_replacing_the_runs_partitions(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    warehouse = _warehouse(client, FakeTime())
    warehouse._initialised = True
    results = quality_rows(
        ("r1", "board", D1, "EDDF", "departures", "volume_band", "fail", ["LH 1", "it's"]),
        ("r1", "flight_date", D1, None, None, "null_share", "pass", []),
    )
    expected = [
        "DELETE FROM quality_results WHERE (run_id = 'r1' AND scope = 'board' AND partition_date = DATE '2024-06-03'"
        " AND airport_icao = 'EDDF' AND board = 'departures') OR (run_id = 'r1' AND scope = 'flight_date'"
        " AND partition_date = DATE '2024-06-03' AND airport_icao IS NULL AND board IS NULL)",
        ANY,
    ]
    stubber.add_response("batch_execute_statement", {"Id": "q1"}, {"Sqls": expected, **SENT})
    _finished(stubber, "q1", subs=2)

    assert warehouse.load_quality_results(results) == 2

    sent = quality_results_statements(results, "redshift")[1]
    assert sent.startswith("INSERT INTO quality_results (run_id, checked_at_utc, scope, partition_date,")
    assert "JSON_PARSE('[\"LH 1\", \"it''s\"]')" in sent and "JSON_PARSE('[]')" in sent
    assert "'volume band: 1 of 2 (\"x\")'" in sent


def test_quality_messages_and_counts_get_wide_columns_on_redshift() -> None:
    ddl = create_table_sql(QUALITY_RESULTS, "redshift")
    assert "    message VARCHAR(65535) NOT NULL," in ddl and "    counts_json VARCHAR(65535) NOT NULL," in ddl
    assert "    examples SUPER NOT NULL," in ddl and ddl.endswith("DISTSTYLE ALL SORTKEY (partition_date)")
