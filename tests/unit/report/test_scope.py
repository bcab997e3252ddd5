"""The report takes a ``ReportScope`` (airports, boards, data paths), not the root settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flightpipe.config import load_settings
from flightpipe.core.paths import DataPaths
from flightpipe.report.render import write_report
from flightpipe.report.scope import ReportScope
from flightpipe.warehouse.factory import open_warehouse
from flightpipe.warehouse.settings import DuckDBWarehouseSettings

DAY = dt.date(2026, 6, 8)


def test_the_scope_of_the_composed_settings_holds_their_airports_boards_and_paths(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH,EDDL", boards="arrivals")
    assert settings.report_scope() == ReportScope(("EDDH", "EDDL"), ("arrivals",), DataPaths(str(tmp_path / "data")))


def test_a_report_is_written_beside_the_data_of_its_scope(tmp_path: Path) -> None:
    paths = DataPaths(str(tmp_path / "data"))
    warehouse = open_warehouse(DuckDBWarehouseSettings(), paths)
    try:
        warehouse.init()
        where = write_report(ReportScope(("EDDH",), ("departures", "arrivals"), paths), warehouse, DAY)
    finally:
        warehouse.close()
    assert where == str(tmp_path / "data" / "reports" / "2026-06-08.html")
    assert "EDDH" in Path(where).read_text(encoding="utf-8")
