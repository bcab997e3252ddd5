"""The Glue job's Spark SQL, produced at build time: ``process.sql`` (DuckDB) transpiled by sqlglot.

The Glue job reads the result from ``flightpipe/aws/process_spark.sql`` (package data of the wheel), so it
needs neither sqlglot nor PyPI at run time, and the SQL Spark runs is the text checked in here, not whatever a
newer sqlglot release would make of it. ``make package`` writes it again before building the wheel; a test
holds the checked-in file equal to the transpilation (``python -m flightpipe_infra.spark_sql`` rewrites it).
"""

from __future__ import annotations

from pathlib import Path

import sqlglot

from flightpipe.stages.process import PROCESS_SQL

SPARK_SQL_FILE = Path(__file__).resolve().parents[2] / "src" / "flightpipe" / "aws" / "process_spark.sql"
HEADER = "-- Generated from flightpipe/stages/process.sql by sqlglot (flightpipe_infra.spark_sql); do not edit.\n"


def transpiled() -> str:
    """The Spark SQL text of the process step, with its header line."""
    return HEADER + sqlglot.transpile(PROCESS_SQL, read="duckdb", write="spark")[0] + "\n"


def write(path: Path = SPARK_SQL_FILE) -> bool:
    """Write the transpiled SQL if it changed; True when it did."""
    text = transpiled()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    print(f"{SPARK_SQL_FILE}: {'rewritten' if write() else 'unchanged'}")
