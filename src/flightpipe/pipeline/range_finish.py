"""The range's step of a backfill or a catch-up: every flight date the range's days touched, processed, checked,
gated and loaded once, then the report once; then each day's run settled.

A range of days runs each day as far as its board checks (``run_day(defer=True)``: collect, transform the day's
files in one vectorised pass, verify, board rules), so that what is costly per day and shared between days is
done once for the range:

  process   the flight dates of all the days in passes of ``CHUNK_FLIGHT_DATES`` (``stages.process_range``:
            each pass reads the window's transformed files once), each pass followed by its flight-date rules,
  gate      the stored board results of the days (the latest per board, as a run's gate reads them) and the
            pass's flight-date results,
  load      each flight date once, set-based where it loads whole (``pipeline.load.load_decided``, batched),
  report    once, for the last day.

A day-by-day backfill processed and loaded every flight date twice (a day's run reprocesses the day before,
whose arrivals it collected) and wrote a report per day.

The step is recorded as a run of its own, kind ``range`` (``range-<first>-<last>-<UTC start>``, no boards: it
never makes a day complete by itself), with the process, quality and load steps. Then each day's run, until now
``collected`` (or ``partial``: a board failed), is settled: ``failed quality`` when the gate held (part of) its
own flight date, or something because of a fail of its own boards; ``partial`` when one of its steps failed;
else ``succeeded``; its monitor then writes its metrics and sends its alerts. (Day by day, a run also reported
the holds of the date before, which it processed again; in a range each hold is its own day's or its cause's.)

Killed or failed before that, the days stay ``collected``: the next backfill of the range (or the scheduler's
catch-up) finishes them with this step without collecting them again (``Runs.awaiting_range``); every stage
replaces what it writes, so finishing twice gives the same warehouse.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.monitor import RunMonitor
from flightpipe.pipeline.quality import RunQuality, result_line
from flightpipe.pipeline.range_flow import PassLoads, RangeFlow
from flightpipe.pipeline.report import write_run_report
from flightpipe.pipeline.runner import LedgerSteps, RunObserver, RunSummary, SilentObserver
from flightpipe.quality.api import RuleResult, Scope
from flightpipe.quality.gate import GateDecision, Hold
from flightpipe.stages.process import ProcessResult
from flightpipe.state.runs import ABANDONED, FAILED, FAILED_QUALITY, PARTIAL, SUCCEEDED
from flightpipe.state.store import StateStore

log = logging.getLogger(__name__)

KIND = "range"
RUN_PREFIX = "range-"


@dataclass
class RangeFinish:
    """The range's step: its run, the flight dates it loaded, and the days it settled (their final summaries)."""

    run_id: str
    state: str = FAILED
    flight_dates: list[dt.date] = field(default_factory=list)
    days: list[RunSummary] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    error: str | None = None
    report_path: str | None = None
    duration_s: float = 0.0


def finish_range(
    settings: Settings,
    days: Sequence[RunSummary],
    *,
    clock: Clock = utc_now,
    allow_quality_failures: bool = False,
    observer: RunObserver | None = None,
) -> RangeFinish:
    """Process, check, gate and load every flight date ``days`` touched, write the last day's report, then settle
    each day's run (the ``RunSummary`` objects are updated in place). ``days``: deferred runs (``collected`` or
    ``partial``), this invocation's or left by an interrupted one. Never raises for a failure of the work (the
    range's run records it, its monitor alerts it, and the days stay ``collected`` for the next attempt); an
    interrupt is recorded ``abandoned`` and raised."""
    started = time.perf_counter()
    days = sorted(days, key=lambda s: s.day)
    first, last = days[0].day, days[-1].day
    run_id = f"{RUN_PREFIX}{first:%Y%m%d}-{last:%Y%m%d}-{clock().astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}"
    outcome = RangeFinish(run_id)
    flight_dates = sorted({d for s in days for d in s.flight_dates})
    outcome.flight_dates = flight_dates
    store = ObjectStore(settings.data_dir)
    monitor = RunMonitor.start(settings, run_id=run_id, day=first, clock=clock)
    try:
        with StateStore.open(settings.paths().ledger) as state:
            state.runs.start(
                run_id,
                kind=KIND,
                day=first,
                airports=list(settings.airports),
                boards=[],  # it collects no board: only the days' own runs make a day complete
                source=settings.source.type,
                simulated=settings.is_simulated,
            )
            steps = LedgerSteps(state.steps, run_id, observer or SilentObserver())
            quality = RunQuality(settings, store, state.quality, run_id, allow_failures=allow_quality_failures)
            summary: dict[str, Any] = {
                "days": [s.day.isoformat() for s in days],
                "flight_dates": [d.isoformat() for d in flight_dates],
            }
            try:
                processed, loaded = _process_and_load(settings, store, state, steps, quality, days, flight_dates)
            except BaseException as exc:
                outcome.state = ABANDONED if isinstance(exc, KeyboardInterrupt | SystemExit) else FAILED
                outcome.error = f"{type(exc).__name__}: {exc}"
                outcome.duration_s = time.perf_counter() - started
                state.runs.finish(run_id, outcome.state, summary=summary, error=outcome.error)
                if outcome.state == ABANDONED:
                    raise
                log.error("the range's step failed; its days stay collected for the next attempt: %s", outcome.error)
                return outcome
            outcome.report_path, report_error = write_run_report(settings, last)
            # A held flight date is a failed ``gate`` step: the holds settle the days it concerns, not the others.
            work_failed = [f for f in steps.failed if not f.startswith("gate ")]
            _settle(state, days, quality.decision, quality, processed, loaded, work_failed)
            days[-1].report_path, days[-1].report_error = outcome.report_path, report_error
            outcome.days = list(days)
            outcome.held = quality.summary_lines()[1]
            outcome.state = FAILED_QUALITY if outcome.held else PARTIAL if steps.failed else SUCCEEDED
            outcome.duration_s = time.perf_counter() - started
            summary |= {
                "flights": sum(p.flights_out for p in processed),
                "rows_loaded": sum(loaded.values()),
                "held": outcome.held,
                "report_path": outcome.report_path,
            }
            state.runs.finish(
                run_id, outcome.state, summary=summary, error="; ".join(steps.failed) if steps.failed else None
            )
    finally:
        monitor.finish()
    for day in outcome.days:  # their records are final now: their metrics and alerts, as a run's
        RunMonitor(settings, run_id=day.run_id, day=day.day, clock=clock).finish()
    return outcome


def _process_and_load(
    settings: Settings,
    store: ObjectStore,
    state: StateStore,
    steps: LedgerSteps,
    quality: RunQuality,
    days: Sequence[RunSummary],
    flight_dates: list[dt.date],
) -> tuple[list[ProcessResult], dict[dt.date, int]]:
    """The passes (process, flight-date rules, gate, load), then the range's gate decision and quality results."""
    with PassLoads(settings, store, quality, steps, quality.run_id) as loads:
        with RangeFlow(store, quality, steps, set(), on_pass=loads.load_pass) as flow:
            flow.add_touched(flight_dates)
            processed, quality.flight_date_results = flow.finish()
        # The days' own board results (their runs stored them): a fail among them that feeds no flight date
        # loaded here held nothing, and still fails its day.
        days_boards = state.quality.latest_board_results([s.day for s in days])
        quality.decide(flight_dates, also_own=days_boards)
        loads.finish()
    return processed, {done.flight_date: done.result.rows_loaded for done in loads.loaded}


def _settle(
    state: StateStore,
    days: Sequence[RunSummary],
    decision: GateDecision,
    quality: RunQuality,
    processed: list[ProcessResult],
    loaded: dict[dt.date, int],
    range_failed: list[str],
) -> None:
    """Each day's final state and counts, as its own run would have recorded them (``RunSummary`` updated)."""
    flights = {p.flight_date: p.flights_out for p in processed}
    owner = _load_owners(days, loaded)
    fails = [r for r in quality.flight_date_results if r.failed]
    for summary in days:
        mine = set(summary.flight_dates)
        holds = [h.describe() for h in _holds_of_day(decision, summary)]
        unheld = _of_day(decision.unheld, summary)
        holds += [f"{result_line(r)} (no row of it to load)" for r in unheld]
        summary.held = holds
        summary.quality_failures = [
            result_line(r) for r in fails if r.partition is not None and r.partition.date in mine
        ] + summary.quality_failures
        summary.quality_overridden = [result_line(r) for r in decision.overridden if _concerns(r, summary)]
        summary.flights_processed = flights.get(summary.day, 0)
        summary.rows_loaded = sum(rows for d, rows in loaded.items() if owner.get(d) == summary.day)
        summary.range_run_id = quality.run_id
        summary.failed_steps = summary.failed_steps + [f"range: {f}" for f in range_failed]
        summary.state = FAILED_QUALITY if holds else PARTIAL if summary.failed_steps else SUCCEEDED
        error = "; ".join(summary.failed_steps) if summary.failed_steps else None
        state.runs.settle(summary.run_id, summary.state, summary=summary.as_dict(), error=error)


def _holds_of_day(decision: GateDecision, summary: RunSummary) -> list[Hold]:
    """The holds a day answers for: of its own flight date, or caused by a fail of its own boards (day by day,
    each later run that processed a held date again reported its hold again, though running that later day
    again changed nothing)."""
    return [
        hold
        for flight_date, hold in sorted(decision.holds.items())
        if hold.active
        and (
            flight_date == summary.day
            or any(
                r.partition is not None and r.partition.scope is Scope.BOARD and r.partition.date == summary.day
                for r in hold.because
            )
        )
    ]


def _load_owners(days: Sequence[RunSummary], loaded: dict[dt.date, int]) -> dict[dt.date, dt.date]:
    """Which day's run counts a flight date's loaded rows (each once): the day of that date when it is in the
    range, else the nearest day whose rows touched it (the first day's arrivals touch the date before)."""
    in_range = {s.day for s in days}
    owners: dict[dt.date, dt.date] = {}
    for flight_date in loaded:
        if flight_date in in_range:
            owners[flight_date] = flight_date
            continue
        touching = [s.day for s in days if flight_date in s.flight_dates] or [s.day for s in days]
        owners[flight_date] = min(touching, key=lambda d: (abs((d - flight_date).days), d))
    return owners


def _of_day(results: Sequence[RuleResult], summary: RunSummary) -> list[RuleResult]:
    return [r for r in results if r.partition is not None and r.partition.date == summary.day]


def _concerns(result: RuleResult, summary: RunSummary) -> bool:
    part = result.partition
    return part is not None and (part.date == summary.day or part.date in summary.flight_dates)
