"""``flightpipe status`` and ``flightpipe warehouse status`` on narrow terminals: every line fits, no cell is cut."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.console import Console

from flightpipe.cli.status import render_status
from flightpipe.cli.warehouse import render_warehouse_status
from flightpipe.monitoring.status import DayStatus, StageStatus, StatusReport, TrendPoint
from flightpipe.state.alerts import SentAlert
from flightpipe.warehouse.base import DateStatus, WarehouseStatus

RUN_IDS = ("20260610T023000Z-a1b2c3", "20260609T023000Z-d4e5f6", "20260608T023000Z-0789ab")


def _report() -> StatusReport:
    return StatusReport(
        now="2026-06-10T09:00:00+00:00",
        days=[
            DayStatus("2026-06-09", "succeeded", RUN_IDS[0], "run", 1, 14, 14, 1887, 2444, 2.9),
            DayStatus("2026-06-08", "abandoned", RUN_IDS[1], "reprocess", 2, 3, 14, 1977, 0, 31.5, complete=True),
            DayStatus("2026-06-07", "failed quality", RUN_IDS[2], "backfill", 1, 13, 14, 1901, 0, 4.0, late=True),
            DayStatus("2026-06-06", "missing", late=True),
        ],
        latest_run=RUN_IDS[0],
        latest_stages=[StageStatus("collect", 4, 4, 2.3), StageStatus("load", 3, 3, 0.2)],
        trend=[TrendPoint(RUN_IDS[1], "2026-06-08", 3.4), TrendPoint(RUN_IDS[0], "2026-06-09", 2.9)],
        trend_median_s=3.1,
        next_run="2026-06-11T02:30:00+00:00",
        next_run_day="2026-06-10",
        problems=["2026-06-07: late, no succeeded run and the deadline has passed"],
        recent_alerts=[
            SentAlert(
                "k", "2026-06-10", "quality", "2026-06-07", RUN_IDS[2], "2026-06-10T02:31:07+00:00",
                "quality gate held flight date 2026-06-07: [EDDH] 12 records without a departure airport",
                ["log", "email:ops@example.org"], ["webhook: 503"],
            )
        ],
    )  # fmt: skip


def _printed(render: object, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    render(console)  # type: ignore[operator]
    return console.export_text().splitlines()


def test_status_at_80_columns_fits_and_shows_every_run_id_whole() -> None:
    lines = _printed(lambda console: render_status(_report(), console), 80)

    assert max(len(line) for line in lines) <= 80 and not any("…" in line for line in lines)
    assert all(any(run_id in line for line in lines) for run_id in RUN_IDS)
    assert any("failed quality" in line for line in lines) and any("(day complete)" in line for line in lines)


def test_status_on_a_wide_terminal_keeps_a_day_on_one_line() -> None:
    lines = _printed(lambda console: render_status(_report(), console), 160)

    day = next(line for line in lines if "2026-06-08" in line)
    assert RUN_IDS[1] in day and "reprocess" in day and "(day complete)" in day and "31.5 s" in day


def test_status_at_80_columns_prints_each_alert_as_a_block_with_its_summary_as_written() -> None:
    lines = _printed(lambda console: render_status(_report(), console), 80)

    block = lines[lines.index("recent alerts") + 1 :]
    assert block[0] == "2026-06-10T02:31:07+00:00  quality  2026-06-07"
    assert " ".join(" ".join(block[1:]).split()) == (
        "quality gate held flight date 2026-06-07: [EDDH] 12 records without a departure airport "
        "delivered to: log, email:ops@example.org failed: webhook: 503"
    )


def _warehouse() -> WarehouseStatus:
    loaded_at = dt.datetime(2026, 6, 10, 2, 31, 40, tzinfo=dt.UTC)
    return WarehouseStatus(
        url="duckdb:///flightpipe-data/warehouse.duckdb",
        engine="duckdb",
        initialised=True,
        tables={"fact_flights": 123456, "flight_codeshares": 65432},
        views={"airport_movements": True},
        dates=[
            DateStatus(dt.date(2026, 6, 8), 61234, "rebuild-20260610T023140Z", loaded_at),
            DateStatus(dt.date(2026, 6, 9), 62222, RUN_IDS[0], loaded_at),
        ],
    )


@pytest.mark.parametrize("width", [60, 80])
def test_warehouse_status_fits_narrow_terminals_and_shows_every_run_id_whole(width: int) -> None:
    lines = _printed(lambda console: render_warehouse_status(_warehouse(), console), width)

    assert max(len(line) for line in lines) <= width and not any("…" in line for line in lines)
    assert any(RUN_IDS[0] in line for line in lines) and any("rebuild-20260610T023140Z" in line for line in lines)
    assert any("2026-06-10 02:31:40" in line for line in lines)
