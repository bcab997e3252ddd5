"""``reprocess``: the layers and the warehouse again from stored raw data: what the daily runs gave, no source
opened, the same twice, resumed after an interruption, recorded in the ledger."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flightpipe.config import Settings
from flightpipe.pipeline import range_flow as range_flow_module
from flightpipe.pipeline.reprocess import reprocess_range, stored_raw_days
from flightpipe.stages import check as check_module
from flightpipe.stages.transform_batch import TransformWorkers
from flightpipe.state.runs import ABANDONED, SUCCEEDED
from flightpipe.state.store import StateStore
from tests.helpers.simulated_store import SimulatedStores

DAYS = (dt.date(2026, 6, 8), dt.date(2026, 6, 9))
CLOCK = dt.datetime(2026, 6, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings(tmp_path: Path, simulated_stores: SimulatedStores, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Two days the daily run collected and ran through every stage (the per-file path); then no source may open."""
    copied = simulated_stores.copy(tmp_path / "data", ("EDDH",), DAYS)

    def no_source(*args: object, **kwargs: object) -> None:
        raise AssertionError("reprocess opened a source")

    monkeypatch.setattr("flightpipe.pipeline.sources.open_source", no_source)
    monkeypatch.setattr("flightpipe.pipeline.runner.open_source", no_source)
    monkeypatch.setattr("flightpipe.sources.registry.source_spec", no_source)
    return copied


class Observer:
    """Remembers the steps it is told are done, per stage."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []

    def stage_total(self, stage: str, total: int) -> None:
        pass

    def step_done(self, stage: str, target: str, ok: bool) -> None:
        self.steps.append((stage, target))

    def done(self, stage: str) -> list[str]:
        return [target for s, target in self.steps if s == stage]


def _layers(settings: Settings) -> dict[str, bytes]:
    """Every file of transformed/, quarantine/ and processed/, by key."""
    root = Path(settings.data_dir)
    return {
        str(path.relative_to(root)): path.read_bytes()
        for folder in ("transformed", "quarantine", "processed")
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def _warehouse(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """The warehouse's flights and codeshares, every column, in a fixed order."""
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    try:
        return {
            table: con.sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()  # noqa: S608 - two fixed names
            for table in ("fact_flights", "flight_codeshares")
        }
    finally:
        con.close()


def _forget_derived(settings: Settings) -> None:
    """What a mapping fix invalidates: every layer derived from raw, and the warehouse."""
    root = Path(settings.data_dir)
    for folder in ("transformed", "quarantine", "processed"):
        shutil.rmtree(root / folder, ignore_errors=True)
    settings.resolved_warehouse_path().unlink()


def test_reprocess_of_stored_raw_gives_the_layers_and_warehouse_the_per_day_runs_gave(settings: Settings) -> None:
    layers, warehouse = _layers(settings), _warehouse(settings)
    _forget_derived(settings)

    result = reprocess_range(settings, None, None, workers=1, clock=lambda: CLOCK, report=False)

    assert result.state == SUCCEEDED and (result.first, result.last) == DAYS
    assert _layers(settings) == layers
    assert _warehouse(settings) == warehouse
    assert len(warehouse["fact_flights"]) > 500


def test_reprocess_is_recorded_in_the_ledger_as_a_run_with_a_transform_step_per_day_and_reports_once(
    settings: Settings,
) -> None:
    result = reprocess_range(settings, DAYS[0], DAYS[1], workers=1, clock=lambda: CLOCK)

    with StateStore.open(settings.paths().ledger) as state:
        run = state.runs.find(result.run_id)
        steps = state.steps.of_run(result.run_id)
    assert run is not None
    assert (run.run_id, run.kind, run.source, run.state) == (
        "reprocess-20260608-20260609-20260620T080000000000Z",
        "reprocess",
        "raw",
        SUCCEEDED,
    )
    assert [s.target for s in steps if s.stage == "transform"] == ["2026-06-08", "2026-06-09"]
    assert {s.stage for s in steps} >= {"transform", "quality", "process", "load"}
    assert run.summary["raw_files"] == 4 and run.summary["rows_loaded"] == result.rows_loaded > 0
    # The report once, at the end, for the range's last day.
    assert result.report_path is not None and result.report_path.endswith("2026-06-09.html")


def test_reprocess_twice_gives_the_same_layers_and_warehouse(settings: Settings) -> None:
    first = reprocess_range(settings, None, None, workers=1, report=False)
    layers, warehouse = _layers(settings), _warehouse(settings)

    second = reprocess_range(settings, None, None, workers=1, report=False)

    assert (_layers(settings), _warehouse(settings)) == (layers, warehouse)
    assert (first.state, second.state, second.resumed_from) == (SUCCEEDED, SUCCEEDED, None)
    assert [d.resumed for d in second.days] == [False, False]  # after a succeeded one: all of it again


def test_an_interrupted_reprocess_is_resumed_without_transforming_its_done_days_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers, warehouse = _layers(settings), _warehouse(settings)
    _forget_derived(settings)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(range_flow_module, "process_range", interrupted)
        with pytest.raises(KeyboardInterrupt):
            reprocess_range(settings, None, None, workers=1, clock=lambda: CLOCK, report=False)
    transformed: list[Any] = []
    real = TransformWorkers.run
    monkeypatch.setattr(TransformWorkers, "run", lambda pool, todo: real(pool, transformed.extend(todo) or todo))

    told = Observer()
    result = reprocess_range(settings, None, None, workers=1, report=False, observer=told)

    with StateStore.open(settings.paths().ledger) as state:
        first = state.runs.find("reprocess-20260608-20260609-20260620T080000000000Z")
    assert first is not None and first.state == ABANDONED
    assert (result.state, result.resumed_from, transformed) == (SUCCEEDED, first.run_id, [])
    assert [d.resumed for d in result.days] == [True, True]
    assert told.done("transform") == ["2026-06-08", "2026-06-09"]  # the progress: each day once, resumed or not
    assert (_layers(settings), _warehouse(settings)) == (layers, warehouse)


def test_stored_raw_days_names_each_collection_day_and_its_airports(settings: Settings) -> None:
    from flightpipe.core.store import ObjectStore

    store = ObjectStore(settings.data_dir)

    assert stored_raw_days(store) == {DAYS[0]: ["EDDH"], DAYS[1]: ["EDDH"]}
    assert stored_raw_days(store, ["EDDF"]) == {}


def test_a_reprocess_does_not_make_a_collection_day_complete_for_backfill(settings: Settings) -> None:
    settings.paths().ledger.unlink()  # no run ever collected these days, as far as the ledger knows

    reprocess_range(settings, None, None, workers=1, report=False)

    with StateStore.open(settings.paths().ledger) as state:
        assert not state.runs.is_day_complete(DAYS[0], ["EDDH"], ["departures", "arrivals"])


class _NoChecks:
    """A run's quality that finds nothing: the flow's order is what is under test."""

    def check_boards(self, day: dt.date, counted: Any = ()) -> list[Any]:
        return []

    def flight_date_checks(self, processed: list[Any]) -> list[Any]:
        return []


class _Steps:
    def total(self, stage: str, count: int) -> None:
        pass

    @contextmanager
    def step(self, stage: str, target: str) -> Iterator[dict[str, Any]]:
        yield {}


def test_a_flight_date_is_processed_once_every_collection_day_of_its_window_in_the_range_is_transformed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A flight date's rows come from the collection days one before to two after it (layout.COLLECTION_WINDOW).
    day = [dt.date(2026, 6, 1) + dt.timedelta(days=n) for n in range(8)]
    passes: list[list[dt.date]] = []
    monkeypatch.setattr(range_flow_module, "process_range", lambda store, dates, threads: passes.append(dates) or [])

    def done(flow: Any, collected: dt.date, touched: list[dt.date]) -> list[list[dt.date]]:
        flow.day_done(collected, touched)
        for each in flow.passes:  # the passes run on a thread of their own
            each.result()
        return passes

    with range_flow_module.RangeFlow(None, _NoChecks(), _Steps(), set(day[1:7]), chunk=2) as flow:  # type: ignore[arg-type]
        assert done(flow, day[1], [day[0], day[1]]) == []
        assert done(flow, day[3], [day[2], day[3]]) == []  # days come back in any order; day[0] waits for day[2]
        assert done(flow, day[2], [day[1], day[2]]) == [[day[0], day[1]]]  # day[2] waits for day[4]
        done(flow, day[4], [day[3], day[4]])
        assert done(flow, day[5], [day[4], day[5]]) == [[day[0], day[1]], [day[2], day[3]]]
        # day[7] is not in the range: day[5] and day[6] are final once day[6] is in.
        assert done(flow, day[6], [day[5], day[6]]) == [[day[0], day[1]], [day[2], day[3]], [day[4], day[5]]]
        flow.finish()
    assert passes[-1] == [day[6]]


def test_a_final_flight_date_waits_for_the_earlier_ones_so_the_passes_load_in_date_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = [dt.date(2026, 6, 1) + dt.timedelta(days=n) for n in range(12)]
    passes: list[list[dt.date]] = []
    monkeypatch.setattr(range_flow_module, "process_range", lambda store, dates, threads: passes.append(dates) or [])

    with range_flow_module.RangeFlow(None, _NoChecks(), _Steps(), set(day[1:11]), chunk=2) as flow:  # type: ignore[arg-type]
        for n in (1, 2, 3, 4, 7, 8, 9, 10):  # day[5] and day[6] come back last
            flow.day_done(day[n], [day[n - 1], day[n]])
        for each in flow.passes:
            each.result()
        # day[8] and day[9] are final (their windows are in), but day[3]..day[7] are not: nothing after them goes.
        assert passes == [[day[0], day[1]]]
        flow.day_done(day[5], [day[4], day[5]])
        flow.day_done(day[6], [day[5], day[6]])
        flow.finish()
    assert passes == [[day[n], day[n + 1]] for n in range(0, 10, 2)] + [[day[10]]]


def test_reprocess_judges_the_boards_from_its_workers_counts_as_the_daily_runs_did_reading_the_store(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StateStore.open(settings.paths().ledger) as state:
        daily = state.quality.latest_board_results(list(DAYS))
    read_back: list[tuple[Any, ...]] = []
    real_board_facts = check_module.board_facts
    monkeypatch.setattr(check_module, "board_facts", lambda *a: read_back.append(a[1:4]) or real_board_facts(*a))

    reprocess_range(settings, None, None, workers=1, report=False)

    with StateStore.open(settings.paths().ledger) as state:
        reprocessed = state.quality.latest_board_results(list(DAYS))
    assert reprocessed == daily and len(daily) > 20
    assert read_back == []  # every board's facts came with its day from the transform


def test_workers_started_for_another_store_are_refused_before_anything_is_written(
    settings: Settings, tmp_path: Path
) -> None:
    from flightpipe.core.store import ObjectStore

    elsewhere = ObjectStore(str(tmp_path / "elsewhere"))
    with TransformWorkers(elsewhere.url, {}, workers=1) as pool, pytest.raises(ValueError, match="write to"):
        reprocess_range(settings, None, None, workers=pool, report=False)

    with StateStore.open(settings.paths().ledger) as state:
        assert not [r for r in state.runs.recent(50) if r.run_id.startswith("reprocess-")]


def test_a_pass_processed_beside_the_transform_gets_one_duckdb_thread_and_the_passes_after_it_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = [dt.date(2026, 6, 1) + dt.timedelta(days=n) for n in range(8)]
    seen: dict[dt.date, int | None] = {}
    monkeypatch.setattr(
        range_flow_module,
        "process_range",
        lambda store, dates, threads=None: seen.update(dict.fromkeys(dates, threads)) or [],
    )

    with range_flow_module.RangeFlow(None, _NoChecks(), _Steps(), set(day[1:7]), chunk=2) as flow:  # type: ignore[arg-type]
        for n in range(1, 7):
            flow.day_done(day[n], [day[n - 1], day[n]])
        flow.finish()

    assert seen == {day[0]: 1, day[1]: 1, day[2]: 1, day[3]: 1, day[4]: None, day[5]: None, day[6]: None}
