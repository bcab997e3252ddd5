"""StoredQualityHistory: the quality/ JSON read back as the ledger answers, for runtimes without a ledger."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from flightpipe.core.layout import quality_override_key
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope
from flightpipe.quality.gate import decide
from flightpipe.quality.history import QualityHistory, StoredQualityHistory
from flightpipe.quality.results import write_json
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 9)
CHECKED = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)
# Run ids begin with their start time, so they sort by it.
R1, R2, R3 = "20260610T060000Z-aaaaaa", "20260610T070000Z-bbbbbb", "20260610T080000Z-cccccc"
EDDF_DEP = Partition(Scope.BOARD, DAY, "EDDF", "departures")
EDDH_ARR = Partition(Scope.BOARD, DAY, "EDDH", "arrivals")

#: Stores one run's results and returns a history that reads them (fresh, as the next run would).
Recorder = Callable[[str, list[RuleResult]], QualityHistory]


def result(rule: str, partition: Partition, outcome: Outcome = Outcome.PASS, **counts: float) -> RuleResult:
    return RuleResult(rule, Level.FAIL, outcome, f"{rule} {outcome}", counts=dict(counts)).at(partition, Kind.DATASET)


@pytest.fixture(params=["ledger", "json"])
def record(request: pytest.FixtureRequest, tmp_path: Path) -> Recorder:
    """Each behaviour below holds for the ledger and for the JSON store alike."""
    store = ObjectStore(str(tmp_path / "data"))
    state = StateStore.open(tmp_path / "ledger.sqlite")
    request.addfinalizer(state.close)

    def to_ledger(run_id: str, results: list[RuleResult]) -> QualityHistory:
        state.quality.record_quality(run_id, results, CHECKED)
        return state.quality

    def to_json(run_id: str, results: list[RuleResult]) -> QualityHistory:
        write_json(store, run_id, CHECKED, results, {})
        return StoredQualityHistory(store)

    return to_ledger if request.param == "ledger" else to_json


def test_the_latest_run_of_each_board_wins(record: Recorder) -> None:
    record(R1, [result("quarantine_share", EDDF_DEP, Outcome.FAIL), result("volume_band", EDDH_ARR)])
    history = record(R2, [result("quarantine_share", EDDF_DEP)])
    latest = history.latest_board_results([DAY])
    assert sorted((r.partition.label, r.rule, r.outcome) for r in latest if r.partition) == [
        ("EDDF departures 2026-06-09", "quarantine_share", Outcome.PASS),
        ("EDDH arrivals 2026-06-09", "volume_band", Outcome.PASS),
    ]
    assert history.latest_board_results([DAY + dt.timedelta(days=1)]) == []


def test_volume_history_is_the_latest_measured_count_per_date_of_that_board(record: Recorder) -> None:
    week_ago, two_weeks_ago = DAY - dt.timedelta(weeks=1), DAY - dt.timedelta(weeks=2)
    at = {d: Partition(Scope.BOARD, d, "EDDF", "departures") for d in (week_ago, two_weeks_ago)}
    record(R1, [result("volume_band", at[week_ago], records=100), result("volume_band", at[two_weeks_ago], records=90)])
    record(R2, [result("volume_band", at[week_ago], records=120)])
    # A later run that measured nothing (not collected: skipped, no count) does not erase the measurement.
    other_board = Partition(Scope.BOARD, week_ago, "EDDF", "arrivals")
    history = record(
        R3, [result("volume_band", at[week_ago], Outcome.SKIP), result("volume_band", other_board, records=7)]
    )
    assert history.volume_history("EDDF", "departures", [week_ago, two_weeks_ago, DAY]) == {
        week_ago: 120.0,
        two_weeks_ago: 90.0,
    }


def test_an_override_marker_lets_a_later_decision_load_the_fails_it_covered(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path / "data"))
    failed = result("quarantine_share", EDDF_DEP, Outcome.FAIL)
    write_json(store, R1, CHECKED, [failed], {})
    StoredQualityHistory(store).mark_overridden([failed], by_run=R2)
    marker = json.loads(store.get(quality_override_key(DAY, R2)))
    assert marker["overrides"] == [
        {"rule": "quarantine_share", "partition": EDDF_DEP.as_dict(), "run_id": R1},
    ]
    later = StoredQualityHistory(store).latest_board_results([DAY])
    assert [(r.rule, r.overridden) for r in later] == [("quarantine_share", True)]
    assert decide([DAY], later, [], allow_failures=False).hold_for(DAY) is None


def test_an_override_does_not_cover_a_later_runs_fail(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path / "data"))
    failed = result("quarantine_share", EDDF_DEP, Outcome.FAIL)
    write_json(store, R1, CHECKED, [failed], {})
    StoredQualityHistory(store).mark_overridden([failed], by_run=R2)
    write_json(store, R3, CHECKED, [failed], {})  # collected again, broken again
    later = StoredQualityHistory(store).latest_board_results([DAY])
    hold = decide([DAY], later, [], allow_failures=False).hold_for(DAY)
    assert hold is not None and hold.dep_airports == frozenset({"EDDF"})


def test_the_results_files_stay_as_their_runs_wrote_them(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path / "data"))
    failed = result("quarantine_share", EDDF_DEP, Outcome.FAIL)
    (key,) = write_json(store, R1, CHECKED, [failed], {})
    before = store.get(key)
    StoredQualityHistory(store).mark_overridden([failed], by_run=R2)
    assert store.get(key) == before
