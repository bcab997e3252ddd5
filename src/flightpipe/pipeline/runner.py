"""The local orchestrator: one day of the pipeline on one machine.

collect (thread pool, one task per airport and board)
  -> raw object lands -> event queue -> transform workers (start as soon as the first file lands)
  -> verify (every raw file of the day has its transformed twin; transforms any that lack one)
  -> process (every flight date the new rows touch) -> load (one flight date per transaction, single writer)

Every run and step is recorded in the ledger. A day's run holds a per-day lock, so a second run of the same
day waits for or refuses it; the warehouse load holds a global single-writer lock.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from filelock import FileLock, Timeout

from flightpipe.config import Settings
from flightpipe.core.errors import FlightpipeError, LockBusy, QualityGateFailed
from flightpipe.core.layout import Board, RawKey, raw_prefix
from flightpipe.core.logs import bind_log_context
from flightpipe.core.redact import redact
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.monitor import RunMonitor
from flightpipe.pipeline.quality import RunQuality, load_gated, record_rules
from flightpipe.pipeline.replay import retransform_quarantined
from flightpipe.pipeline.report import write_run_report
from flightpipe.quality.records import RecordRuleSet
from flightpipe.sources.base import Source
from flightpipe.sources.registry import make_source
from flightpipe.stages.collect import ApiCalls, CollectResult, collect_board
from flightpipe.stages.load import loader_lock
from flightpipe.stages.process import ProcessResult, process_flight_dates
from flightpipe.stages.transform import TransformResult, is_transformed, transform_raw_object
from flightpipe.state.ledger import ABANDONED, FAILED, FAILED_QUALITY, PARTIAL, SUCCEEDED, Ledger
from flightpipe.warehouse.base import LoadResult
from flightpipe.warehouse.factory import open_warehouse

Clock = Callable[[], dt.datetime]

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_run_id(now: dt.datetime) -> str:
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class RunObserver(Protocol):
    """Told about progress, for progress bars; the runner never depends on what it does."""

    def stage_total(self, stage: str, total: int) -> None: ...

    def step_done(self, stage: str, target: str, ok: bool) -> None: ...


class _SilentObserver:
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

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["flight_dates"] = [d.isoformat() for d in self.flight_dates]
        return data


class _Steps:
    """Records steps in the ledger and tells the observer; thread-safe (the ledger is)."""

    def __init__(self, ledger: Ledger, run_id: str, observer: RunObserver) -> None:
        self.ledger = ledger
        self.run_id = run_id
        self.observer = observer
        self.failed: list[str] = []
        self._lock = threading.Lock()

    @contextmanager
    def step(self, stage: str, target: str) -> Iterator[dict[str, Any]]:
        """Yields a dict the body fills with counts; an exception marks the step failed and propagates."""
        step_id = self.ledger.start_step(self.run_id, stage, target)
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
        self.ledger.finish_step(step_id, SUCCEEDED, duration_s=duration, **_step_counts(counts))
        log.info("step succeeded", extra={"data": {"duration_s": round(duration, 3), **_loggable(counts)}})
        context.reset()
        self.observer.step_done(stage, target, True)

    def record_failed(self, stage: str, target: str, exc: BaseException) -> None:
        """Records a step that failed before it could start its work (``step`` wraps work that runs)."""
        step_id = self.ledger.start_step(self.run_id, stage, target)
        context = bind_log_context(run_id=self.run_id, step=f"{stage} {target}")
        self._finish_failed(step_id, stage, target, exc, 0.0, {})
        context.reset()

    def _finish_failed(
        self, step_id: int, stage: str, target: str, exc: BaseException, duration: float, counts: dict[str, Any]
    ) -> None:
        self.ledger.finish_step(
            step_id, FAILED, duration_s=duration, error=f"{type(exc).__name__}: {exc}", **_step_counts(counts)
        )
        with self._lock:
            self.failed.append(f"{stage} {target}: {type(exc).__name__}: {redact(str(exc))}")
        log.error("step failed: %s: %s", type(exc).__name__, exc, extra={"data": {"duration_s": duration}})
        self.observer.step_done(stage, target, False)


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
) -> RunSummary:
    """Run the whole pipeline for collection date ``day``; returns what happened (also in the ledger).

    ``kind="replay"`` collects nothing: it transforms again every raw file of ``day`` that has quarantined
    records (after a fix), then processes, checks and loads as a run does (docs/quality.md).
    ``allow_quality_failures``: the gate holds nothing in this run; the fails it let through are recorded.
    """
    observer = observer or _SilentObserver()
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
            settings, day, kind=kind, observer=observer, clock=clock, source=source, allow=allow_quality_failures
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
) -> RunSummary:
    started = time.perf_counter()
    as_of = clock()
    run_id = new_run_id(as_of)
    # The source is opened inside the run (below), not here: resolving its credentials can fail, and a run that
    # cannot start must still be recorded and alerted like any other failed run.
    source_name = source.name if source is not None else settings.source.type
    store = ObjectStore(settings.data_dir)
    ledger = Ledger(settings.resolved_ledger_path())
    ledger.mark_abandoned()
    boards = [Board(b) for b in settings.boards]
    ledger.start_run(
        run_id,
        kind=kind,
        day=day,
        airports=settings.airports,
        boards=[str(b) for b in boards],
        source=source_name,
        simulated=settings.is_simulated,
    )
    summary = RunSummary(
        run_id=run_id,
        day=day,
        state=FAILED,
        source=source_name,
        simulated=settings.is_simulated,
        airports=list(settings.airports),
    )
    steps = _Steps(ledger, run_id, observer)
    quality = RunQuality(settings, store, ledger, run_id, allow_failures=allow)
    rules = record_rules(settings)
    monitor = RunMonitor.start(settings, run_id=run_id, day=day, clock=clock)
    try:
        collected: list[CollectResult] = []
        if kind == "replay":
            transformed = retransform_quarantined(
                store, day, settings.airports, run_id, lambda key: _transform_step(store, steps, key, "replay", rules)
            )
        else:
            source = source or _open_source(settings, steps)
            collected, transformed = _collect_and_transform(
                settings, store, source, steps, observer, day=day, boards=boards, run_id=run_id, as_of=as_of,
                rules=rules,
            )  # fmt: skip
        transformed += _verify(settings, store, steps, observer, day=day, rules=rules)
        observer.stage_total("quality", 1)  # the boards; the flight dates add one more below
        with steps.step("quality", f"boards {day.isoformat()}") as counts:
            counts.update(_quality_counts(quality.check_boards(day)))
        summary.raw_files = len(collected)
        summary.records_collected = sum(c.records for c in collected)
        summary.rows_transformed = sum(t.rows_out for t in transformed)
        summary.records_quarantined = sum(t.quarantined for t in transformed)
        summary.corrupt_files = [t.raw_key for t in transformed if t.corrupt_reason]
        flight_dates = sorted({d for t in transformed for d in t.flight_dates})
        processed = _process(store, steps, observer, flight_dates)
        summary.flight_dates = [p.flight_date for p in processed]
        summary.flights_processed = sum(p.flights_out for p in processed if p.flight_date == day)
        if processed:
            observer.stage_total("quality", 2)
            with steps.step("quality", ",".join(d.isoformat() for d in summary.flight_dates)) as counts:
                counts.update(_quality_counts(quality.check_flight_dates(processed)))
        quality.decide(summary.flight_dates)
        loads = _load(settings, store, steps, observer, summary.flight_dates, run_id=run_id, quality=quality)
        summary.rows_loaded = sum(r.rows_loaded for r in loads)
        summary.report_path, summary.report_error = write_run_report(settings, day)
        summary.failed_steps = list(steps.failed)
        summary.quality_failures, summary.held, summary.quality_overridden = quality.summary_lines()
        summary.state = FAILED_QUALITY if summary.held else PARTIAL if steps.failed else SUCCEEDED
    except BaseException as exc:
        summary.failed_steps = list(steps.failed)
        # An interrupt (Ctrl-C, the scheduler's second SIGTERM) abandons the run; it did not fail.
        summary.state = ABANDONED if isinstance(exc, KeyboardInterrupt | SystemExit) else FAILED
        summary.duration_s = time.perf_counter() - started
        ledger.finish_run(run_id, summary.state, summary=summary.as_dict(), error=f"{type(exc).__name__}: {exc}")
        ledger.close()
        monitor.finish()
        raise
    summary.duration_s = time.perf_counter() - started
    ledger.finish_run(
        run_id, summary.state, summary=summary.as_dict(), error="; ".join(steps.failed) if steps.failed else None
    )
    ledger.close()
    monitor.finish()
    return summary


def _open_source(settings: Settings, steps: _Steps) -> Source:
    """The configured source, its credentials resolved. A failure (a missing or unreadable credential) is recorded
    as a failed ``collect`` step named after the source, so the run's alert names it and says what to set."""
    try:
        return make_source(settings)
    except Exception as exc:
        steps.record_failed("collect", settings.source.type, exc)
        raise


def _collect_and_transform(
    settings: Settings,
    store: ObjectStore,
    source: Source,
    steps: _Steps,
    observer: RunObserver,
    *,
    day: dt.date,
    boards: list[Board],
    run_id: str,
    as_of: dt.datetime,
    rules: RecordRuleSet | None = None,
) -> tuple[list[CollectResult], list[TransformResult]]:
    """Collect every board in parallel; transform each raw file as soon as it lands."""
    tasks = [(icao, board) for icao in settings.airports for board in boards]
    observer.stage_total("collect", len(tasks))
    observer.stage_total("transform", len(tasks))
    landed: queue.Queue[str | None] = queue.Queue()

    def on_landed(key: str) -> None:
        if key.startswith("raw/") and RawKey.parse(key).run_id == run_id:
            landed.put(key)

    transformed: list[TransformResult] = []
    results_lock = threading.Lock()

    def transform_worker() -> None:
        while (key := landed.get()) is not None:
            try:
                result = _transform_step(store, steps, key, rules=rules)
            except FlightpipeError:
                continue  # recorded as a failed step; the other files go on
            except Exception:  # noqa: BLE001 - one bad file must not stop the day; the step records it
                continue
            with results_lock:
                transformed.append(result)

    unsubscribe = store.subscribe(on_landed)
    workers = [
        threading.Thread(target=transform_worker, name=f"transform-{i}", daemon=True)
        for i in range(settings.transform_workers)
    ]
    for worker in workers:
        worker.start()
    collected: list[CollectResult] = []
    try:
        with ThreadPoolExecutor(max_workers=settings.collect_workers, thread_name_prefix="collect") as pool:
            futures = {
                pool.submit(
                    _collect_step, store, source, steps, icao=icao, day=day, board=board, run_id=run_id, as_of=as_of
                ): (icao, board)
                for icao, board in tasks
            }
            for future in as_completed(futures):
                try:
                    collected.append(future.result())
                except Exception:  # noqa: BLE001,S112 - recorded as a failed step; the other boards go on
                    continue
    finally:
        unsubscribe()
        for _ in workers:
            landed.put(None)
        for worker in workers:
            worker.join()
    return collected, transformed


def _collect_step(
    store: ObjectStore,
    source: Source,
    steps: _Steps,
    *,
    icao: str,
    day: dt.date,
    board: Board,
    run_id: str,
    as_of: dt.datetime,
) -> CollectResult:
    calls = ApiCalls()
    with steps.step("collect", f"{icao}/{board}") as counts:
        try:
            result = collect_board(
                store, source, icao=icao, day=day, board=board, run_id=run_id, as_of=as_of, api_calls=calls
            )
        finally:
            # On a failed step too: the retries a failing source cost are what the metrics should show.
            if calls.requests:  # the metrics exporters pick these up (flightpipe.monitoring.metrics)
                counts.update(api_requests=calls.requests, api_retries=calls.retries)
        counts.update(
            records_out=result.records, bytes_=result.bytes_written, pages=result.pages, raw_key=result.raw_key
        )
    return result


def _transform_step(
    store: ObjectStore, steps: _Steps, raw_key: str, stage: str = "transform", rules: RecordRuleSet | None = None
) -> TransformResult:
    key = RawKey.parse(raw_key)
    with steps.step(stage, f"{key.icao}/{key.board}/{key.run_id}") as counts:
        result = transform_raw_object(store, raw_key, rules)
        counts.update(
            records_in=result.records_in,
            records_out=result.rows_out,
            quarantined=result.quarantined,
            bytes_=result.bytes_in,
            raw_key=raw_key,
        )
        if result.corrupt_reason:
            counts["corrupt"] = result.corrupt_reason
        if result.quarantined_by_rule:
            counts["quarantined_by_rule"] = result.quarantined_by_rule
    return result


def _verify(
    settings: Settings,
    store: ObjectStore,
    steps: _Steps,
    observer: RunObserver,
    *,
    day: dt.date,
    rules: RecordRuleSet | None = None,
) -> list[TransformResult]:
    """Every raw file of the day (this run's and any earlier, crashed one's) gets transformed."""
    missing = [
        key
        for icao in settings.airports
        for key in store.list(raw_prefix(icao, day))
        if key.endswith(".json") and not is_transformed(store, key)
    ]
    observer.stage_total("verify", len(missing))
    results = []
    for key in missing:
        try:
            results.append(_transform_step(store, steps, key, stage="verify", rules=rules))
        except Exception:  # noqa: BLE001,S112 - recorded as a failed step
            continue
    return results


def _process(
    store: ObjectStore, steps: _Steps, observer: RunObserver, flight_dates: list[dt.date]
) -> list[ProcessResult]:
    observer.stage_total("process", 1 if flight_dates else 0)  # one step: all touched dates in one SQL pass
    if not flight_dates:
        return []
    target = ",".join(d.isoformat() for d in flight_dates)
    with steps.step("process", target) as counts:
        results = process_flight_dates(store, flight_dates)
        counts.update(
            records_in=sum(r.rows_in for r in results),
            records_out=sum(r.flights_out for r in results),
            codeshares=sum(r.codeshares for r in results),
            duplicates_merged=sum(r.duplicates_merged for r in results),
        )
    return results


def _load(
    settings: Settings,
    store: ObjectStore,
    steps: _Steps,
    observer: RunObserver,
    flight_dates: list[dt.date],
    *,
    run_id: str,
    quality: RunQuality,
) -> list[LoadResult]:
    observer.stage_total("load", len(flight_dates))
    if not flight_dates and not quality.results:
        return []
    with loader_lock(settings):
        warehouse = open_warehouse(settings)
        observer.stage_total("load", len(flight_dates) + 1)  # the quality results are one more load step
        try:
            results = []
            for flight_date in flight_dates:
                hold = quality.decision.hold_for(flight_date)
                if hold is not None:
                    _gate_step(steps, hold.describe(), flight_date)
                    if hold.whole:
                        continue
                with steps.step("load", flight_date.isoformat()) as counts:
                    result = load_gated(store, warehouse, flight_date, hold, run_id=run_id)
                    counts.update(
                        records_out=result.rows_loaded,
                        replaced=result.rows_replaced,
                        codeshares=result.codeshares_loaded,
                    )
                    if hold is not None:
                        counts["held"] = hold.describe()
                results.append(result)
            if quality.decision.overridden:
                with steps.step("gate", "override") as counts:
                    counts["overridden"] = quality.summary_lines()[2]
            with steps.step("load", "quality_results") as counts:
                counts["records_out"] = warehouse.load_quality_results(quality.results_table())
            return results
        finally:
            warehouse.close()


def _gate_step(steps: _Steps, what: str, flight_date: dt.date) -> None:
    """A held flight date is a failed ``gate`` step whose error is QualityGateFailed (for alerting to route);
    the other flight dates go on loading."""
    try:
        with steps.step("gate", flight_date.isoformat()):
            raise QualityGateFailed(
                f"{what}; see `flightpipe check --date {flight_date.isoformat()}`, "
                "or rerun with --allow-quality-failures"
            )
    except QualityGateFailed:
        pass


def _quality_counts(results: list[Any]) -> dict[str, Any]:
    """Outcome counts, plus every fail as data for alerting (``quality_failures``: rule, airport, board)."""
    counts = _outcomes(results)
    failures = [
        {
            "rule": r.rule,
            "airport": r.partition.airport_icao if r.partition else None,
            "board": r.partition.board if r.partition else None,
            "message": r.message,
            "level": "fail",
        }
        for r in results
        if r.failed
    ]
    if failures:
        counts["quality_failures"] = failures
    return counts


def _outcomes(results: list[Any]) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for result in results:
        counts[str(result.outcome)] = counts.get(str(result.outcome), 0) + 1
    return counts
