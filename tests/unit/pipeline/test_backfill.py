"""Backfill: which days of a range run, which are skipped as complete, and when the quota is checked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import QuotaExceeded
from flightpipe.pipeline.backfill import collection_days, run_backfill
from flightpipe.pipeline.runner import RunSummary
from flightpipe.state.runs import FAILED, SUCCEEDED
from flightpipe.state.store import StateStore

D1, D2, D3, D4 = (dt.date(2026, 6, day) for day in (1, 2, 3, 4))
BOTH_BOARDS = ["departures", "arrivals"]


def Ran(state: str, day: dt.date = D1) -> RunSummary:  # noqa: N802 - reads as the outcome it stands for
    """A day's run that ended ``state`` without deferring to a range (a fake's outcome)."""
    return RunSummary(run_id=f"run-{day}", day=day, state=state, source="simulated", simulated=True, airports=[])


class Recorder:
    """A day's run that succeeds and remembers which days it was asked to run (and whether deferred)."""

    def __init__(self) -> None:
        self.days: list[dt.date] = []
        self.deferred: list[bool] = []

    def __call__(self, day: dt.date, *, defer: bool) -> RunSummary:
        self.days.append(day)
        self.deferred.append(defer)
        return Ran(SUCCEEDED, day)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=str(tmp_path / "data"), airports="EDDH,EDDF")


def _record(settings: Settings, day: dt.date, state: str, airports: list[str], boards: list[str]) -> None:
    with StateStore.open(settings.resolved_ledger_path()) as ledger:
        run_id = f"run-{day}-{state}-{len(airports)}-{len(boards)}"
        ledger.runs.start(
            run_id, kind="run", day=day, airports=airports, boards=boards, source="simulated", simulated=True
        )
        ledger.runs.finish(run_id, state, summary={})


@pytest.fixture
def ledger_history(settings: Settings) -> None:
    """D1 complete; D2 failed; D3 succeeded for one airport only; D4 never ran."""
    _record(settings, D1, SUCCEEDED, ["EDDH", "EDDF"], BOTH_BOARDS)
    _record(settings, D2, FAILED, ["EDDH", "EDDF"], BOTH_BOARDS)
    _record(settings, D3, SUCCEEDED, ["EDDH"], BOTH_BOARDS)


def test_collection_days_are_every_day_of_the_range_both_ends_included() -> None:
    assert collection_days(D1, D4) == [D1, D2, D3, D4]
    assert collection_days(D2, D2) == [D2]
    assert collection_days(D3, D1) == []


def test_only_days_a_succeeded_run_covered_for_every_airport_and_board_are_skipped(
    settings: Settings, ledger_history: None
) -> None:
    run, told_skipped = Recorder(), list[dt.date]()

    result = run_backfill(settings, [D1, D2, D3, D4], force=False, run=run, on_skip=told_skipped.append)

    assert (result.ran, result.failed, result.skipped) == ([D2, D3, D4], [], [D1])
    assert run.days == [D2, D3, D4] and told_skipped == [D1]


def test_force_runs_complete_days_again(settings: Settings, ledger_history: None) -> None:
    result = run_backfill(settings, [D1, D2], force=True, run=lambda day, defer: Ran(SUCCEEDED))

    assert (result.ran, result.failed, result.skipped) == ([D1, D2], [], [])


def test_a_day_whose_run_did_not_succeed_is_counted_failed_and_the_next_days_still_run(settings: Settings) -> None:
    states = {D1: "partial", D2: FAILED, D3: SUCCEEDED}

    result = run_backfill(settings, [D1, D2, D3], force=False, run=lambda day, defer: Ran(states[day], day))

    assert (result.ran, result.failed, result.skipped) == ([D1, D2, D3], [D1, D2], [])


def test_a_day_completed_while_the_backfill_runs_is_skipped_when_its_turn_comes(settings: Settings) -> None:
    def run_and_complete_the_next_day(day: dt.date, *, defer: bool) -> RunSummary:
        _record(settings, day + dt.timedelta(days=1), SUCCEEDED, ["EDDH", "EDDF"], BOTH_BOARDS)
        return Ran(SUCCEEDED)

    result = run_backfill(settings, [D1, D2], force=False, run=run_and_complete_the_next_day)

    assert (result.ran, result.failed, result.skipped) == ([D1], [], [D2])


def test_a_backfill_over_the_monthly_budget_is_refused_before_any_day_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY", "k" * 32)
    monkeypatch.setenv("FLIGHTPIPE__SOURCES__AVIATIONSTACK__MONTHLY_BUDGET", "3")
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH", source={"type": "aviationstack"})
    run = Recorder()

    with pytest.raises(QuotaExceeded, match="refusing to start"):
        run_backfill(settings, [D1, D2], force=False, run=run)

    assert run.days == []


def test_the_quota_counts_only_the_days_that_will_run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[list[dt.date]] = []
    monkeypatch.setattr("flightpipe.pipeline.backfill.ensure_quota", lambda s, days: checked.append(list(days)))
    _record(settings, D1, SUCCEEDED, ["EDDH", "EDDF"], BOTH_BOARDS)

    run_backfill(settings, [D1, D2], force=False, run=lambda day, defer: Ran(SUCCEEDED))

    assert checked == [[D2]]


def test_a_day_another_run_holds_is_reported_busy_and_the_later_days_still_run(settings: Settings) -> None:
    from flightpipe.core.errors import LockBusy

    ran: list[dt.date] = []

    def run(day: dt.date, *, defer: bool) -> RunSummary:
        if day == D2:
            raise LockBusy("a run of 2026-06-02 is in progress")
        ran.append(day)
        return Ran(SUCCEEDED)

    result = run_backfill(settings, [D1, D2, D3], force=False, run=run)
    assert ran == [D1, D3]
    assert (result.ran, result.failed, result.busy) == ([D1, D3], [], [(D2, "a run of 2026-06-02 is in progress")])
