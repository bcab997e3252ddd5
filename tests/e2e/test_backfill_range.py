"""A backfill of several days as a range (issue 17): each day collected, transformed and checked on its own, then
every flight date of the range processed, checked and loaded once and the report written once; the warehouse is
the one a day-by-day backfill leaves, and a range interrupted after its days were collected is finished without
collecting them again."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import ProcessError
from flightpipe.core.layout import Board
from flightpipe.pipeline.backfill import BackfillResult, DayRun, collection_days, run_backfill
from flightpipe.pipeline.runner import RunSummary, run_day
from flightpipe.pipeline.scheduler import Scheduler
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.simulated.defects import DefectSettings
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.state.runs import COLLECTED, SUCCEEDED
from tests.helpers.cli_process import flightpipe
from tests.helpers.warehouse_snapshot import warehouse_snapshot

D1, D3 = dt.date(2026, 6, 8), dt.date(2026, 6, 10)
DAYS = collection_days(D1, D3)
AFTER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


def _settings(data_dir: Path) -> Settings:
    return load_settings(data_dir=str(data_dir), airports="EDDH", source={"scale": 0.3})


def _day_run(settings: Settings) -> DayRun:
    def run(day: dt.date, *, defer: bool) -> RunSummary:
        return run_day(settings, day, kind="backfill", clock=lambda: AFTER, defer=defer)

    return run


def _not_collected(day: dt.date, *, defer: bool) -> RunSummary:
    raise AssertionError(f"{day} was collected again")


def _ledger(settings: Settings, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(settings.resolved_ledger_path()) as ledger:
        return ledger.execute(query).fetchall()


def _partitions(root: Path) -> dict[str, pa.Table]:
    """Every processed partition, without its lineage's run id (the id of whichever run wrote it)."""
    return {
        str(p.relative_to(root)): pq.read_table(p).drop_columns(["run_id"]) for p in sorted(root.rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def day_by_day(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The three days run one after the other, each whole (process, load, report), as before ranges."""
    settings = _settings(tmp_path_factory.mktemp("day-by-day"))
    for day in DAYS:
        assert run_day(settings, day, kind="backfill", clock=lambda: AFTER).state == SUCCEEDED
    return settings


@pytest.fixture(scope="module")
def ranged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, BackfillResult]:
    settings = _settings(tmp_path_factory.mktemp("range"))
    return settings, run_backfill(settings, DAYS, force=False, run=_day_run(settings))


@pytest.mark.slow
def test_a_backfill_range_leaves_the_warehouse_and_partitions_a_day_by_day_backfill_leaves(
    day_by_day: Settings, ranged: tuple[Settings, BackfillResult]
) -> None:
    settings, _ = ranged

    assert warehouse_snapshot(settings) == warehouse_snapshot(day_by_day)
    ranged_partitions = _partitions(Path(settings.data_dir, "processed"))
    day_by_day_partitions = _partitions(Path(day_by_day.data_dir, "processed"))
    assert ranged_partitions.keys() == day_by_day_partitions.keys()
    assert all(ranged_partitions[name].equals(day_by_day_partitions[name]) for name in ranged_partitions)


@pytest.mark.slow
def test_a_backfill_range_processes_and_loads_each_flight_date_once_and_writes_one_report(
    day_by_day: Settings, ranged: tuple[Settings, BackfillResult]
) -> None:
    settings, _ = ranged
    per_date = "SELECT target, count(*) FROM steps WHERE stage = 'load' AND target LIKE '2026-%' GROUP BY target"

    assert _ledger(settings, per_date) == [("2026-06-07", 1), ("2026-06-08", 1), ("2026-06-09", 1), ("2026-06-10", 1)]
    # Day by day, each day's run loaded the date before again (its arrivals touch it).
    assert _ledger(day_by_day, per_date) == [("2026-06-07", 1), ("2026-06-08", 2), ("2026-06-09", 2), ("2026-06-10", 1)]
    assert sorted(p.name for p in Path(settings.data_dir, "reports").glob("*.html")) == ["2026-06-10.html"]


@pytest.mark.slow
def test_the_days_of_a_range_are_settled_succeeded_by_the_range_run_which_completes_no_day_itself(
    ranged: tuple[Settings, BackfillResult],
) -> None:
    settings, result = ranged

    runs = _ledger(settings, "SELECT kind, day, boards, state FROM runs ORDER BY kind, day")
    assert runs == [
        ("backfill", "2026-06-08", "departures,arrivals", "succeeded"),
        ("backfill", "2026-06-09", "departures,arrivals", "succeeded"),
        ("backfill", "2026-06-10", "departures,arrivals", "succeeded"),
        ("range", "2026-06-08", "", "succeeded"),
    ]
    summaries = result.summaries
    assert result.range is not None and [s.range_run_id for s in summaries] == [result.range.run_id] * 3
    assert sum(s.rows_loaded for s in summaries) == len(warehouse_snapshot(settings)["fact_flights"])


@pytest.mark.slow
def test_a_failed_range_step_leaves_its_days_collected_and_the_next_backfill_finishes_them_without_collecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, day_by_day: Settings
) -> None:
    settings = _settings(tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise ProcessError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr("flightpipe.pipeline.range_flow.process_range", broken)
        failed = run_backfill(settings, DAYS, force=False, run=_day_run(settings))
    again = run_backfill(settings, DAYS, force=False, run=_not_collected)

    assert failed.range is not None and failed.range.state == "failed" and "disk full" in str(failed.range.error)
    assert [s.state for s in failed.summaries] == [COLLECTED] * 3 and failed.failed == DAYS
    assert (again.resumed, again.failed, again.ran) == (DAYS, [], [])
    assert [s.state for s in again.summaries] == [SUCCEEDED] * 3
    assert warehouse_snapshot(settings) == warehouse_snapshot(day_by_day)


@pytest.mark.slow
def test_a_backfill_killed_after_collecting_its_days_finishes_them_when_run_again_without_collecting(
    tmp_path: Path,
) -> None:
    (tmp_path / "flightpipe.toml").write_text(
        'data_dir = "data"\nairports = ["EDDH"]\n\n[source]\ntype = "simulated"\nscale = 0.3\n'
    )
    args = ("backfill", "--start", "2026-06-08", "--end", "2026-06-09")

    killed = flightpipe(*args, cwd=tmp_path, env={"FLIGHTPIPE_FAILPOINTS": "backfill.before_range"})
    settings = load_settings(data_dir=str(tmp_path / "data"))
    collects = "SELECT count(*) FROM steps WHERE stage = 'collect'"
    collected, left = _ledger(settings, collects), _ledger(settings, "SELECT state FROM runs WHERE kind = 'backfill'")
    again = flightpipe(*args, cwd=tmp_path)

    assert killed.returncode == -9, killed.stderr
    assert left == [(COLLECTED,), (COLLECTED,)]
    assert again.returncode == 0, again.stderr
    assert "finished 2 day(s) an interrupted backfill had collected, without collecting them again" in again.stdout
    assert _ledger(settings, collects) == collected
    assert _ledger(settings, "SELECT state FROM runs WHERE kind = 'backfill'") == [(SUCCEEDED,), (SUCCEEDED,)]


@pytest.mark.slow
def test_the_schedulers_catch_up_of_several_days_is_one_range(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=str(tmp_path), airports="EDDH", source={"scale": 0.3}, schedule={"catch_up_days": 2}
    )
    scheduler = Scheduler(settings, clock=lambda: dt.datetime(2026, 6, 11, 3, 0, tzinfo=dt.UTC))

    done = scheduler.run_due()

    assert done == [(day, SUCCEEDED) for day in DAYS]
    assert _ledger(settings, "SELECT kind, state FROM runs ORDER BY kind, day") == [
        ("catch-up", SUCCEEDED),
        ("catch-up", SUCCEEDED),
        ("range", SUCCEEDED),
        ("schedule", SUCCEEDED),
    ]


class _BadDay:
    """The simulation, with a third of the records missing a key on one collection day only."""

    name, format = "simulated", "aviationstack"

    def __init__(self, bad_day: dt.date) -> None:
        self.good = SimulatedSource(seed=1, scale=0.3)
        self.bad = SimulatedSource(seed=1, scale=0.3, defects=DefectSettings(missing_key=0.3))
        self.bad_day = bad_day

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        return (self.bad if day == self.bad_day else self.good).fetch_board(icao, day, board, as_of=as_of)


@pytest.mark.slow
def test_a_hold_in_a_range_fails_the_days_whose_flight_date_or_boards_it_concerns_and_no_other(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    source = _BadDay(DAYS[0])

    def run(day: dt.date, *, defer: bool) -> RunSummary:
        return run_day(settings, day, kind="backfill", clock=lambda: AFTER, defer=defer, source=source)

    result = run_backfill(settings, DAYS, force=False, run=run)

    states = {s.day: s.state for s in result.summaries}
    assert states == {DAYS[0]: "failed quality", DAYS[1]: "failed quality", DAYS[2]: SUCCEEDED}
    held = {s.day: s.held for s in result.summaries}
    assert [line.split(":")[0] for line in held[DAYS[0]]] == [
        "flight date 2026-06-08",
        "flight date 2026-06-09",  # the date after: held because of 06-08's own arrivals board
    ]
    assert [line.split(":")[0] for line in held[DAYS[1]]] == ["flight date 2026-06-09"]  # its own date
    assert result.range is not None and result.range.state == "failed quality"


def test_a_days_boards_are_transformed_in_one_vectorised_pass_with_a_step_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)

    def one_at_a_time(*args: object, **kwargs: object) -> None:
        raise AssertionError("a range's day transformed a file on its own")

    monkeypatch.setattr("flightpipe.pipeline.transform.transform_raw_object", one_at_a_time)
    summary = run_day(settings, D1, kind="backfill", clock=lambda: AFTER, defer=True)

    steps = _ledger(settings, "SELECT target, state, records_in FROM steps WHERE stage = 'transform' ORDER BY 1")
    assert summary.state == COLLECTED and summary.rows_transformed == summary.records_collected > 0
    assert [(target.split("/")[:2], state) for target, state, _ in steps] == [
        (["EDDH", "arrivals"], SUCCEEDED),
        (["EDDH", "departures"], SUCCEEDED),
    ]
    assert sum(records for _, _, records in steps) == summary.records_collected


def test_a_vectorised_pass_that_raises_is_done_again_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)

    def store_refuses(*args: object, **kwargs: object) -> None:
        raise OSError("a store that answers every file alone")

    monkeypatch.setattr("flightpipe.pipeline.transform.transform_raw_objects", store_refuses)
    summary = run_day(settings, D1, kind="backfill", clock=lambda: AFTER, defer=True)

    assert summary.state == COLLECTED and summary.rows_transformed == summary.records_collected > 0
