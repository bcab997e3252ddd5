"""The console's ledger queries: the day x airport x board grid, run filters, rules x days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope
from flightpipe.state.store import StateStore
from flightpipe.ui.ledger import NEVER_RUN, RunFilter, day_range, grid, latest_checks, quality_matrix, runs

D1, D2, D3 = dt.date(2026, 6, 7), dt.date(2026, 6, 8), dt.date(2026, 6, 9)
AIRPORTS, BOARDS = ["EDDH", "EDDM"], ["departures", "arrivals"]


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(tmp_path / "ledger.sqlite") as store:
        yield store


def _run(
    state: StateStore,
    run_id: str,
    day: dt.date,
    end: str,
    *,
    failed_collect: str | None = None,
    airports: list[str] = AIRPORTS,
    source: str = "simulated",
) -> None:
    state.runs.start(run_id, kind="run", day=day, airports=airports, boards=BOARDS, source=source, simulated=True)
    for airport in airports:
        for board in BOARDS:
            step = state.steps.start(run_id, "collect", f"{airport}/{board}")
            failed = failed_collect == f"{airport}/{board}"
            state.steps.finish(step, "failed" if failed else "succeeded", duration_s=0.1)
    state.runs.finish(run_id, end, summary={})


def _board_result(rule: str, outcome: Outcome, day: dt.date, airport: str, board: str) -> RuleResult:
    return RuleResult(
        rule,
        Level.FAIL,
        outcome,
        f"{rule} {outcome}",
        kind=Kind.DATASET,
        partition=Partition(Scope.BOARD, day, airport, board),
    )


def test_each_cell_takes_its_latest_run_narrowed_to_its_own_board(state: StateStore) -> None:
    _run(state, "r1", D1, "succeeded")
    _run(state, "r2", D2, "failed", failed_collect="EDDM/arrivals")
    _run(state, "r3", D3, "failed quality")
    state.quality.record_quality(
        "r3",
        [
            _board_result("volume_band", Outcome.FAIL, D3, "EDDH", "departures"),
            _board_result("volume_band", Outcome.PASS, D3, "EDDM", "departures"),
        ],
        dt.datetime(2026, 6, 10, tzinfo=dt.UTC),
    )
    cells = grid(state, [D3.isoformat(), D2.isoformat(), D1.isoformat(), "2026-06-06"], AIRPORTS, BOARDS)
    states = {key: cell.state for key, cell in cells.items()}
    assert states[(D1.isoformat(), "EDDH", "departures")] == "succeeded"
    assert states[(D2.isoformat(), "EDDM", "arrivals")] == "failed"
    assert states[(D2.isoformat(), "EDDH", "arrivals")] == "failed"  # the run failed; its board did not say why
    assert states[(D3.isoformat(), "EDDH", "departures")] == "failed quality"
    assert cells[(D3.isoformat(), "EDDH", "departures")].quality == "fail"
    assert cells[(D3.isoformat(), "EDDM", "departures")].quality == "pass"
    assert states[("2026-06-06", "EDDM", "arrivals")] == NEVER_RUN


def test_a_later_run_of_a_day_replaces_the_earlier_in_its_cells_only(state: StateStore) -> None:
    _run(state, "r1", D1, "failed")
    _run(state, "r2", D1, "succeeded", airports=["EDDH"])  # a rerun of one airport
    cells = grid(state, [D1.isoformat()], AIRPORTS, BOARDS)
    assert cells[(D1.isoformat(), "EDDH", "arrivals")].run_id == "r2"
    assert cells[(D1.isoformat(), "EDDM", "arrivals")].run_id == "r1"


def test_an_overridden_fail_does_not_colour_the_cell_failed_quality(state: StateStore) -> None:
    _run(state, "r1", D1, "succeeded")
    fail = _board_result("volume_band", Outcome.FAIL, D1, "EDDH", "departures")
    state.quality.record_quality("r1", [fail], dt.datetime(2026, 6, 8, tzinfo=dt.UTC))
    state.quality.mark_overridden([fail], "r1")
    cell = grid(state, [D1.isoformat()], AIRPORTS, BOARDS)[(D1.isoformat(), "EDDH", "departures")]
    assert (cell.state, cell.quality) == ("succeeded", "fail")


def test_runs_filter_by_day_state_and_source(state: StateStore) -> None:
    _run(state, "r1", D1, "succeeded")
    _run(state, "r2", D2, "failed", source="aviationstack")
    _run(state, "r3", D2, "succeeded")
    assert [r.run_id for r in runs(state, RunFilter())] == ["r3", "r2", "r1"]
    assert [r.run_id for r in runs(state, RunFilter(day=D2.isoformat()))] == ["r3", "r2"]
    assert [r.run_id for r in runs(state, RunFilter(state="failed"))] == ["r2"]
    assert [r.run_id for r in runs(state, RunFilter(source="simulated", day=D2.isoformat()))] == ["r3"]


def test_rules_by_day_show_the_worst_outcome_of_each_partitions_latest_check(state: StateStore) -> None:
    at = dt.datetime(2026, 6, 10, tzinfo=dt.UTC)
    state.quality.record_quality("r1", [_board_result("volume_band", Outcome.FAIL, D2, "EDDH", "departures")], at)
    state.quality.record_quality("r2", [_board_result("volume_band", Outcome.PASS, D2, "EDDH", "departures")], at)
    state.quality.record_quality(
        "r2",
        [
            _board_result("volume_band", Outcome.WARN, D2, "EDDM", "departures"),
            _board_result("null_share", Outcome.SKIP, D3, "EDDM", "arrivals"),
        ],
        at,
    )
    matrix = quality_matrix(state, day_range(D3, 3))
    assert matrix.days == [D3.isoformat(), D2.isoformat(), D1.isoformat()]
    assert matrix.cells == {("volume_band", D2.isoformat()): "warn", ("null_share", D3.isoformat()): "skip"}


def test_a_days_failures_are_those_of_each_partitions_latest_check(state: StateStore) -> None:
    at = dt.datetime(2026, 6, 10, tzinfo=dt.UTC)
    state.quality.record_quality(
        "r1",
        [
            _board_result("volume_band", Outcome.FAIL, D2, "EDDH", "departures"),
            _board_result("volume_band", Outcome.FAIL, D2, "EDDM", "departures"),
        ],
        at,
    )
    state.quality.record_quality("r2", [_board_result("volume_band", Outcome.PASS, D2, "EDDH", "departures")], at)
    latest = latest_checks(state.quality.stored(day=D2))
    assert [(s.run_id, s.result.partition.airport_icao if s.result.partition else None) for s in latest] == [
        ("r1", "EDDM"),
        ("r2", "EDDH"),
    ]
