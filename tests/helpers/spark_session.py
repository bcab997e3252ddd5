"""A local Spark session for the Glue job's tests (Java 17 needed; a missing Java fails under CI)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def local_spark(shuffle_partitions: int = 4) -> Iterator[Any]:
    """``shuffle_partitions``: 1 for a few small runs (less scheduling per job), more to exercise partitioning."""
    if shutil.which("java") is None:
        message = "Spark needs Java 17 (apt-get install -y openjdk-17-jre-headless; `make test` does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("flightpipe-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
