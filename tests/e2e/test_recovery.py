"""The way back from every state file, as a user runs it: a damaged ledger and a truncated warehouse end in clean
errors naming the repair, `flightpipe doctor --fix` repairs both from the layers without an API call, and
backfill then collects nothing again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers.cli_process import flightpipe
from tests.helpers.simulated_store import SimulatedStores

DAYS = (dt.date(2026, 6, 8), dt.date(2026, 6, 9))


@pytest.fixture
def project(tmp_path: Path, simulated_stores: SimulatedStores) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "flightpipe.toml").write_text('airports = ["EDDH"]\ndata_dir = "data"\n')
    simulated_stores.copy(folder / "data", ("EDDH",), DAYS)
    return folder


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_a_damaged_ledger_and_a_truncated_warehouse_come_back_with_doctor_fix(project: Path) -> None:
    _damage(project / "data" / "ledger.sqlite")
    warehouse = project / "data" / "warehouse.duckdb"
    with warehouse.open("r+b") as file:
        file.truncate(warehouse.stat().st_size // 2)

    runs = flightpipe("runs", cwd=project)
    assert runs.returncode == 1 and "Traceback" not in runs.stderr
    assert "is damaged" in runs.stderr and "flightpipe doctor --fix" in runs.stderr
    init = flightpipe("warehouse", "init", cwd=project)
    assert init.returncode == 1 and "is ready" not in init.stdout and "flightpipe warehouse rebuild" in init.stderr

    check = flightpipe("doctor", cwd=project)
    assert check.returncode == 1
    assert "problem ledger" in check.stdout and "problem warehouse" in check.stdout
    fix = flightpipe("doctor", "--fix", cwd=project)
    assert fix.returncode == 0, fix.stdout + fix.stderr
    assert (
        "2 run(s) recovered from the layers" in fix.stdout and "rebuilt from processed/: 3 flight date(s)" in fix.stdout
    )

    backfill = flightpipe("backfill", "--start", "2026-06-08", "--end", "2026-06-09", cwd=project)
    assert backfill.returncode == 0
    assert "2 days: 0 succeeded, 0 failed, 2 skipped" in backfill.stdout  # nothing collected again


@pytest.mark.slow
def test_a_stray_file_in_raw_leaves_check_and_run_working(project: Path) -> None:
    (project / "data" / "raw" / "EDDH" / "2026-06-08" / "departures-copy (1).json").write_text("{}")
    check = flightpipe("check", "--date", "2026-06-08", cwd=project)
    assert "Traceback" not in check.stderr and check.returncode == 0, check.stderr
    assert "ignoring raw/EDDH/2026-06-08/departures-copy (1).json" in check.stderr
