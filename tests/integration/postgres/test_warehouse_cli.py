"""``flightpipe warehouse init|status``, ``sql`` and ``summary`` on the configured warehouse, and the runner
loading PostgreSQL when the config names it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flightpipe.cli.app import app
from flightpipe.config import load_settings
from flightpipe.pipeline.runner import run_day
from flightpipe.pipeline.warehouse import connect_warehouse
from flightpipe.report.summary import airport_summary
from tests.helpers.warehouse_helpers import AIRPORTS, DAYS, Engine, make_engine, partition

D1, D2 = DAYS


def _cli(*args: str, env: dict[str, str]) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def env(engine: Engine) -> dict[str, str]:
    env = {"FLIGHTPIPE__DATA_DIR": engine.settings.data_dir}
    if engine.kind == "postgres":
        config = engine.settings.warehouse
        env["FLIGHTPIPE__WAREHOUSE"] = f"postgresql://{config.user}@{config.host}:{config.port}/{config.dbname}"  # type: ignore[union-attr]
    return env


def _load(engine: Engine, *days: dt.date) -> None:
    for day in days:
        with engine.loader() as warehouse:
            warehouse.load_flight_date(day, partition(day), run_id=f"run-{day}")


def test_warehouse_init_creates_every_table_and_view(engine: Engine, env: dict[str, str]) -> None:
    result = _cli("warehouse", "init", env=env)
    assert result.exit_code == 0, result.output
    for table in ("fact_flights", "flight_codeshares", "dim_airport", "dim_airline", "flightpipe_loads"):
        assert f"CREATE TABLE IF NOT EXISTS {table}" in result.output
    for view in (
        "daily_airport_performance",
        "route_performance",
        "airline_performance",
        "hourly_movements",
        "delay_distribution",
    ):
        assert f"CREATE VIEW {view}" in result.output
    again = _cli("warehouse", "init", env=env)
    assert "CREATE TABLE" not in again.output  # nothing left to create


def test_warehouse_status_shows_rows_per_date_and_the_last_load(engine: Engine, env: dict[str, str]) -> None:
    _load(engine, D2, D1)
    result = _cli("warehouse", "status", env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("fact_flights" in line and str(len(partition(D1)) + len(partition(D2))) in line for line in lines)
    assert any(str(D1) in line and str(len(partition(D1))) in line and f"run-{D1}" in line for line in lines)
    assert f"last load: flight date {D1} by run run-{D1}" in result.output


def test_warehouse_status_before_anything_was_loaded_says_so(engine: Engine, env: dict[str, str]) -> None:
    if engine.kind == "duckdb":
        result = CliRunner().invoke(app, ["warehouse", "status"], env=env)
        assert result.exit_code != 0 and "flightpipe warehouse init" in str(result.exception)
        return
    result = _cli("warehouse", "status", env=env)
    assert "not initialised" in result.output and "last load: none yet" in result.output


def test_sql_runs_on_the_configured_warehouse_and_sees_the_views(engine: Engine, env: dict[str, str]) -> None:
    _load(engine, D1)
    result = _cli(
        "sql",
        "SELECT sum(movements) AS n FROM daily_airport_performance WHERE board = 'departures'",
        "--format",
        "json",
        env=env,
    )
    assert result.exit_code == 0, result.output
    departures = sum(1 for r in partition(D1).to_pylist() if r["seen_on_departures"])
    assert json.loads(result.output) == [{"n": departures}]


def test_sql_cannot_change_a_postgresql_warehouse(postgres_database: str, tmp_path: Path) -> None:
    engine = make_engine("postgres", tmp_path, postgres_database)
    _load(engine, D1)
    env = {"FLIGHTPIPE__DATA_DIR": engine.settings.data_dir, "FLIGHTPIPE__WAREHOUSE": postgres_database}
    result = CliRunner().invoke(app, ["sql", "DELETE FROM fact_flights"], env=env)
    assert "query failed" in str(result.exception) and "read-only transaction" in str(result.exception)
    assert engine.rows("SELECT count(*) FROM fact_flights") == [(len(partition(D1)),)]


def test_the_summary_is_the_same_on_duckdb_and_postgresql(postgres_database: str, tmp_path: Path) -> None:
    summaries = []
    for kind in ("duckdb", "postgres"):
        engine = make_engine(kind, tmp_path / kind, postgres_database)
        _load(engine, D1, D2)
        warehouse = engine.open()
        try:
            summaries.append(airport_summary(warehouse, D1, D2, list(AIRPORTS)))
        finally:
            warehouse.close()
    duck, postgres = summaries
    assert [s.movements for s in duck] == [s.movements for s in postgres] and duck[0].movements > 1000
    for a, b in zip(duck, postgres, strict=True):
        assert (a.airport_icao, a.departures, a.arrivals, a.cancelled, a.sources) == (
            b.airport_icao,
            b.departures,
            b.arrivals,
            b.cancelled,
            b.sources,
        )
        assert a.on_time_share == pytest.approx(b.on_time_share) and a.median_dep_delay_min == b.median_dep_delay_min


@pytest.mark.slow
def test_the_runner_loads_the_postgresql_warehouse_the_config_names(postgres_database: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"), warehouse=postgres_database, airports="EDDH,EDDB")
    summary = run_day(settings, dt.date(2024, 6, 3), clock=lambda: dt.datetime(2024, 6, 6, tzinfo=dt.UTC))
    assert summary.state == "succeeded", summary.failed_steps
    warehouse = connect_warehouse(settings, read_only=True)
    try:
        loaded = dict(warehouse.query("SELECT flight_date, count(*) FROM fact_flights GROUP BY flight_date"))
        assert sum(loaded.values()) == summary.rows_loaded > 100
        assert sorted(loaded) == summary.flight_dates
    finally:
        warehouse.close()
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()


def test_help_lists_the_warehouse_commands() -> None:
    result = CliRunner().invoke(app, ["warehouse", "--help"])
    assert result.exit_code == 0 and "init" in result.output and "status" in result.output
