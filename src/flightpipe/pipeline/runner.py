"""The local runtime: one day of the pipeline on one machine, over the day-level steps both runtimes share.

collect (thread pool, one task per airport and board)
  -> raw object lands -> event queue -> transform workers (start as soon as the first file lands; the files
     queued meanwhile are transformed in one vectorised pass)
  -> verify (every raw file of the day has its transformed twin; transforms any that lack one)
  -> quality (boards) -> process (every flight date the new rows touch) -> quality (flight dates)
  -> gated load (set-based where the engine can, single writer) -> report

A day of a backfill or catch-up range (``defer``) collects every board first, transforms the day's files in one
vectorised pass, verifies and checks its boards, and stops there, ``collected``: the range's step
(``pipeline.range_finish``) processes and loads the flight dates of all its days once.

What each step does is in ``flightpipe.pipeline`` (day, collect, transform, verify, process, quality, load,
report), which the Lambda handlers call too; this module adds what only one machine needs: threads and the
"object landed" queue, the run and step records in the state store, progress for the observer, and the per-day lock (a
second run of the same day waits for or refuses it).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from filelock import FileLock, Timeout

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import LockBusy
from flightpipe.core.layout import RawKey
from flightpipe.core.logs import bind_log_context
from flightpipe.core.redact import redact
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.collect import collect_planned
from flightpipe.pipeline.day import DayPlan, plan_day
from flightpipe.pipeline.load import load_flight_dates
from flightpipe.pipeline.monitor import RunMonitor
from flightpipe.pipeline.process import process_touched
from flightpipe.pipeline.quality import RunQuality, run_board_checks, run_flight_date_checks
from flightpipe.pipeline.replay import retransform_quarantined
from flightpipe.pipeline.report import write_run_report
from flightpipe.pipeline.sources import open_source
from flightpipe.pipeline.transform import RawTransform
from flightpipe.pipeline.verify import verify_day
from flightpipe.sources.base import Source
from flightpipe.stages.collect import CollectResult
from flightpipe.stages.process import ProcessResult
from flightpipe.stages.transform import TransformResult
from flightpipe.stages.verify import touched_flight_dates
from flightpipe.state.runs import ABANDONED, COLLECTED, FAILED, FAILED_QUALITY, PARTIAL, SUCCEEDED, Steps
from flightpipe.state.store import StateStore

log = logging.getLogger(__name__)


class RunObserver(Protocol):
    """Told about progress, for progress bars; the runner never depends on what it does."""

    def stage_total(self, stage: str, total: int) -> None: ...

    def step_done(self, stage: str, target: str, ok: bool) -> None: ...


class SilentObserver:
    """Told nothing: the observer of a run nobody watches."""

    def stage_total(self, stage: str, total: int) -> None:
        pass

    def step_done(self, stage: str, target: str, ok: bool) -> None:
        pass


@dataclass
class RunSummary:
    run_id: str
    day: dt.date
    state: str
    source: str
    simulated: bool
    airports: list[str]
    records_collected: int = 0
    raw_files: int = 0
    rows_transformed: int = 0
    records_quarantined: int = 0
    corrupt_files: list[str] = field(default_factory=list)
    flight_dates: list[dt.date] = field(default_factory=list)
    flights_processed: int = 0
    rows_loaded: int = 0
    failed_steps: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    #: Fail-level quality results, what the gate held back, and fails --allow-quality-failures let through.
    quality_failures: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    quality_overridden: list[str] = field(default_factory=list)
    report_path: str | None = None
    report_error: str | None = None
    #: A day of a range: its flight dates (``flight_dates``: those its rows touch) are processed and loaded by
    #: the range's step at the end (``range_run_id``), which settles this run's state (``collected`` until then).
    deferred: bool = False
    range_run_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["flight_dates"] = [d.isoformat() for d in self.flight_dates]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        """The summary a run recorded in the ledger (``as_dict``), back as a ``RunSummary``."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["day"] = dt.date.fromisoformat(data["day"])
        known["flight_dates"] = [dt.date.fromisoformat(d) for d in data.get("flight_dates", [])]
        return cls(**known)


class _Steps:
    """The local ``StepTracker``: records steps in the state store's steps table and tells the observer;
    thread-safe (the store's connection is)."""

    def __init__(self, records: Steps, run_id: str, observer: RunObserver) -> None:
        self.records = records
        self.run_id = run_id
        self.observer = observer
        self.failed: list[str] = []
        self._lock = threading.Lock()

    def total(self, stage: str, count: int) -> None:
        self.observer.stage_total(stage, count)

    @contextmanager
    def step(self, stage: str, target: str) -> Iterator[dict[str, Any]]:
        """Yields a dict the body fills with counts; an exception marks the step failed and propagates."""
        step_id = self.records.start(self.run_id, stage, target)
        started = time.perf_counter()
        counts: dict[str, Any] = {}
        # Worker threads do not inherit the run's log context: every step binds both, for its own lines.
        context = bind_log_context(run_id=self.run_id, step=f"{stage} {target}")
        try:
            yield counts
        except BaseException as exc:
            self._finish_failed(step_id, stage, target, exc, time.perf_counter() - started, counts)
            context.reset()
            raise
        duration = time.perf_counter() - started
        self.records.finish(step_id, SUCCEEDED, duration_s=duration, **_step_counts(counts))
        log.info("step succeeded", extra={"data": {"duration_s": round(duration, 3), **_loggable(counts)}})
        context.reset()
        self.observer.step_done(stage, target, True)

    def record_failed(self, stage: str, target: str, exc: BaseException) -> None:
        """Records a step that failed before it could start its work (``step`` wraps work that runs)."""
        step_id = self.records.start(self.run_id, stage, target)
        context = bind_log_context(run_id=self.run_id, step=f"{stage} {target}")
        self._finish_failed(step_id, stage, target, exc, 0.0, {})
        context.reset()

    def _finish_failed(
        self, step_id: int, stage: str, target: str, exc: BaseException, duration: float, counts: dict[str, Any]
    ) -> None:
        self.records.finish(
            step_id, FAILED, duration_s=duration, error=f"{type(exc).__name__}: {exc}", **_step_counts(counts)
        )
        with self._lock:
            self.failed.append(f"{stage} {target}: {type(exc).__name__}: {redact(str(exc))}")
        log.error("step failed: %s: %s", type(exc).__name__, exc, extra={"data": {"duration_s": duration}})
        self.observer.step_done(stage, target, False)


#: The ledger-recording step tracker, for the other range pipelines of the local runtime (reprocess).
LedgerSteps = _Steps


def _loggable(counts: dict[str, Any]) -> dict[str, Any]:
    return {k.rstrip("_"): v for k, v in counts.items() if isinstance(v, int | float | str) and k != "raw_key"}


def _step_counts(counts: dict[str, Any]) -> dict[str, Any]:
    known = ("records_in", "records_out", "quarantined", "bytes_")
    return {
        **{k: counts.get(k) for k in known},
        "detail": {k: v for k, v in counts.items() if k not in known} or None,
    }


def run_day(
    settings: Settings,
    day: dt.date,
    *,
    kind: str = "run",
    observer: RunObserver | None = None,
    clock: Clock = utc_now,
    wait_for_lock: bool = False,
    source: Source | None = None,
    allow_quality_failures: bool = False,
    defer: bool = False,
) -> RunSummary:
    """Run the whole pipeline for collection date ``day``; returns what happened (also in the state store).

    ``kind="replay"`` collects nothing: it transforms again every raw file of ``day`` that has quarantined
    records (after a fix), then processes, checks and loads as a run does (docs/quality.md).
    ``allow_quality_failures``: the gate holds nothing in this run; the fails it let through are recorded.
    ``defer``: a day of a range; the run stops after the board checks, ``collected`` (or ``partial``, when a
    board failed), and the range's step (``pipeline.range_finish``) processes, loads and settles it.
    """
    observer = observer or SilentObserver()
    lock_dir = settings.lock_dir()
    lock_dir.mkdir(parents=True, exist_ok=True)
    day_lock = FileLock(str(lock_dir / f"run-{day.isoformat()}.lock"), timeout=-1 if wait_for_lock else 0)
    try:
        day_lock.acquire()
    except Timeout:
        raise LockBusy(
            f"a run for {day.isoformat()} is already in progress (see `flightpipe runs`); "
            "wait for it to finish, or pass --wait to queue behind it"
        ) from None
    try:
        return _run_locked(
            settings,
            day,
            kind=kind,
            observer=observer,
            clock=clock,
            source=source,
            allow=allow_quality_failures,
            defer=defer,
        )
    finally:
        day_lock.release()


def _run_locked(
    settings: Settings,
    day: dt.date,
    *,
    kind: str,
    observer: RunObserver,
    clock: Clock,
    source: Source | None,
    allow: bool = False,
    defer: bool = False,
) -> RunSummary:
    started = time.perf_counter()
    plan = plan_day(settings, day, as_of=clock())
    run_id = plan.run_id
    # The source is opened inside the run (below), not here: resolving its credentials can fail, and a run that
    # cannot start must still be recorded and alerted like any other failed run.
    source_name = source.name if source is not None else settings.source.type
    store = ObjectStore(settings.data_dir)
    monitor: RunMonitor | None = None
    awaiting_range = False
    try:
        with StateStore.open(settings.paths().ledger) as state:
            state.runs.mark_abandoned()
            store.remove_leftover_temp_files()  # what a kill or a full disk left mid-write, an hour ago or more
            state.runs.start(
                run_id,
                kind=kind,
                day=day,
                airports=list(plan.airports),
                boards=[str(b) for b in plan.boards],
                source=source_name,
                simulated=settings.is_simulated,
            )
            summary = RunSummary(
                run_id=run_id,
                day=day,
                state=FAILED,
                source=source_name,
                simulated=settings.is_simulated,
                airports=list(plan.airports),
            )
            steps = _Steps(state.steps, run_id, observer)
            monitor = RunMonitor.start(settings, run_id=run_id, day=day, clock=clock)
            try:
                _run_stages(
                    settings, store, state, plan, summary, steps, kind=kind, source=source, allow=allow, defer=defer
                )
            except BaseException as exc:
                summary.failed_steps = list(steps.failed)
                # An interrupt (Ctrl-C, the scheduler's second SIGTERM) abandons the run; it did not fail.
                summary.state = ABANDONED if isinstance(exc, KeyboardInterrupt | SystemExit) else FAILED
                summary.duration_s = time.perf_counter() - started
                failure = f"{type(exc).__name__}: {exc}"
                state.runs.finish(run_id, summary.state, summary=summary.as_dict(), error=failure)
                raise
            summary.duration_s = time.perf_counter() - started
            failed_steps = "; ".join(steps.failed) if steps.failed else None
            state.runs.finish(run_id, summary.state, summary=summary.as_dict(), error=failed_steps)
            awaiting_range = summary.deferred
    finally:
        # Once the run's record is final: the monitor reads it back to decide the run's alerts. A deferred day's
        # record is final when its range's step settles it; that step monitors it then.
        if monitor is not None:
            if awaiting_range:
                monitor.release()
            else:
                monitor.finish()
    return summary


def _run_stages(
    settings: Settings,
    store: ObjectStore,
    state: StateStore,
    plan: DayPlan,
    summary: RunSummary,
    steps: _Steps,
    *,
    kind: str,
    source: Source | None,
    allow: bool,
    defer: bool = False,
) -> None:
    """The day's stages, filling in ``summary``; the quality results go to (and earlier ones come from) ``state``.
    ``defer``: up to the board checks (the range's step does the rest)."""
    day, run_id = plan.day, plan.run_id
    quality = RunQuality(settings, store, state.quality, run_id, allow_failures=allow)
    transform = RawTransform.configured(settings, store, steps)
    collected: list[CollectResult] = []
    if kind == "replay":
        transformed = retransform_quarantined(
            store, day, plan.airports, run_id, lambda key: transform(key, stage="replay")
        )
    else:
        source = source or _open_source(settings, state, steps)
        collected, transformed = _collect_and_transform(
            settings, store, source, steps, plan, transform, stream=not defer
        )
    transformed += verify_day(store, plan.airports, day, transform, keep_going=True).repaired
    touched = touched_flight_dates(store, transformed)
    summary.raw_files = len(collected)
    summary.records_collected = sum(c.records for c in collected)
    summary.rows_transformed = sum(t.rows_out for t in transformed)
    summary.records_quarantined = sum(t.quarantined for t in transformed)
    summary.corrupt_files = [t.raw_key for t in transformed if t.corrupt_reason]
    if defer:
        run_board_checks(quality, day, steps)
        quality.record()
        summary.quality_failures = quality.summary_lines()[0]  # its boards' fails; the range adds its flight dates'
        _defer_to_range(summary, plan, steps, touched, collected, kind=kind)
        return
    processed = _check_boards_beside_process(quality, store, day, touched, steps)
    summary.flight_dates = [p.flight_date for p in processed]
    summary.flights_processed = sum(p.flights_out for p in processed if p.flight_date == day)
    run_flight_date_checks(quality, summary.flight_dates, steps, processed=processed)
    quality.decide(summary.flight_dates)
    reports: list[tuple[str | None, str | None]] = []  # the report, written on the load's connection
    loads = load_flight_dates(
        settings,
        store,
        quality,
        summary.flight_dates,
        run_id=run_id,
        tracker=steps,
        batched=True,
        after=lambda warehouse: reports.append(write_run_report(settings, day, warehouse)),
    )
    summary.rows_loaded = sum(loaded.result.rows_loaded for loaded in loads)
    summary.report_path, summary.report_error = reports[0] if reports else write_run_report(settings, day)
    summary.failed_steps = list(steps.failed)
    summary.quality_failures, summary.held, summary.quality_overridden = quality.summary_lines()
    # summary.held includes the gate's unheld fails: a board whose every record went to quarantine holds no row.
    summary.state = FAILED_QUALITY if summary.held else PARTIAL if steps.failed else SUCCEEDED
    if kind != "replay" and plan.tasks and not collected:
        summary.state = FAILED  # not one board collected (a refused key, say): nothing of the day was done


def _check_boards_beside_process(
    quality: RunQuality, store: ObjectStore, day: dt.date, touched: list[dt.date], steps: _Steps
) -> list[ProcessResult]:
    """The day's board checks and the process of the flight dates it ``touched``, at once: they read different
    layers (transformed files, the window's rows into DuckDB) and share only the step log, and while process's
    DuckDB works without the GIL the checks' Python runs on the other core (a daily run: about 0.04 s less).
    A failure of either is raised once both are done."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="quality") as pool:
        board_checks = pool.submit(contextvars.copy_context().run, run_board_checks, quality, day, steps)
        processed = process_touched(store, touched, steps)  # if it fails, leaving the block waits for the checks
        board_checks.result()
    return processed


def _defer_to_range(
    summary: RunSummary,
    plan: DayPlan,
    steps: _Steps,
    touched: list[dt.date],
    collected: list[CollectResult],
    *,
    kind: str,
) -> None:
    """A range's day after its board checks: ``collected`` (or ``partial``) with the flight dates its rows touch,
    for the range's step; a day that collected nothing is ``failed`` now and left out of the range."""
    summary.flight_dates = touched
    summary.failed_steps = list(steps.failed)
    if kind != "replay" and plan.tasks and not collected:
        summary.state = FAILED
        return
    summary.deferred = True
    summary.state = PARTIAL if steps.failed else COLLECTED


def _open_source(settings: Settings, state: StateStore, steps: _Steps) -> Source:
    """The configured source, its credentials resolved, counting its requests and noting its credits in the run's
    ``state``. A failure (a missing or unreadable credential) is recorded as a failed ``collect`` step named after
    the source, so the run's alert names it and says what to set."""
    started = time.perf_counter()
    try:
        source = open_source(settings, state=state)
    except Exception as exc:
        steps.record_failed("collect", settings.source.type, exc)
        raise
    # Outside the collect steps, so part of a run's overhead: the simulated source builds its season here.
    context = bind_log_context(run_id=steps.run_id, step=f"collect {settings.source.type}")
    log.info("source opened", extra={"data": {"duration_s": round(time.perf_counter() - started, 3)}})
    context.reset()
    return source


def _collect_and_transform(
    settings: Settings,
    store: ObjectStore,
    source: Source,
    steps: _Steps,
    plan: DayPlan,
    transform: RawTransform,
    *,
    stream: bool = True,
) -> tuple[list[CollectResult], list[TransformResult]]:
    """Collect every board in parallel; transform each raw file as soon as it lands (``stream``; the files that
    landed while a worker was busy go in one vectorised pass), or, a range's day, all of them in one vectorised
    pass once every board is collected: there the day's CPU counts more than its wall time, and a pass costs
    less than a call per file (docs/benchmarks.md)."""
    if not stream:
        collected = _collect(settings, store, source, steps, plan)
        steps.total("transform", len(collected))
        return collected, transform.many(sorted(c.raw_key for c in collected))
    tasks = plan.tasks
    steps.total("collect", len(tasks))
    steps.total("transform", len(tasks))
    landed: queue.Queue[str | None] = queue.Queue()

    def on_landed(key: str) -> None:
        if key.startswith("raw/") and RawKey.parse(key).run_id == plan.run_id:
            landed.put(key)

    transformed: list[TransformResult] = []
    results_lock = threading.Lock()

    def transform_worker() -> None:
        while (key := landed.get()) is not None:
            keys = [key, *_waiting(landed)]
            # The files that landed meanwhile go in one vectorised pass: the same files and steps as a call per
            # file, for less CPU (a file alone is the one-file case); a file that fails fails its own step only.
            results = transform.many(keys)
            with results_lock:
                transformed.extend(results)

    unsubscribe = store.subscribe(on_landed)
    workers = [
        threading.Thread(target=transform_worker, name=f"transform-{i}", daemon=True)
        for i in range(settings.transform_workers)
    ]
    for worker in workers:
        worker.start()
    try:
        collected = _collect(settings, store, source, steps, plan)
    finally:
        unsubscribe()
        for _ in workers:
            landed.put(None)
        for worker in workers:
            worker.join()
    return collected, transformed


def _collect(
    settings: Settings, store: ObjectStore, source: Source, steps: _Steps, plan: DayPlan
) -> list[CollectResult]:
    """Every board of ``plan`` collected in parallel; a board that fails is a failed step, the others go on."""
    steps.total("collect", len(plan.tasks))
    collected: list[CollectResult] = []
    with ThreadPoolExecutor(max_workers=settings.collect_workers, thread_name_prefix="collect") as pool:
        futures = [pool.submit(collect_planned, store, source, plan, task, steps) for task in plan.tasks]
        for future in as_completed(futures):
            try:
                collected.append(future.result())
            except Exception:  # noqa: BLE001,S112 - recorded as a failed step; the other boards go on
                continue
    return collected


def _waiting(landed: queue.Queue[str | None]) -> list[str]:
    """The keys already queued behind the one taken, without waiting; a stop signal found is put back (each
    worker must get its own)."""
    keys: list[str] = []
    while True:
        try:
            key = landed.get_nowait()
        except queue.Empty:
            return keys
        if key is None:
            landed.put(None)
            return keys
        keys.append(key)
