"""The quality gate in runs: what it holds, what it lets through, how it is recorded and overridden."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import QualityGateFailed
from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.runner import run_day
from flightpipe.pipeline.warehouse import connect_warehouse
from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope
from flightpipe.quality.gate import decide, feeds
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.simulated.defects import DefectSettings
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.stages.process import read_partition
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 9)
AFTER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


class _Source:
    """The simulation, with defects at one airport only."""

    name, format = "simulated", "aviationstack"

    def __init__(self, bad: str | None = None, scale: float = 1.0, **defects: float) -> None:
        self.good = SimulatedSource(seed=1, scale=scale)
        self.bad = SimulatedSource(seed=1, scale=scale, defects=DefectSettings(**defects))
        self.bad_icao = bad

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        source = self.bad if icao == self.bad_icao else self.good
        return source.fetch_board(icao, day, board, as_of=as_of)


def _settings(tmp_path: Path, airports: str = "EDDH,EDDL") -> Settings:
    return load_settings(data_dir=str(tmp_path / "data"), airports=airports)


def _clock(when: dt.datetime = AFTER) -> Any:
    return lambda: when


def _warehouse_rows(settings: Settings, flight_date: dt.date) -> dict[tuple[str, str], tuple[Any, ...]]:
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    rows = con.execute(
        "SELECT flight_iata, dep_airport_icao, arr_airport_icao, status, run_id FROM fact_flights"
        " WHERE flight_date = ?",
        [flight_date],
    ).fetchall()
    con.close()
    return {(r[0], r[1]): r for r in rows}


def _touches(row: tuple[Any, ...], airport: str) -> bool:
    return bool(row[1] == airport or row[2] == airport)


@pytest.mark.slow
def test_one_bad_airport_is_held_and_the_others_load(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    summary = run_day(settings, DAY, clock=_clock(), source=_Source("EDDL", missing_key=0.3))
    assert summary.state == "failed quality"
    processed = read_partition(ObjectStore(settings.data_dir), DAY).to_pylist()
    expected = {
        (r["flight_iata"], r["dep_airport_icao"])
        for r in processed
        if "EDDL" not in (r["dep_airport_icao"], r["arr_airport_icao"])
    }
    loaded = _warehouse_rows(settings, DAY)
    assert set(loaded) == expected and len(expected) > 100
    assert not any(_touches(row, "EDDL") for row in loaded.values())
    assert any(r["dep_airport_icao"] == "EDDL" for r in processed)  # the held rows exist, just not loaded
    assert any("held flights departing EDDL, flights arriving at EDDL" in line for line in summary.held)
    gate = json.loads(ObjectStore(settings.data_dir).get(f"quality/{DAY}/flight-date-{summary.run_id}.json"))["gate"]
    assert (gate["held_departures_of"], gate["held_arrivals_at"], gate["whole_date"]) == (["EDDL"], ["EDDL"], False)


@pytest.mark.slow
def test_a_held_flight_date_is_a_failed_gate_step_with_quality_gate_failed(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    summary = run_day(settings, DAY, clock=_clock(), source=_Source("EDDL", missing_key=0.3))
    state = StateStore.open(settings.resolved_ledger_path())
    gates = [s for s in state.steps.of_run(summary.run_id) if s.stage == "gate"]
    assert gates and all(s.state == "failed" and (s.error or "").startswith("QualityGateFailed: ") for s in gates)
    run = state.runs.recent()[0]
    assert run.state == "failed quality" and "QualityGateFailed" in (run.error or "")
    assert not state.runs.is_day_complete(DAY, settings.airports, ["departures", "arrivals"])


@pytest.mark.slow
def test_held_rows_keep_what_the_warehouse_had(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = run_day(settings, DAY, clock=_clock(), source=_Source())
    before = _warehouse_rows(settings, DAY)
    second = run_day(
        settings, DAY, clock=_clock(AFTER + dt.timedelta(hours=3)), source=_Source("EDDL", missing_key=0.3)
    )
    after = _warehouse_rows(settings, DAY)
    assert (first.state, second.state) == ("succeeded", "failed quality")
    assert {k: r for k, r in after.items() if _touches(r, "EDDL")} == {
        k: r for k, r in before.items() if _touches(r, "EDDL")
    }  # held: the first run's rows, lineage included
    fresh = [r for r in after.values() if not _touches(r, "EDDL")]
    assert fresh and all(r[4] == second.run_id for r in fresh)


@pytest.mark.slow
def test_on_postgresql_held_rows_keep_what_the_warehouse_had_and_results_reach_quality_results(
    tmp_path: Path, postgres_database: str
) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH,EDDL", warehouse=postgres_database)

    def rows() -> dict[tuple[str, str], tuple[Any, ...]]:
        warehouse = connect_warehouse(settings, read_only=True)
        try:
            found = warehouse.query(
                "SELECT flight_iata, dep_airport_icao, arr_airport_icao, status, run_id FROM fact_flights"
                f" WHERE flight_date = DATE '{DAY}'"
            )
            stored = warehouse.query("SELECT run_id, count(*) FROM quality_results GROUP BY run_id ORDER BY run_id")
        finally:
            warehouse.close()
        return {**{(r[0], r[1]): r for r in found}, **{("quality_results", str(r[0])): r for r in stored}}

    first = run_day(settings, DAY, clock=_clock(), source=_Source())
    before = rows()
    second = run_day(
        settings, DAY, clock=_clock(AFTER + dt.timedelta(hours=3)), source=_Source("EDDL", missing_key=0.3)
    )
    after = rows()
    assert (first.state, second.state) == ("succeeded", "failed quality")
    held = {k: r for k, r in after.items() if k[0] != "quality_results" and _touches(r, "EDDL")}
    assert held and held == {k: r for k, r in before.items() if k[0] != "quality_results" and _touches(r, "EDDL")}
    fresh = [r for k, r in after.items() if k[0] != "quality_results" and not _touches(r, "EDDL")]
    assert fresh and all(r[4] == second.run_id for r in fresh)
    state = StateStore.open(settings.resolved_ledger_path())
    assert after[("quality_results", second.run_id)][1] == len(state.quality.stored(run_id=second.run_id))
    assert after[("quality_results", first.run_id)][1] == len(state.quality.stored(run_id=first.run_id))


@pytest.mark.slow
def test_allow_quality_failures_loads_everything_and_records_the_override(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    summary = run_day(
        settings, DAY, clock=_clock(), source=_Source("EDDL", missing_key=0.3), allow_quality_failures=True
    )
    assert summary.state == "succeeded" and summary.held == [] and summary.quality_overridden
    processed = read_partition(ObjectStore(settings.data_dir), DAY)
    assert len(_warehouse_rows(settings, DAY)) == processed.num_rows
    state = StateStore.open(settings.resolved_ledger_path())
    fails = [s for s in state.quality.stored(run_id=summary.run_id) if s.result.outcome is Outcome.FAIL]
    assert fails and all(s.result.overridden and s.overridden_by == summary.run_id for s in fails)
    override = [s for s in state.steps.of_run(summary.run_id) if s.stage == "gate"]
    assert [(s.target, s.state) for s in override] == [("override", "succeeded")]
    assert override[0].detail["overridden"] == summary.quality_overridden


@pytest.mark.slow
def test_an_override_is_for_the_failures_it_saw_not_for_later_ones(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    run_day(settings, DAY, clock=_clock(), source=_Source("EDDL", missing_key=0.3), allow_quality_failures=True)
    # The next day touches flight date DAY again (its arrivals board): the accepted failures do not hold it ...
    next_day = run_day(settings, DAY + dt.timedelta(days=1), clock=_clock(), source=_Source())
    assert next_day.state == "succeeded"
    # ... but new failures do, without an override.
    again = run_day(settings, DAY, clock=_clock(AFTER + dt.timedelta(hours=1)), source=_Source("EDDL", missing_key=0.3))
    assert again.state == "failed quality"


@pytest.mark.slow
def test_a_clean_recollection_lifts_the_hold(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    run_day(settings, DAY, clock=_clock(), source=_Source("EDDL", missing_key=0.3))
    summary = run_day(settings, DAY, clock=_clock(AFTER + dt.timedelta(hours=1)), source=_Source())
    assert summary.state == "succeeded"
    assert any(_touches(r, "EDDL") for r in _warehouse_rows(settings, DAY).values())


def test_a_failing_flight_date_rule_holds_the_whole_date_and_the_other_dates_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flightpipe.pipeline import quality as stage

    real = stage.check_flight_date

    def failing_on_day(store: ObjectStore, configs: Any, flight_date: dt.date, processed: Any = None) -> Any:
        results = real(store, configs, flight_date, processed)
        if flight_date != DAY:
            return results
        broken = RuleResult("null_share", Level.FAIL, Outcome.FAIL, "status is null in 50.0% of 10 rows")
        return [broken.at(Partition(Scope.FLIGHT_DATE, DAY), Kind.DATASET)]

    monkeypatch.setattr(stage, "check_flight_date", failing_on_day)
    settings = _settings(tmp_path, "EDDH")
    summary = run_day(settings, DAY, clock=_clock(), source=_Source())
    assert summary.state == "failed quality"
    assert _warehouse_rows(settings, DAY) == {}
    assert _warehouse_rows(settings, DAY - dt.timedelta(days=1))  # the overnight arrivals' flight date loaded
    assert summary.held == [
        "flight date 2026-06-09: held the whole flight date (flight date 2026-06-09 null_share: "
        "status is null in 50.0% of 10 rows)"
    ]


def test_results_are_stored_per_run_and_partition_in_ledger_json_and_warehouse(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "EDDH")
    summary = run_day(settings, DAY, clock=_clock(), source=_Source())
    state = StateStore.open(settings.resolved_ledger_path())
    stored = state.quality.stored(run_id=summary.run_id)
    boards = {(s.result.partition.airport_icao, s.result.partition.board) for s in stored if s.result.partition}
    assert {("EDDH", "departures"), ("EDDH", "arrivals"), (None, None)} == boards
    store = ObjectStore(settings.data_dir)
    body = json.loads(store.get(f"quality/{DAY}/board-EDDH-departures-{summary.run_id}.json"))
    assert body["run_id"] == summary.run_id and {r["rule"] for r in body["results"]} >= {"volume_band", "parse"}
    flight_date = json.loads(store.get(f"quality/{DAY}/flight-date-{summary.run_id}.json"))
    assert {r["rule"] for r in flight_date["results"]} == {"null_share", "dedup_report"}
    assert flight_date["gate"]["held"] is None
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    count = con.execute("SELECT count(*) FROM quality_results WHERE run_id = ?", [summary.run_id]).fetchone()
    con.close()
    assert count == (len(stored),)


@pytest.mark.slow
def test_volume_band_judges_against_earlier_runs_of_the_same_weekday(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "EDDH")
    for weeks in (3, 2, 1):
        earlier = run_day(settings, DAY - dt.timedelta(weeks=weeks), clock=_clock(), source=_Source(scale=0.3))
        assert earlier.state == "succeeded"
    summary = run_day(settings, DAY, clock=_clock(), source=_Source("EDDH", scale=0.3, volume_drop=1.0))
    assert summary.state == "failed quality"
    volume = [line for line in summary.quality_failures if "volume_band" in line]
    assert volume and "below the median" in volume[0] and "of the last 3 Tuesdays" in volume[0]


# --------------------------------------------------------------------------------------------- decide()


def _fail(rule: str, partition: Partition) -> RuleResult:
    return RuleResult(rule, Level.FAIL, Outcome.FAIL, "broken").at(partition, Kind.DATASET)


def test_a_departures_board_feeds_its_own_flight_date_and_an_arrivals_board_the_window() -> None:
    dep = _fail("volume_band", Partition(Scope.BOARD, DAY, "EDDF", "departures"))
    arr = _fail("volume_band", Partition(Scope.BOARD, DAY, "EDDF", "arrivals"))
    days = [DAY + dt.timedelta(days=d) for d in range(-3, 3)]
    assert [feeds(dep, d) for d in days] == [False, False, False, True, False, False]
    assert [feeds(arr, d) for d in days] == [False, True, True, True, True, False]


def test_decide_holds_the_failing_side_only_and_everything_with_a_flight_date_fail() -> None:
    board = _fail("quarantine_share", Partition(Scope.BOARD, DAY, "EDDL", "departures"))
    whole = _fail("null_share", Partition(Scope.FLIGHT_DATE, DAY + dt.timedelta(days=-1)))
    decision = decide([DAY - dt.timedelta(days=1), DAY], [board], [whole], allow_failures=False)
    held_day = decision.hold_for(DAY)
    assert held_day is not None and (held_day.whole, held_day.dep_airports, held_day.arr_airports) == (
        False,
        frozenset({"EDDL"}),
        frozenset(),
    )
    previous = decision.hold_for(DAY - dt.timedelta(days=1))
    assert previous is not None and previous.whole
    error = decision.error()
    assert isinstance(error, QualityGateFailed) and "held flights departing EDDL" in str(error)


def test_decide_with_allow_holds_nothing_and_lists_what_it_let_through() -> None:
    board = _fail("quarantine_share", Partition(Scope.BOARD, DAY, "EDDL", "departures"))
    decision = decide([DAY], [board], [], allow_failures=True)
    assert decision.hold_for(DAY) is None and decision.error() is None
    assert decision.overridden == [board]


def test_decide_ignores_warnings_skips_and_overridden_fails() -> None:
    part = Partition(Scope.BOARD, DAY, "EDDL", "departures")
    warned = RuleResult("duplicate_records", Level.WARN, Outcome.WARN, "x").at(part, Kind.DATASET)
    skipped = RuleResult("volume_band", Level.FAIL, Outcome.SKIP, "x").at(part, Kind.DATASET)
    quarantined = RuleResult("required_keys", Level.FAIL, Outcome.QUARANTINED, "x").at(part, Kind.RECORD)
    accepted = RuleResult("quarantine_share", Level.FAIL, Outcome.FAIL, "x", overridden=True).at(part, Kind.DATASET)
    decision = decide([DAY], [warned, skipped, quarantined, accepted], [], allow_failures=False)
    assert decision.hold_for(DAY) is None


def test_a_fail_of_this_runs_board_that_feeds_no_flight_date_is_unheld_and_fails_the_gate() -> None:
    # Every record of EBNM's departures quarantined: no row, so no flight date to hold, and yet a failed board.
    board = _fail("quarantine_share", Partition(Scope.BOARD, DAY, "EBNM", "departures"))
    decision = decide([], [board], [], allow_failures=False, own_board_results=[board])
    assert decision.holds == {} and decision.unheld == [board]
    error = decision.error()
    assert isinstance(error, QualityGateFailed)
    assert "quarantine_share: broken (no row of it to load)" in str(error)


def test_an_unheld_fail_is_overridden_when_failures_are_allowed() -> None:
    board = _fail("quarantine_share", Partition(Scope.BOARD, DAY, "EBNM", "departures"))
    decision = decide([], [board], [], allow_failures=True, own_board_results=[board])
    assert (decision.unheld, decision.overridden, decision.error()) == ([], [board], None)


def test_an_earlier_runs_fail_that_feeds_no_flight_date_is_not_this_runs_concern() -> None:
    earlier = _fail("quarantine_share", Partition(Scope.BOARD, DAY - dt.timedelta(days=5), "EDDL", "departures"))
    decision = decide([DAY], [earlier], [], allow_failures=False, own_board_results=[])
    assert decision.unheld == [] and decision.error() is None
