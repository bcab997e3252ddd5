"""The views' names and fingerprint come from their definition's text: a load of a current warehouse (every daily
run) neither imports sqlglot nor transpiles; on DuckDB, creating them does not either."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flightpipe.warehouse.views import VIEW_NAMES, VIEWS_SQL, views

INIT = """
import sys
from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.factory import open_warehouse
from flightpipe.warehouse.settings import DuckDBWarehouseSettings
paths = DataPaths(sys.argv[1])
warehouse = open_warehouse(DuckDBWarehouseSettings(), paths)
created = warehouse.init()
warehouse.close()
print(len(created), 'sqlglot' in sys.modules)
"""


def test_the_view_names_are_those_views_sql_creates_in_order() -> None:
    assert tuple(v.name for v in views("duckdb")) == VIEW_NAMES


def test_initialising_a_current_warehouse_imports_no_sqlglot(tmp_path: Path) -> None:
    first, second = (
        subprocess.run(
            [sys.executable, "-c", INIT, str(tmp_path / "data")], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    )
    assert first.split()[1] == "False"  # a new DuckDB warehouse: its views created as views.sql writes them
    assert int(first.split()[0]) > len(VIEW_NAMES)
    assert second == "0 False"  # a current one: nothing to do


def test_duckdb_views_are_the_selects_views_sql_writes_and_the_other_engines_are_transpiled() -> None:
    assert all(view.select_sql in VIEWS_SQL for view in views("duckdb"))
    assert not any(view.select_sql in VIEWS_SQL for view in views("postgres"))
