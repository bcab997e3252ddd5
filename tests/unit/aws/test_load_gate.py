"""The load Lambda fails a day whose board failed on quality even when that board fed no row to hold (every record
quarantined), as the local runner does: the gate's ``unheld`` fails reach the handler's error and metric."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flightpipe.aws.handlers.load import GatedLoad
from flightpipe.config import load_settings
from flightpipe.core.errors import QualityGateFailed
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.quality import RunQuality
from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope
from flightpipe.quality.history import StoredQualityHistory

DAY = dt.date(2023, 5, 28)


def test_a_board_fail_that_fed_no_row_fails_the_load_and_counts_as_a_quality_failure(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path / "bucket"))
    quality = RunQuality(load_settings(None), store, StoredQualityHistory(store), "run-1")
    board = Partition(Scope.BOARD, DAY, "EBNM", "departures")
    quality.board_results = [
        RuleResult("quarantine_share", Level.FAIL, Outcome.FAIL, "100% quarantined").at(board, Kind.DATASET)
    ]
    quality.decide([])  # no flight date: every record of the board went to quarantine
    outcome = GatedLoad("run-1", {}, quality)
    error = outcome.error()
    assert isinstance(error, QualityGateFailed)
    assert "EBNM departures 2023-05-28 quarantine_share: 100% quarantined (no row of it to load)" in str(error)
    assert outcome.quality_failures == 1
    assert outcome.as_dict()["quality"]["held"] == [
        "EBNM departures 2023-05-28 quarantine_share: 100% quarantined (no row of it to load)"
    ]
