"""``flightpipe reprocess``: the layers and the warehouse again from the raw layer, under today's mapping and rules.

Raw is kept so that a fix in the mapping or a record rule can be applied to all history without one API call:
reprocess never opens a source. For a range of collection days it runs the batch paths, each stage once for the
whole range rather than once per day, and overlapped so that both cores work:

  transform  every raw file of the range, a collection day per batch, on one worker process per core
             (``stages.transform_batch``: the per-file function, so the same bytes as a daily run)
  quality    each day's board rules, as soon as its batch is back
  process    each flight date as soon as every collection day of its window (and every day before) is
             transformed, while the workers go on with later days: passes of ``CHUNK_FLIGHT_DATES`` flight
             dates (the memory cap) on a thread beside the board checks (``stages.process_range``), each pass
             followed by its flight-date rules, its gate and its
  load       each flight date once, the ones loaded whole set-based (``pipeline.load.load_decided``,
             ``batched``); passes load in date order, so the warehouse ends as per-date loads leave it; the run's
             quality results at the end
  report     once, for the last day of the range

It is recorded in the ledger as one run of kind ``reprocess`` whose id names the range
(``reprocess-<first>-<last>-<UTC start>``), with a ``transform`` step per collection day. It is idempotent (every
stage replaces what it writes) and resumable: when the latest reprocess of the same range and airports did not
succeed (killed, interrupted, failed), the next one skips the days that run transformed and goes on from there.
A reprocess after a succeeded one does the whole range again: that is how a new mapping is applied.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import ConfigError
from flightpipe.core.layout import RAW, collection_dates_for, raw_keys, raw_prefix
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.load import LoadedDate, load_decided, load_quality
from flightpipe.pipeline.quality import RunQuality, quality_counts
from flightpipe.pipeline.report import write_run_report
from flightpipe.pipeline.runner import LedgerSteps, RunObserver, SilentObserver
from flightpipe.pipeline.tracking import StepTracker
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.quality.api import RuleResult
from flightpipe.quality.facts import BoardFacts
from flightpipe.quality.gate import GateDecision, board_dates_feeding, decide
from flightpipe.stages.process import ProcessResult
from flightpipe.stages.process_range import CHUNK_FLIGHT_DATES, process_range
from flightpipe.stages.transform_batch import Batch, BatchOutcome, transform_batches
from flightpipe.stages.verify import touched_flight_dates
from flightpipe.state.runs import ABANDONED, FAILED, FAILED_QUALITY, PARTIAL, SUCCEEDED
from flightpipe.state.store import StateStore
from flightpipe.warehouse.base import SqlWarehouse

log = logging.getLogger(__name__)

KIND = "reprocess"
RUN_PREFIX = "reprocess-"


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """One collection day of a reprocess: its raw files transformed (or done by the interrupted run resumed)."""

    day: dt.date
    raw_files: int
    records_in: int
    rows_out: int
    quarantined: int
    corrupt_files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    #: True: transformed by the earlier, interrupted reprocess this one resumed.
    resumed: bool = False


@dataclass
class ReprocessResult:
    run_id: str
    first: dt.date
    last: dt.date
    airports: list[str]
    state: str = FAILED
    days: list[DayOutcome] = field(default_factory=list)
    #: The interrupted reprocess this one went on from (None: a fresh one).
    resumed_from: str | None = None
    flight_dates: list[dt.date] = field(default_factory=list)
    #: Flights written per flight date, and rows loaded per flight date.
    flights: dict[dt.date, int] = field(default_factory=dict)
    loaded: dict[dt.date, int] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    #: Wall seconds per phase: ``transform`` is the calling thread's wait for the worker processes (its board
    #: checks meanwhile count as ``quality``); ``process`` the pass thread's work, most of it beside the
    #: transform, ``passes_tail`` the wait for the passes after it; then ``quality``, ``load``, ``report``.
    phases: dict[str, float] = field(default_factory=dict)
    report_path: str | None = None
    report_error: str | None = None
    duration_s: float = 0.0

    @property
    def raw_files(self) -> int:
        return sum(d.raw_files for d in self.days)

    @property
    def records_in(self) -> int:
        return sum(d.records_in for d in self.days)

    @property
    def rows_loaded(self) -> int:
        return sum(self.loaded.values())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first"], data["last"] = self.first.isoformat(), self.last.isoformat()
        data["flight_dates"] = [d.isoformat() for d in self.flight_dates]
        data["flights"] = {d.isoformat(): n for d, n in self.flights.items()}
        data["loaded"] = {d.isoformat(): n for d, n in self.loaded.items()}
        data["days"] = [{**asdict(d), "day": d.day.isoformat()} for d in self.days]
        data.update(raw_files=self.raw_files, records_in=self.records_in, rows_loaded=self.rows_loaded)
        return data


def stored_raw_days(store: ObjectStore, airports: Sequence[str] | None = None) -> dict[dt.date, list[str]]:
    """The airports (of ``airports``; default every one raw/ holds) with raw data, per collection day."""
    days: dict[dt.date, list[str]] = {}
    for icao in store.list_dirs(RAW):
        if airports is not None and icao not in airports:
            continue
        for name in store.list_dirs(f"{RAW}/{icao}"):
            try:
                day = dt.date.fromisoformat(name)
            except ValueError:
                continue  # not a day folder of flightpipe's
            days.setdefault(day, []).append(icao)
    return dict(sorted(days.items()))


def reprocess_range(
    settings: Settings,
    first: dt.date | None,
    last: dt.date | None,
    airports: Sequence[str] | None = None,
    *,
    workers: int | None = None,
    observer: RunObserver | None = None,
    clock: Clock = utc_now,
    report: bool = True,
) -> ReprocessResult:
    """Reprocess the raw files of collection days ``first`` to ``last`` (both included; None: the first or last
    day raw/ holds) of ``airports`` (None: every airport raw/ holds), on ``workers`` transform processes
    (None: one per core); ``report``: write the last day's report at the end. Resumes the latest reprocess of
    the same range and airports if it did not succeed. Raises ``ConfigError`` when there is no raw data in the
    range."""
    started = time.perf_counter()
    observer = observer or SilentObserver()
    store = ObjectStore(settings.data_dir)
    stored = stored_raw_days(store, airports)
    first = first or (min(stored) if stored else None)
    last = last or (max(stored) if stored else None)
    in_range = {day: icaos for day, icaos in stored.items() if first and last and first <= day <= last}
    if first is None or last is None or not in_range:
        raise ConfigError(f"no raw data to reprocess in {settings.data_dir} for {first or '…'} to {last or '…'}")
    chosen = sorted(airports) if airports is not None else sorted({i for icaos in in_range.values() for i in icaos})
    prefix = f"{RUN_PREFIX}{first:%Y%m%d}-{last:%Y%m%d}-"
    run_id = f"{prefix}{clock().astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}"
    result = ReprocessResult(run_id, first, last, chosen)
    with StateStore.open(settings.paths().ledger) as state:
        state.runs.mark_abandoned()
        interrupted = _interrupted(state, prefix, chosen)
        done_before = _days_done(state, interrupted) if interrupted else {}
        result.resumed_from = interrupted
        state.runs.start(
            run_id,
            kind=KIND,
            day=first,
            airports=chosen,
            boards=[],  # it collects no board: a reprocess never makes a collection day "complete"
            source="raw",
            simulated=settings.is_simulated,
        )
        steps = LedgerSteps(state.steps, run_id, observer)
        try:
            _stages(settings, store, state, steps, result, in_range, done_before, workers, report=report)
        except BaseException as exc:
            result.failed_steps = list(steps.failed)
            result.state = ABANDONED if isinstance(exc, KeyboardInterrupt | SystemExit) else FAILED
            result.duration_s = time.perf_counter() - started
            state.runs.finish(run_id, result.state, summary=result.as_dict(), error=f"{type(exc).__name__}: {exc}")
            raise
        result.failed_steps = list(steps.failed)
        if result.held:
            result.state = FAILED_QUALITY
        else:
            result.state = PARTIAL if steps.failed else SUCCEEDED
        result.duration_s = time.perf_counter() - started
        state.runs.finish(
            run_id, result.state, summary=result.as_dict(), error="; ".join(steps.failed) if steps.failed else None
        )
    return result


def _stages(
    settings: Settings,
    store: ObjectStore,
    state: StateStore,
    steps: LedgerSteps,
    result: ReprocessResult,
    in_range: dict[dt.date, list[str]],
    done_before: dict[dt.date, DayOutcome],
    workers: int | None,
    *,
    report: bool,
) -> None:
    chosen = set(result.airports)
    batches = []
    resumed: dict[dt.date, tuple[str, ...]] = {}
    steps.total("transform", len(in_range))  # one step per collection day, resumed ones included
    for day, icaos in in_range.items():
        keys = tuple(k for icao in icaos if icao in chosen for k in raw_keys(store.list(raw_prefix(icao, day))))
        if day in done_before:
            resumed[day] = keys
            _record_resumed(steps, done_before[day], result.resumed_from)
            result.days.append(done_before[day])
        else:
            batches.append(Batch(day.isoformat(), keys))
    quality = RunQuality(settings, store, state.quality, result.run_id)
    quality.read_volumes_of(in_range)  # the ledger gets this run's results at its end: what is read stays true
    phases = result.phases
    with PassLoads(settings, store, quality, steps, result.run_id) as loads:
        with RangeFlow(store, quality, steps, set(in_range), on_pass=loads.load_pass) as flow:
            for day, keys in resumed.items():  # transformed by the interrupted run: their twins name the dates
                flow.day_done(day, touched_flight_dates(store, [], twins_of=keys))
            # The transform runs in worker processes; between the days they hand back, this process checks each
            # day's boards, and its pass thread processes, checks and loads the flight dates whose whole
            # collection window is transformed, so every core stays busy.
            rule_configs = settings.quality.rule_configs()
            started, boards = time.perf_counter(), flow.seconds["boards"]
            for outcome in transform_batches(store.url, batches, rule_configs, workers=workers):
                result.days.append(_record_day(steps, outcome))
                day = dt.date.fromisoformat(outcome.label)
                flow.day_done(day, touched_flight_dates(store, outcome.results), outcome.board_facts)
            phases["transform"] = time.perf_counter() - started - (flow.seconds["boards"] - boards)
            result.days.sort(key=lambda d: d.day)
            started = time.perf_counter()
            processed, quality.flight_date_results = flow.finish()
            phases["passes_tail"] = time.perf_counter() - started

        started = time.perf_counter()
        quality.board_results = flow.board_results
        result.flight_dates = [p.flight_date for p in processed]
        result.flights = {p.flight_date: p.flights_out for p in processed}
        # The gate of the whole range, as a run decides it, recorded with the results; it holds what each pass's
        # gate held (a flight date's hold depends only on its own results and those of the boards feeding it).
        quality.decide(result.flight_dates)
        phases.update(
            process=flow.seconds["process"],
            quality=flow.seconds["boards"] + flow.seconds["checks"] + time.perf_counter() - started,
        )
        started = time.perf_counter()
        loads.finish()
        result.loaded = {loaded.flight_date: loaded.result.rows_loaded for loaded in loads.loaded}
        result.held = quality.summary_lines()[1]
        phases["load"] = flow.seconds["load"] + time.perf_counter() - started
    # Once, for the range: a day's report is a view of the warehouse, which only now holds the whole range.
    if report:
        started = time.perf_counter()
        result.report_path, result.report_error = write_run_report(settings, result.last)
        phases["report"] = time.perf_counter() - started


class PassLoads:
    """The gated load of each pass of flight dates as soon as it is processed and checked (on the pass thread),
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
            self._open.callback(self._warehouse.close)
        return self._warehouse


class RangeFlow:
    """What follows the transform, as the collection days come in (in any order): each day's board checks; and,
    once every collection day of a flight date's window (``collection_dates_for``) is transformed, and every day
    before them, the flight date is final: it is processed, checked and loaded (``on_pass``), ``chunk`` of them
    a pass (the memory cap), each pass a ``process`` and a ``quality`` step and its ``load`` steps.

    The passes run one after the other on a thread of their own, beside the board checks on the calling
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
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="process")
        steps.total("quality", len(days))  # a step per day's boards; each pass of flight dates adds one

    def __enter__(self) -> RangeFlow:
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)

    def day_done(self, day: dt.date, touched: list[dt.date], counted: Sequence[BoardFacts] = ()) -> None:
        """``counted``: the facts of the day's boards its transform counted (the others are read back)."""
        self.done.add(day)
        started = time.perf_counter()
        with self.steps.step("quality", f"boards {day.isoformat()}") as counts:
            results = self.quality.check_boards(day, counted)
            self.board_results.extend(results)
            counts.update(quality_counts(results))
        self.seconds["boards"] += time.perf_counter() - started
        fresh = set(touched) - self.touched
        self.touched |= fresh
        self.waiting |= fresh
        ready = self._ready()
        while len(ready) >= self.chunk:
            self._submit(ready[: self.chunk])
            ready = ready[self.chunk :]
        for done in [f for f in self.passes if f.done()]:
            done.result()  # a failed pass fails the range now, not after the rest of the transform

    def add_final(self, flight_dates: Sequence[dt.date]) -> None:
        """Flight dates whose collection days were all transformed before (a range of days run one by one up
        to their board checks, ``pipeline.range_finish``): final, so processed in passes from now on."""
        fresh = set(flight_dates) - self.touched
        self.touched |= fresh
        self.waiting |= fresh
        ready = self._ready()
        while len(ready) >= self.chunk:
            self._submit(ready[: self.chunk])
            ready = ready[self.chunk :]

    def finish(self) -> tuple[list[ProcessResult], list[RuleResult]]:
        """Every flight date still waiting processed (the transform is over: all are final); the results of
        every pass, by flight date, and the flight-date checks'."""
        remaining = sorted(self.waiting)
        for start in range(0, len(remaining), self.chunk):
            self._submit(remaining[start : start + self.chunk])
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

    def _submit(self, flight_dates: list[dt.date]) -> None:
        self.waiting -= set(flight_dates)
        # The board results so far: every board feeding these flight dates that the range holds is among them.
        self.passes.append(self._thread.submit(self._pass, flight_dates, list(self.board_results)))
        self.steps.total("process", len(self.passes))
        self.steps.total("quality", len(self.days) + len(self.passes))

    def _pass(
        self, flight_dates: list[dt.date], board_results: list[RuleResult]
    ) -> tuple[list[ProcessResult], list[RuleResult]]:
        started = time.perf_counter()
        with self.steps.step("process", f"{flight_dates[0].isoformat()}..{flight_dates[-1].isoformat()}") as counts:
            processed = process_range(self.store, flight_dates)
            counts.update(
                records_in=sum(p.rows_in for p in processed), records_out=sum(p.flights_out for p in processed)
            )
        checked = time.perf_counter()
        with self.steps.step("quality", ",".join(d.isoformat() for d in flight_dates)) as counts:
            results = self.quality.check_flight_dates(processed)
            counts.update(quality_counts(results))
        self.seconds["process"] += checked - started
        self.seconds["checks"] += time.perf_counter() - checked
        started = time.perf_counter()
        self.on_pass(processed, results, board_results)
        self.seconds["load"] += time.perf_counter() - started
        return processed, results


def _record_day(steps: LedgerSteps, outcome: BatchOutcome) -> DayOutcome:
    """A collection day's transform as a ``transform`` step (failed when a file raised)."""
    day = DayOutcome(
        day=dt.date.fromisoformat(outcome.label),
        raw_files=len(outcome.results) + len(outcome.errors),
        records_in=sum(r.records_in for r in outcome.results),
        rows_out=sum(r.rows_out for r in outcome.results),
        quarantined=sum(r.quarantined for r in outcome.results),
        corrupt_files=[r.raw_key for r in outcome.results if r.corrupt_reason],
        errors=[f"{key}: {error}" for key, error in outcome.errors],
        duration_s=outcome.duration_s,
    )
    try:
        with steps.step("transform", outcome.label) as counts:
            counts.update(
                records_in=day.records_in, records_out=day.rows_out, quarantined=day.quarantined, files=day.raw_files
            )
            if day.corrupt_files:
                counts["corrupt_files"] = day.corrupt_files
            if day.errors:
                raise RuntimeError(f"{len(day.errors)} raw file(s) could not be transformed: {day.errors[0]}")
    except RuntimeError:
        pass  # recorded as a failed step; the reprocess ends partial and the next one does this day again
    return day


def _record_resumed(steps: LedgerSteps, day: DayOutcome, resumed_from: str | None) -> None:
    """A day the interrupted reprocess transformed, recorded in this run too: a second interruption resumes
    from this run and still skips it."""
    with steps.step("transform", day.day.isoformat()) as counts:
        counts.update(
            records_in=day.records_in,
            records_out=day.rows_out,
            quarantined=day.quarantined,
            files=day.raw_files,
            resumed_from=resumed_from,
        )


def _interrupted(state: StateStore, prefix: str, airports: list[str]) -> str | None:
    """The latest reprocess of this range and these airports, when it did not succeed (None: none, or it did)."""
    for run_id in state.runs.ids_starting_with(prefix, 20):
        run = state.runs.find(run_id)
        if run is None or run.kind != KIND or sorted(run.airports) != airports:
            continue
        return None if run.state == SUCCEEDED else run.run_id
    return None


def _days_done(state: StateStore, run_id: str) -> dict[dt.date, DayOutcome]:
    """The collection days ``run_id`` transformed completely (a succeeded ``transform`` step each)."""
    done: dict[dt.date, DayOutcome] = {}
    for step in state.steps.of_run(run_id):
        if step.stage != "transform" or step.state != SUCCEEDED:
            continue
        day = dt.date.fromisoformat(step.target)
        done[day] = DayOutcome(
            day=day,
            raw_files=int(step.detail.get("files", 0)),
            records_in=step.records_in or 0,
            rows_out=step.records_out or 0,
            quarantined=step.quarantined or 0,
            duration_s=step.duration_s or 0.0,
            resumed=True,
        )
    return done
