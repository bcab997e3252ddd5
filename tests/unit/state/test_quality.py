"""Quality results: what a run stored, the latest per board, the volume history and overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightpipe.core.redact import register_secret
from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope
from flightpipe.quality.history import QualityHistory
from flightpipe.state.quality import QualityResults
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 9)
CHECKED = dt.datetime(2026, 6, 10, 3, 0, tzinfo=dt.UTC)
EDDF_DEP = Partition(Scope.BOARD, DAY, "EDDF", "departures")
EDDF_DEP_BEFORE = Partition(Scope.BOARD, DAY - dt.timedelta(days=1), "EDDF", "departures")
FLIGHT_DATE = Partition(Scope.FLIGHT_DATE, DAY)


def result(rule: str, partition: Partition, outcome: Outcome = Outcome.PASS, **counts: float) -> RuleResult:
    return RuleResult(rule, Level.FAIL, outcome, f"{rule} {outcome}", counts=dict(counts)).at(partition, Kind.DATASET)


@pytest.fixture
def quality(tmp_path: Path) -> Iterator[QualityResults]:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        yield state.quality


def test_the_quality_table_is_a_quality_history(quality: QualityResults) -> None:
    history: QualityHistory = quality
    assert history.latest_board_results([DAY]) == []


def test_a_run_storing_a_partition_again_replaces_only_its_own_results_of_it(quality: QualityResults) -> None:
    quality.record_quality("r1", [result("volume_band", EDDF_DEP, records=10)], CHECKED)
    quality.record_quality("r2", [result("volume_band", EDDF_DEP, records=20)], CHECKED)
    quality.record_quality("r1", [result("volume_band", EDDF_DEP, records=11)], CHECKED)
    assert sorted((s.run_id, s.result.counts["records"]) for s in quality.stored(day=DAY)) == [("r1", 11), ("r2", 20)]


def test_stored_results_are_found_by_run_and_by_day(quality: QualityResults) -> None:
    quality.record_quality("r1", [result("volume_band", EDDF_DEP), result("duplicates", FLIGHT_DATE)], CHECKED)
    quality.record_quality("r2", [result("volume_band", EDDF_DEP_BEFORE)], CHECKED)
    assert [s.result.rule for s in quality.stored(run_id="r1")] == ["volume_band", "duplicates"]
    assert [s.run_id for s in quality.stored(day=DAY)] == ["r1", "r1"]
    assert [s.run_id for s in quality.stored(run_id="r2", day=DAY)] == []
    [stored] = quality.stored(run_id="r2")
    assert (stored.checked_at, stored.result.partition) == (
        "2026-06-10T03:00:00.000+00:00",
        EDDF_DEP_BEFORE,
    )


def test_messages_are_stored_with_secrets_redacted(quality: QualityResults) -> None:
    register_secret("sk-quality-987654")
    leaky = RuleResult("volume_band", Level.FAIL, Outcome.FAIL, "key sk-quality-987654 failed").at(
        EDDF_DEP, Kind.DATASET
    )
    quality.record_quality("r1", [leaky], CHECKED)
    assert [s.result.message for s in quality.stored()] == ["key ***REDACTED*** failed"]


def test_an_override_marks_the_stored_fails_once_with_the_first_overriding_run(quality: QualityResults) -> None:
    quality.record_quality(
        "r1", [result("volume_band", EDDF_DEP, Outcome.FAIL), result("duplicates", EDDF_DEP)], CHECKED
    )
    quality.mark_overridden([result("volume_band", EDDF_DEP, Outcome.FAIL)], "r2")
    quality.mark_overridden([result("volume_band", EDDF_DEP, Outcome.FAIL)], "r3")
    stored = {s.result.rule: s for s in quality.stored(run_id="r1")}
    assert (stored["volume_band"].result.overridden, stored["volume_band"].overridden_by) == (True, "r2")
    assert (stored["duplicates"].result.overridden, stored["duplicates"].overridden_by) == (False, None)


def _steps_of_latest_board_results(quality: QualityResults) -> int:
    """SQLite virtual-machine steps (in hundreds) the latest-results read of DAY takes."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    quality.db._con.set_progress_handler(count, 100)
    try:
        assert len(quality.latest_board_results([DAY])) == 1
    finally:
        quality.db._con.set_progress_handler(None, 100)
    return steps[0]


def test_reading_the_latest_board_results_of_a_day_costs_the_same_however_long_the_history(
    quality: QualityResults,
) -> None:
    quality.record_quality("r0", [result("volume_band", EDDF_DEP)], CHECKED)
    short = _steps_of_latest_board_results(quality)
    for days in range(1, 200):  # a history of 200 days, each checked for every airport and board
        day = DAY - dt.timedelta(days=days)
        partitions = [Partition(Scope.BOARD, day, a, b) for a in ("EDDF", "EDDM") for b in ("departures", "arrivals")]
        quality.record_quality(
            f"r{days}", [result(r, p) for p in partitions for r in ("volume_band", "nulls")], CHECKED
        )
    assert _steps_of_latest_board_results(quality) <= short + 2
