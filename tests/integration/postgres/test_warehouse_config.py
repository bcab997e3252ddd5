"""warehouse.type as a discriminated union, the warehouse URL, and where passwords come from."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from filelock import FileLock, Timeout

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact
from flightpipe.core.secrets import postgres_password, secret_from_secrets_manager
from flightpipe.pipeline.warehouse import warehouse_lock
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse
from flightpipe.warehouse.settings import (
    DuckDBWarehouseSettings,
    PostgresWarehouseSettings,
    RedshiftWarehouseSettings,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("duckdb:///flightpipe-data/wh.duckdb", DuckDBWarehouseSettings(path="flightpipe-data/wh.duckdb")),
        ("duckdb:////srv/wh.duckdb", DuckDBWarehouseSettings(path="/srv/wh.duckdb")),
        (
            "postgresql://loader@db.internal:5433/flights",
            PostgresWarehouseSettings(host="db.internal", port=5433, user="loader", dbname="flights"),
        ),
        (
            "redshift-data://flights-wg/analytics",
            RedshiftWarehouseSettings(workgroup="flights-wg", database="analytics"),
        ),
        (
            "redshift-data://flights-wg/analytics?iam_role=arn:aws:iam::1:role/copy",
            RedshiftWarehouseSettings(
                workgroup="flights-wg", database="analytics", iam_role="arn:aws:iam::1:role/copy"
            ),
        ),
    ],
)
def test_a_warehouse_url_selects_the_engine_and_its_settings(url: str, expected: object) -> None:
    assert load_settings(warehouse=url).warehouse == expected


def test_the_url_may_come_from_the_environment_and_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('[warehouse]\ntype = "duckdb"\n')
    monkeypatch.setenv("FLIGHTPIPE__WAREHOUSE", "postgresql://loader@db/flights")
    assert load_settings(config).warehouse == PostgresWarehouseSettings(host="db", user="loader", dbname="flights")


def test_the_table_form_in_the_file_validates_each_engine_s_keys(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('[warehouse]\ntype = "postgres"\nhost = "db"\nport = 6432\n')
    assert load_settings(config).warehouse == PostgresWarehouseSettings(host="db", port=6432)


def test_an_unknown_warehouse_type_names_the_key_and_the_allowed_types(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('[warehouse]\ntype = "oracle"\n')
    with pytest.raises(
        ConfigError, match=r"warehouse.type: must be one of duckdb, postgres, redshift \(got 'oracle'\)"
    ):
        load_settings(config)


def test_a_key_of_another_engine_is_named_with_the_keys_allowed_for_this_one(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('[warehouse]\ntype = "postgres"\nworkgroup = "x"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert (
        "warehouse.workgroup: unknown key; allowed here: connect_timeout_s, dbname, host, lock_timeout_s,"
        " password_env, port, secret_arn, type, user  [env: FLIGHTPIPE__WAREHOUSE__WORKGROUP]"
    ) in str(raised.value)


def test_an_unknown_url_scheme_lists_the_three_forms() -> None:
    with pytest.raises(ConfigError, match="warehouse: unknown warehouse URL scheme 'mysql://'; allowed: duckdb:///"):
        load_settings(warehouse="mysql://db/flights")


def test_a_password_in_the_url_is_refused_and_never_echoed() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(warehouse="postgresql://loader:hunter2-secret@db/flights")
    assert "must not contain a password" in str(raised.value) and "hunter2" not in str(raised.value)


def test_redshift_needs_exactly_one_of_workgroup_and_cluster() -> None:
    with pytest.raises(ConfigError, match="warehouse: set exactly one of workgroup .Serverless. or cluster_identifier"):
        load_settings(warehouse={"type": "redshift", "workgroup": "a", "cluster_identifier": "b"})


def test_a_url_contradicting_the_type_is_an_error_naming_both() -> None:
    with pytest.raises(ConfigError, match="url says type 'postgres' but type is 'duckdb'"):
        load_settings(warehouse={"type": "duckdb", "url": "postgresql://db/flights"})


def test_the_postgres_password_comes_from_the_named_environment_variable_and_is_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLIGHTS_DB_PASSWORD", "pg-pass-8c1f")
    assert postgres_password("FLIGHTS_DB_PASSWORD", None) == "pg-pass-8c1f"
    assert redact("connection failed for pg-pass-8c1f") == "connection failed for ***REDACTED***"


def test_a_secrets_manager_password_is_read_and_redacted() -> None:
    client = boto3.client(
        "secretsmanager", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:wh"
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_secret_value",
            {"SecretString": json.dumps({"username": "loader", "password": "sm-pass-77aa"})},
            {"SecretId": arn},
        )
        assert secret_from_secrets_manager(arn, client=client)["password"] == "sm-pass-77aa"
    assert "sm-pass-77aa" not in redact("auth failed: sm-pass-77aa")


def test_a_connection_failure_names_the_server_but_never_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from flightpipe.core.errors import LoadError
    from flightpipe.warehouse.postgres.adapter import PostgresWarehouse

    monkeypatch.setenv("PGPASSWORD", "pg-never-shown-42")
    settings = PostgresWarehouseSettings(host="127.0.0.1", port=1, user="loader", dbname="flights", connect_timeout_s=2)
    with pytest.raises(LoadError) as raised:
        PostgresWarehouse(settings)
    assert "cannot connect to the warehouse postgresql://loader@127.0.0.1:1/flights" in str(raised.value)
    assert "pg-never-shown-42" not in str(raised.value)


@pytest.mark.parametrize(("lock", "takes_the_file_lock"), [("file", True), ("advisory", False), ("table", False)])
def test_the_runner_takes_the_file_lock_exactly_when_the_engine_capability_says_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock: str, takes_the_file_lock: bool
) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"))  # DuckDB, whose flag is replaced below
    flags = dataclasses.replace(DuckDBWarehouse.capabilities, loader_lock=lock)  # type: ignore[arg-type]
    monkeypatch.setattr(DuckDBWarehouse, "capabilities", flags)
    with warehouse_lock(settings):
        other = FileLock(str(settings.lock_dir() / "warehouse-load.lock"), timeout=0)
        try:
            other.acquire()
        except Timeout:
            held = True
        else:
            held = False
            other.release()
    assert held is takes_the_file_lock
