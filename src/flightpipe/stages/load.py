"""load: put processed partitions into the warehouse, one flight date per transaction, one loader at a time."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from flightpipe.core.errors import LockBusy
from flightpipe.core.paths import DataPaths
from flightpipe.core.store import ObjectStore
from flightpipe.stages.process import read_partition
from flightpipe.warehouse.base import Capabilities, LoadResult, Warehouse

#: How long a loader waits for another one to finish before giving up with a clear error.
LOAD_LOCK_TIMEOUT_S = 600.0


def load_flight_date(store: ObjectStore, warehouse: Warehouse, flight_date: dt.date, *, run_id: str) -> LoadResult:
    return warehouse.load_flight_date(flight_date, read_partition(store, flight_date), run_id=run_id)


def load_lock(lock_dir: Path, timeout_s: float = LOAD_LOCK_TIMEOUT_S) -> FileLock:
    """The single-writer lock every loader takes; parallel writers to one table race."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(lock_dir / "warehouse-load.lock"), timeout=timeout_s)


def acquire(lock: FileLock, what: str) -> None:
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(
            f"{what}: another flightpipe process holds {lock.lock_file}; try again when it is done"
        ) from None


@contextlib.contextmanager
def loader_lock(
    paths: DataPaths,
    what: str = "loading the warehouse",
    *,
    capabilities: Capabilities,
) -> Iterator[None]:
    """Hold the single-writer lock the warehouse engine needs around opening it and loading.

    An embedded DuckDB file can be open for writing in one process only, so loaders on this machine queue on
    the file lock in ``paths.lock_dir`` (capability ``loader_lock = "file"``). PostgreSQL and Redshift keep
    loaders apart inside each load's transaction (an advisory lock, LOCK TABLE), which also covers loaders on
    other machines; they need nothing here.

    ``capabilities``: the configured engine's (``warehouse.factory.capabilities``).
    """
    if capabilities.loader_lock != "file":
        yield
        return
    lock = load_lock(paths.lock_dir)
    acquire(lock, what)
    try:
        yield
    finally:
        lock.release()
