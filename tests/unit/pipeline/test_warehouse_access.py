"""The configured warehouse as the command line uses it (embedded DuckDB here; PostgreSQL in
tests/integration/postgres/test_warehouse_cli.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.pipeline.warehouse_access import (
    QueryResult,
    init_warehouse,
    open_for_reading,
    query_warehouse,
    warehouse_status,
)

TABLES = ["fact_flights", "flight_codeshares", "dim_airport", "dim_airline", "flightpipe_loads", "quality_results",
          "flightpipe_meta"]  # fmt: skip
VIEWS = ["airport_movements", "daily_airport_performance", "route_performance", "airline_performance",
         "hourly_movements", "delay_distribution"]  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=str(tmp_path / "data"))


def test_reading_a_warehouse_that_does_not_exist_yet_is_refused_without_creating_it(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no warehouse at .* yet; run `flightpipe run` or `flightpipe warehouse"):
        open_for_reading(settings)
    assert not settings.resolved_warehouse_path().exists()


def test_a_query_before_anything_was_collected_is_refused_without_creating_the_data_folder(
    settings: Settings,
) -> None:
    with pytest.raises(ConfigError, match="^no data folder .* yet: nothing was collected; run `flightpipe run` first"):
        query_warehouse(settings, "SELECT 1")
    assert not Path(settings.data_dir).exists()


def test_a_query_of_the_layer_views_works_before_a_warehouse_exists(settings: Settings) -> None:
    Path(settings.data_dir).mkdir()

    assert query_warehouse(settings, "SELECT count(*) AS n FROM processed") == QueryResult(["n"], [(0,)])


def test_init_says_which_tables_and_views_it_created_and_nothing_when_current(settings: Settings) -> None:
    first = init_warehouse(settings)

    assert (first.url, first.dialect) == (f"duckdb:///{settings.resolved_warehouse_path()}", "duckdb")
    assert first.changes == [f"CREATE TABLE IF NOT EXISTS {t}" for t in TABLES] + [f"CREATE VIEW {v}" for v in VIEWS]
    assert init_warehouse(settings).changes == []


def test_init_of_stale_views_lists_them_created_again_not_dropped(settings: Settings) -> None:
    init_warehouse(settings)
    with duckdb.connect(str(settings.resolved_warehouse_path())) as con:
        con.execute("UPDATE flightpipe_meta SET meta_value = 'stale' WHERE meta_key = 'views_sha256'")

    assert init_warehouse(settings).changes == [f"CREATE VIEW {v}" for v in VIEWS]


def test_a_query_sees_the_warehouse_and_the_views_over_the_layers(settings: Settings) -> None:
    init_warehouse(settings)

    result = query_warehouse(settings, "SELECT (SELECT count(*) FROM fact_flights) AS facts, "
                                       "(SELECT count(*) FROM processed) AS processed")  # fmt: skip

    assert result == QueryResult(["facts", "processed"], [(0, 0)])


def test_a_query_that_would_change_the_warehouse_fails_as_bad_input(settings: Settings) -> None:
    init_warehouse(settings)

    with pytest.raises(ConfigError, match="^query failed: .*read-only"):
        query_warehouse(settings, "DELETE FROM fact_flights")


def test_status_lists_every_table_and_view(settings: Settings) -> None:
    init_warehouse(settings)

    found = warehouse_status(settings)

    assert list(found.tables) == TABLES and found.views == dict.fromkeys(VIEWS, True)
    assert found.initialised and found.dates == [] and found.pending_migrations == []
