"""A full disk under the ledger: a clean typed error, an alert anyway, the run recorded once space returns.

The full disk is injected (no tmpfs without root): the ledger's writes raise ``LedgerFull`` exactly where SQLite
would answer ``database or disk is full`` (``tests/unit/state/test_db.py`` proves that translation on a real
SQLite page limit)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from flightpipe.pipeline.runner import run_day
from flightpipe.state.alerts import SentAlerts
from flightpipe.state.db import LedgerFull
from flightpipe.state.runs import ABANDONED, Runs
from flightpipe.state.store import StateStore
from tests.helpers.simulated_store import SimulatedStores, run_clock

DAY = dt.date(2026, 6, 8)
FULL = "the ledger cannot be written (database or disk is full): free space on its disk"


def _full(*args: Any, **kwargs: Any) -> None:
    raise LedgerFull(FULL)


def test_a_ledger_that_cannot_record_the_end_of_a_run_is_a_clean_error_and_the_run_failed_alert_still_goes_out(
    tmp_path: Path, simulated_stores: SimulatedStores, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = simulated_stores.copy(tmp_path / "data", ("EDDH",), (DAY,))
    monkeypatch.setattr(Runs, "finish", _full)
    monkeypatch.setattr(SentAlerts, "claim", _full)
    with caplog.at_level(logging.ERROR, logger="flightpipe.alerts"), pytest.raises(LedgerFull, match="free space"):
        run_day(settings, DAY, clock=lambda: run_clock(DAY) + dt.timedelta(hours=1))
    alerts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("flightpipe.run.failed")]
    assert len(alerts) == 1 and "failed" in alerts[0]
    monkeypatch.undo()  # space is back: the next start records the run that could not finish
    with StateStore.open(settings.paths().ledger) as state:
        assert state.runs.mark_abandoned() == 0  # this process is alive: its run is left to it ...
    with StateStore.open(settings.paths().ledger) as state:
        state.db.write("UPDATE runs SET pid = 999999999 WHERE state = 'running'")  # ... a dead one's is not
        assert state.runs.mark_abandoned() == 1
        assert [r.state for r in state.runs.recent(day=DAY)][0] == ABANDONED
