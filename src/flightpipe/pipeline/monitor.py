"""The one hook the runner calls: :meth:`RunMonitor.start` when a run begins, :meth:`RunMonitor.finish` when its
run record in the state store is final.

start: binds the run id to every log line of the run, logs the start, and arms the deadline watchdog (a thread
that raises ``processing.delayed`` if the run is still going at its deadline; only for a run that started
before its deadline: a backfill of an old day is not "late").

finish: writes the run's metrics files, decides the run's events from the state store (``detect``), sends them
(``alerts``), logs the end. Nothing in here can fail the run: every error is logged and swallowed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Sequence

from flightpipe.config import Settings
from flightpipe.core.clock import Clock
from flightpipe.core.logs import bind_log_context, log_context
from flightpipe.core.store import ObjectStore
from flightpipe.monitoring import events as ev
from flightpipe.monitoring.alerts import AlertDispatcher, Dispatched
from flightpipe.monitoring.detect import deadline_for, detect
from flightpipe.monitoring.events import Event
from flightpipe.monitoring.history import usual_durations
from flightpipe.monitoring.metrics import run_metrics, write_run_metrics
from flightpipe.monitoring.notifiers import build_notifiers
from flightpipe.state.runs import FAILED, RUNNING
from flightpipe.state.store import StateStore

log = logging.getLogger(__name__)


def dispatch_events(settings: Settings, events: Sequence[Event], *, clock: Clock) -> list[Dispatched]:
    """Send ``events`` through the configured notifiers, once per problem per day. Never raises."""
    if not events:
        return []
    try:
        state = StateStore.open(settings.paths().ledger)
    except Exception:  # noqa: BLE001 - no alert must ever fail the pipeline
        log.exception("cannot open the alert log; %d alert(s) not sent", len(events))
        return []
    with state:
        dispatcher = AlertDispatcher(settings.alerts, state.alerts, build_notifiers(settings.alerts), clock=clock)
        return [dispatcher.dispatch(event) for event in events]


class RunMonitor:
    def __init__(self, settings: Settings, *, run_id: str, day: dt.date, clock: Clock) -> None:
        self.settings = settings
        self.run_id = run_id
        self.day = day
        self.clock = clock
        self.started = clock()
        self.dispatched: list[Dispatched] = []
        self._done = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._context = bind_log_context(run_id=run_id)

    @classmethod
    def start(cls, settings: Settings, *, run_id: str, day: dt.date, clock: Clock) -> RunMonitor:
        monitor = cls(settings, run_id=run_id, day=day, clock=clock)
        try:
            monitor._arm()
        except Exception:  # noqa: BLE001 - monitoring must not stop a run from starting
            log.exception("could not arm the run monitor")
        return monitor

    def _arm(self) -> None:
        deadline = deadline_for(self.day, self.settings.alerts.deadline_utc)
        log.info(
            "run started for %s",
            self.day.isoformat(),
            extra={"data": {"day": self.day.isoformat(), "deadline": deadline.isoformat() if deadline else None}},
        )
        if deadline is not None and self.started < deadline:
            self._watchdog = threading.Thread(
                target=self._watch, args=(deadline,), name=f"deadline-{self.run_id}", daemon=True
            )
            self._watchdog.start()

    def _watch(self, deadline: dt.datetime) -> None:
        with log_context(run_id=self.run_id):
            try:
                if self._done.wait(max(0.0, (deadline - self.clock()).total_seconds())):
                    return
                log.warning("the run is still going at its deadline %s", deadline.isoformat())
                event = ev.deadline_missed(
                    run_id=self.run_id,
                    day=self.day,
                    deadline=deadline,
                    started_at=self.started,
                    finished_at=None,
                    time=self.clock(),
                )
                self.dispatched += dispatch_events(self.settings, [event], clock=self.clock)
            except Exception:  # noqa: BLE001 - a watchdog failure must not touch the run
                log.exception("the deadline watchdog failed")

    def release(self) -> None:
        """The run stopped without a final record (a range's day waiting for its range's step, which monitors
        it once settled): the watchdog stops; no metrics, no alerts yet."""
        self._done.set()
        if self._watchdog is not None:
            self._watchdog.join()
        self._context.reset()

    def finish(self) -> None:
        """Metrics, events, alerts for the finished run; logs and swallows any error of its own."""
        try:
            self._done.set()
            if self._watchdog is not None:
                self._watchdog.join()
            self._finish()
        except Exception:  # noqa: BLE001 - monitoring must never fail the pipeline
            log.exception("monitoring the finished run failed (the run itself is not affected)")
        finally:
            self._context.reset()

    def _finish(self) -> None:
        finished = self.clock()
        with StateStore.open(self.settings.paths().ledger) as state:
            run = state.runs.find(self.run_id)
            if run is None:
                log.error("run %s is not in the ledger; no metrics, no alerts", self.run_id)
                return
            steps = state.steps.of_run(self.run_id)
            usual = usual_durations(state, runs=self.settings.alerts.slow_step_history, exclude_run_id=self.run_id)
        if run.state == RUNNING:
            # The run is over, but the ledger could not record how (a full disk): alert it as failed.
            run = dataclasses.replace(run, state=FAILED, error="the ledger could not record the end of the run")
        metrics = run_metrics(run, steps)
        try:
            keys = write_run_metrics(ObjectStore(self.settings.data_dir), metrics)
        except Exception:  # noqa: BLE001 - metrics files are a convenience; alerts still go out
            log.exception("could not write the run's metrics files")
            keys = []
        events = detect(run, steps, usual, self.settings.alerts, started=self.started, finished=finished)
        outcomes = dispatch_events(self.settings, events, clock=self.clock)
        self.dispatched += outcomes
        log.info(
            "run %s for %s in %.1f s",
            run.state,
            run.day,
            run.duration_s or 0.0,
            extra={
                "data": {
                    "state": run.state,
                    "day": run.day,
                    "steps": len(steps),
                    "metrics": keys[:2],
                    "alerts_sent": [o.event.name for o in outcomes if o.sent],
                }
            },
        )
