"""What follows the transform of a range of collection days, shared by ``flightpipe reprocess`` and the range's
step of a backfill or catch-up (``pipeline.range_finish``):

* ``RangeFlow``: as the collection days come in, each day's board checks; once every collection day of a flight
  date's window is transformed (and every day before), the flight date is final and goes to a pass (processed,
  checked, gated, loaded) on a thread of its own, ``CHUNK_FLIGHT_DATES`` of them a pass (the memory cap);
* ``PassLoads``: each pass's gated, set-based load into the warehouse, held open under the loader lock from the
  first load to the end of the range, then the run's quality results.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack

from flightpipe.config import Settings
from flightpipe.core.layout import collection_dates_for
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.load import LoadedDate, load_decided, load_quality
from flightpipe.pipeline.quality import RunQuality, quality_counts
from flightpipe.pipeline.tracking import StepTracker
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.quality.api import RuleResult
from flightpipe.quality.facts import BoardFacts
from flightpipe.quality.gate import GateDecision, board_dates_feeding, decide
from flightpipe.stages.process import ProcessResult
from flightpipe.stages.process_range import CHUNK_FLIGHT_DATES, process_range
from flightpipe.warehouse.base import SqlWarehouse


class PassLoads:
    """The gated load of each pass of flight dates as soon as it is processed and checked (on the load thread),
    then the run's quality results at the end; the warehouse open, under the loader lock, from the first load
    to the end of the range (closing a DuckDB file checkpoints it: once, not once a pass)."""

    def __init__(self, settings: Settings, store: ObjectStore, quality: RunQuality, steps: StepTracker, run_id: str):
        self.settings, self.store, self.quality, self.steps, self.run_id = settings, store, quality, steps, run_id
        self.loaded: list[LoadedDate] = []
        self._dates = 0
        self._warehouse: SqlWarehouse | None = None
        self._open = ExitStack()

    def __enter__(self) -> PassLoads:
        return self

    def __exit__(self, *exc: object) -> None:
        self._open.close()

    def load_pass(
        self, processed: list[ProcessResult], checked: list[RuleResult], board_results: list[RuleResult]
    ) -> None:
        dates = [p.flight_date for p in processed]
        self._dates += len(dates)
        self.steps.total("load", self._dates + 1)  # the quality results are one more load step
        if not dates:
            return
        decision = self._gate(dates, checked, board_results)
        self.loaded += load_decided(
            self.store, self._connected(), decision, dates, run_id=self.run_id, tracker=self.steps, batched=True
        )

    def finish(self) -> None:
        """The run's quality results (``quality.decide`` has stored them); no warehouse opened for nothing."""
        if self._warehouse is not None or self.quality.results:
            load_quality(self._connected(), self.quality, self.steps)

    def _gate(self, dates: list[dt.date], checked: list[RuleResult], board_results: list[RuleResult]) -> GateDecision:
        """What ``RunQuality.decide`` decides for ``dates``: this run's board results where it checked the board,
        the latest stored ones for the boards outside the range."""
        mine = {r.partition for r in board_results}
        stored = self.quality.history.latest_board_results(board_dates_feeding(dates))
        feeding = [r for r in stored if r.partition not in mine] + board_results
        return decide(dates, feeding, checked, allow_failures=self.quality.allow_failures)

    def _connected(self) -> SqlWarehouse:
        if self._warehouse is None:
            self._open.enter_context(warehouse_lock(self.settings))
            self._warehouse = connect_warehouse(self.settings)
            self._warehouse.defer_housekeeping()  # a pass's load after another until the range ends
            self._open.callback(self._warehouse.close)
        return self._warehouse


#: DuckDB threads of a pass processed while the transform's workers still run (None: DuckDB's default).
PASS_THREADS_BESIDE_TRANSFORM: int | None = 1


class RangeFlow:
    """What follows the transform, as the collection days come in (in any order): each day's board checks; and,
    once every collection day of a flight date's window (``collection_dates_for``) is transformed, and every day
    before them, the flight date is final: it is processed, checked and loaded (``on_pass``), ``chunk`` of them
    a pass (the memory cap), each pass a ``process`` and a ``quality`` step and its ``load`` steps.

    The passes are processed one after the other on a thread of their own, and loaded one after the other on
    another (the next pass is processed while the last one loads), beside the board checks on the calling
    thread: a pass spends its time in DuckDB and in pyarrow's Parquet reader and writer, which release the GIL,
    so the two overlap (and the transform's worker processes go on meanwhile). Use it as a context manager:
    leaving it waits for the pass under way and drops those not begun."""

    def __init__(
        self,
        store: ObjectStore,
        quality: RunQuality,
        steps: StepTracker,
        days: set[dt.date],
        chunk: int = CHUNK_FLIGHT_DATES,
        on_pass: Callable[[list[ProcessResult], list[RuleResult], list[RuleResult]], None] = lambda *done: None,
    ) -> None:
        self.store, self.quality, self.steps, self.days, self.chunk = store, quality, steps, days, chunk
        self.on_pass = on_pass
        self.done: set[dt.date] = set()
        self.touched: set[dt.date] = set()
        self.waiting: set[dt.date] = set()  # touched, not yet given to a pass
        self.board_results: list[RuleResult] = []
        self.passes: list[Future[tuple[list[ProcessResult], list[RuleResult]]]] = []
        #: Wall seconds: the board checks on the calling thread; the passes' processing and checking on theirs.
        self.seconds = {"boards": 0.0, "process": 0.0, "checks": 0.0, "load": 0.0}
        # A pass is processed and checked on one thread and loaded on another, so the next pass is processed while
        # the last one loads; the loader takes them one at a time in the order they were given (date order).
        self._processor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="process")
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load")
        self._timing = threading.Lock()
        steps.total("quality", len(days))  # a step per day's boards; each pass of flight dates adds one

    def __enter__(self) -> RangeFlow:
        return self

    def __exit__(self, *exc: object) -> None:
        self._processor.shutdown(wait=True, cancel_futures=True)
        self._loader.shutdown(wait=True, cancel_futures=True)

    def day_done(self, day: dt.date, touched: list[dt.date], counted: Sequence[BoardFacts] = ()) -> None:
        """``counted``: the facts of the day's boards its transform counted (the others are read back)."""
        self.done.add(day)
        started = time.perf_counter()
        with self.steps.step("quality", f"boards {day.isoformat()}") as counts:
            results = self.quality.check_boards(day, counted)
            self.board_results.extend(results)
            counts.update(quality_counts(results))
        self.seconds["boards"] += time.perf_counter() - started
        self.add_touched(touched)
        for done in [f for f in self.passes if f.done()]:
            done.result()  # a failed pass fails the range now, not after the rest of the transform

    def add_touched(self, flight_dates: Sequence[dt.date]) -> None:
        """Flight dates the transformed rows touch: each given to a pass once final. Without ``days`` (a range
        of days run one by one up to their board checks, ``pipeline.range_finish``) every one is final now."""
        fresh = set(flight_dates) - self.touched
        self.touched |= fresh
        self.waiting |= fresh
        ready = self._ready()
        beside_transform = bool(self.days - self.done)
        while len(ready) >= self.chunk:
            self._submit(ready[: self.chunk], beside_transform=beside_transform)
            ready = ready[self.chunk :]

    def finish(self) -> tuple[list[ProcessResult], list[RuleResult]]:
        """Every flight date still waiting processed (the transform is over: all are final); the results of
        every pass, by flight date, and the flight-date checks'."""
        remaining = sorted(self.waiting)
        for start in range(0, len(remaining), self.chunk):
            self._submit(remaining[start : start + self.chunk], beside_transform=False)
        self.steps.total("process", len(self.passes))
        processed: list[ProcessResult] = []
        checked: list[RuleResult] = []
        for each in self.passes:
            results, checks = each.result()
            processed.extend(results)
            checked.extend(checks)
        return sorted(processed, key=lambda p: p.flight_date), checked

    def _ready(self) -> list[dt.date]:
        """The waiting flight dates that are final and come before every flight date still to be final: the
        collection days of their windows are transformed, and so are all days before those. Passes then load in
        date order, as per-date loads do (the dimensions keep the later date's values) whichever order the
        workers hand the days back in."""
        pending = [day for day in self.days if day not in self.done]
        if not pending:
            return sorted(self.waiting)
        first_pending = min(pending)
        return sorted(d for d in self.waiting if max(collection_dates_for([d])) < first_pending)

    def _submit(self, flight_dates: list[dt.date], *, beside_transform: bool) -> None:
        self.waiting -= set(flight_dates)
        # While the transform's workers hold every core (one process per core), a pass's DuckDB gets one thread:
        # more only fought the workers for the cores (a 30-day reprocess: 4 % more wall and 6 % more CPU, medians
        # of five runs each).
        threads = PASS_THREADS_BESIDE_TRANSFORM if beside_transform else None
        # The board results so far: every board feeding these flight dates that the range holds is among them.
        work = self._processor.submit(self._process_and_check, flight_dates, threads)
        self.passes.append(self._loader.submit(self._load, work, list(self.board_results)))
        self.steps.total("process", len(self.passes))
        self.steps.total("quality", len(self.days) + len(self.passes))

    def _process_and_check(
        self, flight_dates: list[dt.date], threads: int | None
    ) -> tuple[list[ProcessResult], list[RuleResult]]:
        started = time.perf_counter()
        with self.steps.step("process", f"{flight_dates[0].isoformat()}..{flight_dates[-1].isoformat()}") as counts:
            processed = process_range(self.store, flight_dates, threads=threads)
            counts.update(
                records_in=sum(p.rows_in for p in processed), records_out=sum(p.flights_out for p in processed)
            )
        checked = time.perf_counter()
        with self.steps.step("quality", ",".join(d.isoformat() for d in flight_dates)) as counts:
            results = self.quality.flight_date_checks(processed)
            counts.update(quality_counts(results))
        with self._timing:
            self.seconds["process"] += checked - started
            self.seconds["checks"] += time.perf_counter() - checked
        return processed, results

    def _load(
        self, work: Future[tuple[list[ProcessResult], list[RuleResult]]], board_results: list[RuleResult]
    ) -> tuple[list[ProcessResult], list[RuleResult]]:
        processed, results = work.result()
        started = time.perf_counter()
        self.on_pass(processed, results, board_results)
        with self._timing:
            self.seconds["load"] += time.perf_counter() - started
        return processed, results
