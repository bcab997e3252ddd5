"""The gated load loop: what each hold loads, and the steps it records."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flightpipe.config import Settings
from flightpipe.core.layout import processed_file
from flightpipe.core.schema import PROCESSED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.load import load_flight_dates
from flightpipe.pipeline.quality import RunQuality
from flightpipe.quality.gate import GateDecision, Hold
from flightpipe.quality.history import StoredQualityHistory
from flightpipe.warehouse.base import LoadResult
from flightpipe.warehouse.loadsql import KeepRows

WHOLE, PARTLY, CLEAN = dt.date(2026, 6, 7), dt.date(2026, 6, 8), dt.date(2026, 6, 9)


class Steps:
    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.steps: list[tuple[str, str, str | None]] = []

    def total(self, stage: str, count: int) -> None:
        self.totals[stage] = count

    @contextmanager
    def step(self, stage: str, target: str) -> Iterator[dict[str, Any]]:
        try:
            yield {}
        except Exception as exc:
            self.steps.append((stage, target, type(exc).__name__))
            raise
        self.steps.append((stage, target, None))


class Recording:
    """A warehouse that remembers what it was asked to load."""

    def __init__(self) -> None:
        self.loads: list[tuple[dt.date, KeepRows | None]] = []
        self.ranges: list[list[dt.date]] = []
        self.quality_tables = 0
        self.closed = False

    def load_flight_date(self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: Any = None) -> Any:
        self.loads.append((flight_date, keep))
        return LoadResult(flight_date, flights.num_rows, 0, 0)

    def load_flight_dates(self, flight_dates: list[dt.date], flights: pa.Table, *, run_id: str) -> Any:
        self.ranges.append(list(flight_dates))
        return [LoadResult(day, 0, 0, 0) for day in flight_dates]

    def load_quality_results(self, results: pa.Table) -> int:
        self.quality_tables += 1
        return results.num_rows

    def close(self) -> None:
        self.closed = True


def _processed(store: ObjectStore, *flight_dates: dt.date) -> None:
    for flight_date in flight_dates:
        sink = io.BytesIO()
        pq.write_table(PROCESSED_SCHEMA.empty_table(), sink)
        store.put(processed_file(flight_date), sink.getvalue())


def test_a_whole_hold_loads_nothing_a_partial_one_keeps_its_airports_and_both_are_failed_gate_steps(
    settings: Settings, store: ObjectStore
) -> None:
    _processed(store, WHOLE, PARTLY, CLEAN)
    quality = RunQuality(settings, store, StoredQualityHistory(store), "r1")
    quality.decision = GateDecision(
        holds={
            WHOLE: Hold(WHOLE, whole=True),
            PARTLY: Hold(PARTLY, dep_airports=frozenset({"EDDH"}), arr_airports=frozenset({"EDDH"})),
        }
    )
    warehouse, steps = Recording(), Steps()

    loaded = load_flight_dates(
        settings, store, quality, [WHOLE, PARTLY, CLEAN], run_id="r1", tracker=steps, connect=lambda s: warehouse
    )

    assert [(each.flight_date, each.hold is not None) for each in loaded] == [(PARTLY, True), (CLEAN, False)]
    assert warehouse.loads == [(PARTLY, KeepRows(frozenset({"EDDH"}), frozenset({"EDDH"}))), (CLEAN, None)]
    assert steps.steps == [
        ("gate", WHOLE.isoformat(), "QualityGateFailed"),
        ("gate", PARTLY.isoformat(), "QualityGateFailed"),
        ("load", PARTLY.isoformat(), None),
        ("load", CLEAN.isoformat(), None),
        ("load", "quality_results", None),
    ]
    assert steps.totals == {"load": 4}
    assert warehouse.quality_tables == 1 and warehouse.closed


def test_nothing_to_load_and_no_results_opens_no_warehouse(settings: Settings, store: ObjectStore) -> None:
    quality = RunQuality(settings, store, StoredQualityHistory(store), "r1")

    def connect(_: Settings) -> Any:
        raise AssertionError("the warehouse was opened")

    assert load_flight_dates(settings, store, quality, [], run_id="r1", connect=connect) == []


def test_a_batched_load_loads_the_whole_dates_between_holds_set_based_in_date_order_with_a_step_each(
    settings: Settings, store: ObjectStore
) -> None:
    before, after = WHOLE - dt.timedelta(days=1), CLEAN + dt.timedelta(days=1)
    _processed(store, before, WHOLE, PARTLY, CLEAN, after)
    quality = RunQuality(settings, store, StoredQualityHistory(store), "r1")
    hold = Hold(PARTLY, dep_airports=frozenset({"EDDH"}))
    quality.decision = GateDecision(holds={WHOLE: Hold(WHOLE, whole=True), PARTLY: hold})
    warehouse, steps = Recording(), Steps()

    loaded = load_flight_dates(
        settings,
        store,
        quality,
        [before, WHOLE, PARTLY, CLEAN, after],
        run_id="r1",
        tracker=steps,
        connect=lambda s: warehouse,
        batched=True,
    )

    # The partly held date is loaded alone, after the dates before it and before the dates after it.
    assert warehouse.ranges == [[before], [CLEAN, after]]
    assert warehouse.loads == [(PARTLY, KeepRows(frozenset({"EDDH"})))]
    assert [each.flight_date for each in loaded] == [before, PARTLY, CLEAN, after]
    assert steps.steps == [
        ("load", before.isoformat(), None),
        ("gate", WHOLE.isoformat(), "QualityGateFailed"),
        ("gate", PARTLY.isoformat(), "QualityGateFailed"),
        ("load", PARTLY.isoformat(), None),
        ("load", CLEAN.isoformat(), None),
        ("load", after.isoformat(), None),
        ("load", "quality_results", None),
    ]


def test_after_reads_the_open_warehouse_once_everything_is_loaded_before_it_closes(
    settings: Settings, store: ObjectStore
) -> None:
    _processed(store, CLEAN)
    quality = RunQuality(settings, store, StoredQualityHistory(store), "r1")
    warehouse = Recording()
    seen: list[tuple[object, list[tuple[dt.date, KeepRows | None]], int, bool]] = []

    load_flight_dates(
        settings,
        store,
        quality,
        [CLEAN],
        run_id="r1",
        connect=lambda s: warehouse,
        after=lambda open_warehouse: seen.append(
            (open_warehouse, list(warehouse.loads), warehouse.quality_tables, warehouse.closed)
        ),
    )

    assert seen == [(warehouse, [(CLEAN, None)], 1, False)]
    assert warehouse.closed


def test_after_is_not_called_when_nothing_was_to_load(settings: Settings, store: ObjectStore) -> None:
    quality = RunQuality(settings, store, StoredQualityHistory(store), "r1")
    called: list[object] = []

    load_flight_dates(settings, store, quality, [], run_id="r1", after=called.append)

    assert called == []
