"""``warehouse rebuild``: a deleted or damaged warehouse comes back from processed/ with every row, no API call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flightpipe.config import Settings
from flightpipe.core.errors import LoadError
from flightpipe.pipeline.rebuild import rebuild_warehouse, warehouse_damage
from flightpipe.pipeline.warehouse_access import init_warehouse, warehouse_status
from tests.helpers.simulated_store import SimulatedStores

DAYS = (dt.date(2026, 6, 8), dt.date(2026, 6, 9))
CLOCK = dt.datetime(2026, 6, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings(tmp_path: Path, simulated_stores: SimulatedStores) -> Settings:
    return simulated_stores.copy(tmp_path / "data", ("EDDH",), DAYS)


def _rows_per_date(settings: Settings) -> dict[dt.date, int]:
    return {d.flight_date: d.rows for d in warehouse_status(settings).dates}


def test_a_deleted_warehouse_is_rebuilt_from_processed_with_every_row(settings: Settings) -> None:
    before = _rows_per_date(settings)
    settings.resolved_warehouse_path().unlink()
    result = rebuild_warehouse(settings, clock=lambda: CLOCK)
    assert _rows_per_date(settings) == before and len(before) >= 2
    assert (result.run_id, result.moved_aside) == ("rebuild-20260620T080000Z", None)
    assert {d.run_id for d in warehouse_status(settings).dates} == {"rebuild-20260620T080000Z"}


def test_a_rebuild_of_a_range_loads_only_those_flight_dates(settings: Settings) -> None:
    settings.resolved_warehouse_path().unlink()
    result = rebuild_warehouse(settings, start=DAYS[1], end=DAYS[1], clock=lambda: CLOCK)
    assert [r.flight_date for r in result.loaded] == [DAYS[1]]
    assert list(_rows_per_date(settings)) == [DAYS[1]]


def test_a_truncated_warehouse_is_damaged_moved_aside_and_rebuilt(settings: Settings) -> None:
    before = _rows_per_date(settings)
    path = settings.resolved_warehouse_path()
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    assert warehouse_damage(settings) is not None
    result = rebuild_warehouse(settings, clock=lambda: CLOCK)
    assert result.moved_aside == path.with_name("warehouse.duckdb.damaged-20260620T080000Z")
    assert result.moved_aside.exists()
    assert warehouse_damage(settings) is None
    assert _rows_per_date(settings) == before


def test_opening_a_file_that_is_not_a_warehouse_points_to_rebuild(settings: Settings) -> None:
    settings.resolved_warehouse_path().write_bytes(b"")
    with pytest.raises(LoadError, match="the file is damaged: `flightpipe warehouse rebuild`"):
        init_warehouse(settings)
