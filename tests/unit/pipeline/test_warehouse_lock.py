"""A process holding the DuckDB warehouse file (a long `flightpipe sql`, a DuckDB shell) delays a load for at most
``warehouse.lock_timeout_s``, and the error names it; `flightpipe sql` itself queries a snapshot."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import LockBusy
from flightpipe.pipeline.warehouse import connect_warehouse, file_lock_holder
from flightpipe.pipeline.warehouse_access import init_warehouse, warehouse_snapshot


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = load_settings(data_dir=str(tmp_path / "data"), warehouse={"type": "duckdb", "lock_timeout_s": 2})
    init_warehouse(settings)
    return settings


@pytest.fixture
def reader(settings: Settings) -> Iterator[subprocess.Popen[str]]:
    """Another process with the warehouse file open read-only, as a long query has it."""
    code = "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); input()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(settings.resolved_warehouse_path())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "open\n"
    yield process
    process.kill()
    process.wait()


def test_a_load_waits_for_the_lock_timeout_then_fails_naming_the_process_that_holds_the_file(
    settings: Settings, reader: subprocess.Popen[str]
) -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with pytest.raises(LockBusy, match=rf"held by another process, python\S* \(PID {reader.pid}\), for more than 2 s"):
        connect_warehouse(settings, sleep=sleep, clock=lambda: now[0])
    assert sum(waits) == 2.0


def test_a_load_goes_on_once_the_holder_lets_go(settings: Settings, reader: subprocess.Popen[str]) -> None:
    def sleep(seconds: float) -> None:
        reader.kill()
        reader.wait()

    connect_warehouse(settings, sleep=sleep).close()


def test_other_open_errors_are_not_taken_for_a_lock() -> None:
    assert file_lock_holder("IO Error: The file x exists, but it is not a valid DuckDB database file!") is None


def test_sql_queries_a_snapshot_so_a_load_can_open_the_file_meanwhile(settings: Settings) -> None:
    with warehouse_snapshot(settings) as snapshot:
        copy = Path(str(snapshot.path))  # type: ignore[attr-defined]
        assert copy != settings.resolved_warehouse_path() and copy.exists()
        con = duckdb.connect(str(copy), read_only=True)
        connect_warehouse(settings).close()  # the real file is free for a writer
        con.close()
    assert not copy.exists() and os.path.exists(settings.resolved_warehouse_path())
