"""What the daily run does at once or only once, to keep its overhead beyond the source small (issue 17): the
board checks run while process runs, and the report reads the warehouse through the load's connection."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.layout import processed_file
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline import runner
from flightpipe.pipeline.runner import run_day
from flightpipe.state.runs import SUCCEEDED
from flightpipe.state.store import StateStore
from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse

DAY = dt.date(2026, 6, 8)
AFTER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)
#: Long enough for a slow CI host to start the other thread; a run that does the two one after the other waits
#: this long once, then fails.
MEET_TIMEOUT_S = 10.0


def _settings(data_dir: Path) -> Settings:
    return load_settings(data_dir=str(data_dir), airports="EDDH", source={"scale": 0.3})


def test_a_daily_run_opens_the_warehouse_once_and_writes_its_report_through_that_connection(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bool] = []
    open_file = DuckDBWarehouse.__init__

    def counting(self: DuckDBWarehouse, path: Path, **kwargs: Any) -> None:
        opened.append(bool(kwargs.get("read_only")))
        open_file(self, path, **kwargs)

    monkeypatch.setattr(DuckDBWarehouse, "__init__", counting)

    summary = run_day(_settings(data_dir), DAY, clock=lambda: AFTER)

    assert summary.state == SUCCEEDED
    assert opened == [False]  # the load's; the report did not open the file again, read-only
    assert summary.report_error is None and summary.report_path is not None
    assert Path(summary.report_path).read_text(encoding="utf-8").count("EDDH") > 0


def test_the_board_checks_run_while_process_runs(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checking, processing = threading.Event(), threading.Event()
    met: dict[str, bool] = {}
    check_boards, process = runner.run_board_checks, runner.process_touched

    def board_checks(*args: Any, **kwargs: Any) -> Any:
        checking.set()
        met["checks saw process"] = processing.wait(MEET_TIMEOUT_S)
        return check_boards(*args, **kwargs)

    def process_touched(*args: Any, **kwargs: Any) -> Any:
        processing.set()
        met["process saw checks"] = checking.wait(MEET_TIMEOUT_S)
        return process(*args, **kwargs)

    monkeypatch.setattr(runner, "run_board_checks", board_checks)
    monkeypatch.setattr(runner, "process_touched", process_touched)

    summary = run_day(_settings(data_dir), DAY, clock=lambda: AFTER)

    assert met == {"checks saw process": True, "process saw checks": True}
    assert summary.state == SUCCEEDED
    assert any(step.startswith("quality boards") for step in _step_targets(data_dir, summary.run_id))


def test_a_board_check_that_fails_fails_the_run_once_process_is_done(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the board checks broke")

    monkeypatch.setattr(runner, "run_board_checks", broken)

    with pytest.raises(RuntimeError, match="the board checks broke"):
        run_day(_settings(data_dir), DAY, clock=lambda: AFTER)

    assert ObjectStore(str(data_dir)).exists(processed_file(DAY))  # process ran to its end beside it


def _step_targets(data_dir: Path, run_id: str) -> list[str]:
    state = StateStore.open(data_dir / "ledger.sqlite")
    try:
        return [f"{step.stage} {step.target}" for step in state.steps.of_run(run_id)]
    finally:
        state.close()
