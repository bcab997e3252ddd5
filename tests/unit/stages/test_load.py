"""The loader lock: taken in the data paths' lock folder exactly when the engine's capability says file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from flightpipe.core.paths import DataPaths
from flightpipe.stages.load import loader_lock
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse


def _held(lock_file: Path) -> bool:
    other = FileLock(str(lock_file), timeout=0)
    try:
        other.acquire()
    except Timeout:
        return True
    other.release()
    return False


@pytest.mark.parametrize(("lock", "takes_the_file_lock"), [("file", True), ("advisory", False), ("table", False)])
def test_the_file_lock_is_held_in_the_lock_folder_exactly_when_the_capability_says_file(
    tmp_path: Path, lock: str, takes_the_file_lock: bool
) -> None:
    paths = DataPaths(str(tmp_path / "data"))
    capabilities = dataclasses.replace(DuckDBWarehouse.capabilities, loader_lock=lock)  # type: ignore[arg-type]
    with loader_lock(paths, capabilities=capabilities):
        held = _held(paths.lock_dir / "warehouse-load.lock")
    assert held is takes_the_file_lock


def test_an_engine_without_a_file_lock_needs_no_local_folder() -> None:
    paths = DataPaths("s3://bucket/data")  # no ledger_path: a lock folder would be an error
    capabilities = dataclasses.replace(DuckDBWarehouse.capabilities, loader_lock="table")
    with loader_lock(paths, capabilities=capabilities):
        pass
