"""query_many: several read-only statements at once, each one's rows as ``query`` gives them, on every engine;
DuckDB runs them side by side on cursors of the one connection, and still reports a failing one as LoadError."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from flightpipe.core.errors import LoadError
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse
from tests.helpers.warehouse_helpers import Engine, load_ground_truth, make_engine

STATEMENTS = {
    "flights": "SELECT flight_date, flight_iata FROM fact_flights ORDER BY flight_iata",
    "dates": "SELECT DISTINCT flight_date FROM fact_flights ORDER BY 1",
    "airports": "SELECT airport_icao FROM dim_airport ORDER BY 1",
    "none": "SELECT flight_iata FROM fact_flights WHERE flight_iata = 'XX0'",
}


def _loaded(engine: Engine) -> Any:
    return load_ground_truth(engine).open()


def test_query_many_gives_each_statement_the_rows_query_gives_it(engine: Engine) -> None:
    warehouse = _loaded(engine)
    try:
        many = warehouse.query_many(STATEMENTS)
        assert list(many) == list(STATEMENTS)
        assert many == {name: warehouse.query(sql) for name, sql in STATEMENTS.items()}
        assert many["flights"] and many["none"] == []
    finally:
        warehouse.close()


def test_duckdb_runs_the_statements_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = _loaded(make_engine("duckdb", tmp_path, None))
    threads: set[str] = set()
    cursor = type(warehouse.connection.cursor())
    execute = cursor.execute

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(cursor, "execute", recording)
    try:
        warehouse.query_many(STATEMENTS)
    finally:
        warehouse.close()
    assert threads and all(name.startswith("query") for name in threads)


def test_a_failing_statement_among_many_raises_load_error_naming_the_warehouse(engine: Engine) -> None:
    warehouse = _loaded(engine)
    try:
        with pytest.raises(LoadError, match="no_such_table") as caught:
            warehouse.query_many({**STATEMENTS, "broken": "SELECT * FROM no_such_table"})
    finally:
        warehouse.close()
    if isinstance(warehouse, DuckDBWarehouse):
        assert str(warehouse.path) in str(caught.value)
