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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import ConfigError
from flightpipe.core.layout import RAW, raw_keys, raw_prefix
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.quality import RunQuality
from flightpipe.pipeline.range_flow import PassLoads, RangeFlow
from flightpipe.pipeline.report import write_run_report
from flightpipe.pipeline.runner import LedgerSteps, RunObserver, SilentObserver
from flightpipe.stages.transform_batch import Batch, BatchOutcome, TransformWorkers, worker_count
from flightpipe.stages.verify import touched_flight_dates
from flightpipe.state.runs import ABANDONED, FAILED, FAILED_QUALITY, PARTIAL, SUCCEEDED
from flightpipe.state.store import StateStore

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
    workers: int | TransformWorkers | None = None,
    observer: RunObserver | None = None,
    clock: Clock = utc_now,
    report: bool = True,
) -> ReprocessResult:
    """Reprocess the raw files of collection days ``first`` to ``last`` (both included; None: the first or last
    day raw/ holds) of ``airports`` (None: every airport raw/ holds), on ``workers`` transform processes
    (None: one per core), or on ``workers`` already started (a caller that starts threads
    of its own starts them first: ``stages.transform_batch`` says why); ``report``: write the last day's report at
    the end. Resumes the latest reprocess of the same range and airports if it did not succeed. Raises
    ``ConfigError`` when there is no raw data in the range."""
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
    run_id = f"{_prefix(first, last)}{clock().astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}"
    result = ReprocessResult(run_id, first, last, chosen)
    if isinstance(workers, TransformWorkers):
        if workers.store_url != store.url:
            raise ValueError(f"the transform workers write to {workers.store_url}, not to {store.url}")
        return _reprocess(settings, store, result, in_range, workers, observer, report=report, started=started)
    count = worker_count(workers, len(in_range))  # a batch per collection day
    with TransformWorkers(store.url, settings.quality.rule_configs(), count) as pool:  # before any thread
        return _reprocess(settings, store, result, in_range, pool, observer, report=report, started=started)


def _prefix(first: dt.date, last: dt.date) -> str:
    """The run ids of reprocesses of ``first`` to ``last`` start with this (a resume finds its run by it)."""
    return f"{RUN_PREFIX}{first:%Y%m%d}-{last:%Y%m%d}-"


def _reprocess(
    settings: Settings,
    store: ObjectStore,
    result: ReprocessResult,
    in_range: dict[dt.date, list[str]],
    workers: TransformWorkers,
    observer: RunObserver,
    *,
    report: bool,
    started: float,
) -> ReprocessResult:
    run_id, chosen, prefix = result.run_id, result.airports, _prefix(result.first, result.last)
    with StateStore.open(settings.paths().ledger) as state:
        state.runs.mark_abandoned()
        interrupted = _interrupted(state, prefix, chosen)
        done_before = _days_done(state, interrupted) if interrupted else {}
        result.resumed_from = interrupted
        state.runs.start(
            run_id,
            kind=KIND,
            day=result.first,
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
    workers: TransformWorkers,
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
            started, boards = time.perf_counter(), flow.seconds["boards"]
            for outcome in workers.run(batches):
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
