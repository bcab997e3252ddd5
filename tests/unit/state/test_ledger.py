"""The run history as the runner, scheduler and CLI use it: a thin layer over the one store."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope
from flightpipe.state.ledger import Ledger
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 1)


def test_the_ledger_is_a_context_manager_that_closes_its_connection(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.runs() == []
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        ledger.runs()


def test_what_the_ledger_records_the_store_reads(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    partition = Partition(Scope.BOARD, DAY, "EDDF", "departures")
    with Ledger(path) as ledger:
        ledger.start_run(
            "r1", kind="run", day=DAY, airports=["EDDF"], boards=["departures"], source="simulated", simulated=True
        )
        step = ledger.start_step("r1", "collect", "EDDF/departures")
        ledger.finish_step(step, "succeeded", duration_s=0.5, records_out=42)
        ledger.record_quality(
            "r1",
            [
                RuleResult("volume_band", Level.WARN, Outcome.PASS, "ok", counts={"records": 42}).at(
                    partition, Kind.DATASET
                )
            ],
            dt.datetime(2026, 6, 2, tzinfo=dt.UTC),
        )
        ledger.finish_run("r1", "succeeded", summary={"rows_loaded": 42})
    with StateStore.open(path) as state:
        run = state.runs.find("r1")
        assert run is not None and run.state == "succeeded"
        assert [s.records_out for s in state.steps.of_run("r1")] == [42]
        assert state.quality.volume_history("EDDF", "departures", [DAY]) == {DAY: 42.0}


def test_the_ledger_reads_what_the_store_records(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with StateStore.open(path) as state:
        state.runs.start(
            "r1", kind="run", day=DAY, airports=["EDDF"], boards=["departures"], source="simulated", simulated=True
        )
        state.runs.finish("r1", "succeeded", summary={})
    with Ledger(path) as ledger:
        assert [r.run_id for r in ledger.runs()] == ["r1"]
        assert ledger.is_day_complete(DAY, ["EDDF"], ["departures"])
        assert ledger.steps("r1") == [] and ledger.quality_results(run_id="r1") == []
