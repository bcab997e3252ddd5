"""A range's loads defer DuckDB's checkpoints to the close (``defer_housekeeping``): what they committed is
durable all the same, replayed from the write-ahead log when the process dies before closing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse

#: Opens the warehouse, defers housekeeping, commits 50,000 rows and dies without closing (as a kill would).
COMMIT_THEN_DIE = """
import os, sys
from pathlib import Path
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse
warehouse = DuckDBWarehouse(Path(sys.argv[1]))
warehouse.defer_housekeeping()
warehouse.execute_script(["CREATE TABLE t AS SELECT range AS n FROM range(50000)"])
os._exit(0)
"""


def test_deferred_housekeeping_raises_the_checkpoint_threshold_of_that_connection(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    before = warehouse.connection.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    warehouse.defer_housekeeping()
    after = warehouse.connection.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    warehouse.close()

    assert before is not None and after is not None
    assert (before[0], after[0]) == ("16.0 MiB", "1.0 GiB")


def test_rows_committed_with_housekeeping_deferred_survive_a_process_that_dies_before_closing(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"

    died = subprocess.run([sys.executable, "-c", COMMIT_THEN_DIE, str(path)], capture_output=True, text=True)

    assert died.returncode == 0, died.stderr
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*), sum(n) FROM t").fetchone() == (50000, 49999 * 50000 // 2)
