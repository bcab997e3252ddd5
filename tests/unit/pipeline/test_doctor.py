"""``doctor``: finds a damaged ledger, a missing or partial warehouse and leftovers; ``--fix`` repairs them from the
layers, so backfill does not collect again the days whose raw data exists."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from flightpipe.config import Settings
from flightpipe.pipeline.completeness import incomplete_days
from flightpipe.pipeline.doctor import RECOVERED, examine
from flightpipe.pipeline.rebuild import rebuild_warehouse
from flightpipe.pipeline.warehouse_access import warehouse_status
from flightpipe.state.store import StateStore
from tests.helpers.simulated_store import SimulatedStores

DAYS = (dt.date(2026, 6, 8), dt.date(2026, 6, 9))
CLOCK = dt.datetime(2026, 6, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings(tmp_path: Path, simulated_stores: SimulatedStores) -> Settings:
    return simulated_stores.copy(tmp_path / "data", ("EDDH",), DAYS)


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def test_a_sound_data_folder_has_no_findings(settings: Settings) -> None:
    assert examine(settings).findings == []


def test_a_damaged_ledger_is_moved_aside_and_its_runs_recovered_so_backfill_skips_their_days(
    settings: Settings,
) -> None:
    ledger = settings.paths().ledger
    _damage(ledger)
    found = examine(settings)
    assert [(f.area, f.fixed) for f in found.findings] == [("ledger", False)]
    assert "is damaged: database disk image is malformed" in found.findings[0].problem
    fixed = examine(settings, fix=True, clock=lambda: CLOCK)
    assert fixed.healthy and fixed.findings[0].repair.startswith("moved to ledger.sqlite.damaged-20260620T080000Z")
    assert ledger.with_name("ledger.sqlite.damaged-20260620T080000Z").exists()
    assert incomplete_days(settings, list(DAYS)) == []
    with StateStore.open(ledger) as state:
        assert {(r.kind, r.state, r.day) for r in state.runs.recent()} == {
            (RECOVERED, "succeeded", day.isoformat()) for day in DAYS
        }
    assert examine(settings).findings == []


def test_a_deleted_ledger_is_recovered_from_the_layers_too(settings: Settings) -> None:
    settings.paths().ledger.unlink()
    found = examine(settings)
    assert [f.area for f in found.findings] == ["ledger"]
    assert found.findings[0].problem.startswith("2 run(s) whose raw files are all transformed are not in the ledger")
    examine(settings, fix=True)
    assert incomplete_days(settings, list(DAYS)) == []


def test_a_warehouse_created_anew_after_a_delete_gets_its_missing_flight_dates_back(settings: Settings) -> None:
    before = {d.flight_date: d.rows for d in warehouse_status(settings).dates}
    settings.resolved_warehouse_path().unlink()
    rebuild_warehouse(settings, start=DAYS[1], end=DAYS[1])  # as a run of the last day would recreate it
    found = examine(settings)
    assert [f.area for f in found.findings] == ["warehouse"]
    assert "processed flight date(s) are not in the warehouse" in found.findings[0].problem
    examine(settings, fix=True)
    assert {d.flight_date: d.rows for d in warehouse_status(settings).dates} == before


def test_leftover_temporary_files_are_found_and_fix_deletes_them(settings: Settings) -> None:
    leftover = Path(settings.data_dir) / "processed/all_data/flight-date=2026-06-08/_tmp-dead-part-00000.parquet"
    leftover.write_bytes(b"")
    os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    assert [f.area for f in examine(settings).findings] == ["data folder"]
    assert examine(settings, fix=True).healthy and not leftover.exists()
