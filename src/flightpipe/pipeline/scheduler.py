"""``flightpipe schedule``: the daemon that runs the pipeline on a cron schedule (UTC).

* At every fire time of ``schedule.cron`` it runs the collection day ``schedule.day_offset`` days before the fire
  date (default: 02:30 UTC, for yesterday).
* **Catch-up**: at start and at every fire it also runs, oldest first, each day of the look-back window
  (``schedule.catch_up_days`` before the scheduled day) that has no succeeded run covering every configured
  airport and board in the state store: days missed while the machine was down, and days whose run failed.
  More than one due day is a range, run as ``flightpipe backfill`` runs one: each day up to its board checks,
  then every flight date of the days processed and loaded once (``pipeline.range_finish``).
* **One instance** per data folder: a file lock; a second ``flightpipe schedule`` refuses to start (exit 3).
* **SIGTERM/SIGINT**: while idle it stops at once; during a run it lets the run finish, then stops; a second
  signal abandons the run (recorded ``abandoned``; the next start catches the day up).
* It logs when it will run next, and what for.

Clock and sleep are injected, so tests drive a week of schedule in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Protocol

from croniter import croniter
from filelock import FileLock, Timeout

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, collection_day, utc_now
from flightpipe.core.errors import FlightpipeError, LockBusy
from flightpipe.pipeline.backfill import awaiting_range
from flightpipe.pipeline.completeness import incomplete_days
from flightpipe.pipeline.range_finish import RangeFinish, finish_range
from flightpipe.pipeline.runner import RunSummary, run_day
from flightpipe.state.store import StateStore

log = logging.getLogger(__name__)

Sleep = Callable[[float], object]

KIND_SCHEDULED = "schedule"
KIND_CATCH_UP = "catch-up"

#: Sleep in slices of at most this, so a jump of the wall clock (suspend, NTP) is noticed within a minute.
MAX_SLEEP_S = 60.0


class DayRunner(Protocol):
    def __call__(self, settings: Settings, day: dt.date, *, kind: str, defer: bool = False) -> RunSummary: ...


def _run_day(settings: Settings, day: dt.date, *, kind: str, defer: bool = False) -> RunSummary:
    return run_day(settings, day, kind=kind, defer=defer)


class RangeFinisher(Protocol):
    def __call__(self, settings: Settings, days: list[RunSummary]) -> RangeFinish: ...


def _finish_range(settings: Settings, days: list[RunSummary]) -> RangeFinish:
    return finish_range(settings, days)


class StopNow(KeyboardInterrupt):
    """Raised in the main thread by a second SIGTERM/SIGINT: abandon the run in progress."""


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        *,
        run: DayRunner = _run_day,
        finish: RangeFinisher = _finish_range,
        clock: Clock = utc_now,
        sleep: Sleep | None = None,
    ) -> None:
        self.settings = settings
        self.schedule = settings.schedule
        self._run = run
        self._finish = finish
        self._clock = clock
        self._stop = threading.Event()
        self._sleep: Sleep = sleep or self._stop.wait
        self._stop_reason = ""
        self._running_day: dt.date | None = None

    # When ---------------------------------------------------------------------------------------------------

    def next_fire(self, now: dt.datetime) -> dt.datetime:
        """The first fire time strictly after ``now``."""
        fire: dt.datetime = croniter(self.schedule.cron, now.astimezone(dt.UTC)).get_next(dt.datetime)
        return fire.astimezone(dt.UTC)

    def last_fire(self, now: dt.datetime) -> dt.datetime:
        """The latest fire time at or before ``now``."""
        start = now.astimezone(dt.UTC) + dt.timedelta(microseconds=1)
        fire: dt.datetime = croniter(self.schedule.cron, start).get_prev(dt.datetime)
        return fire.astimezone(dt.UTC)

    def day_for(self, fire: dt.datetime) -> dt.date:
        return collection_day(fire, self.schedule.day_offset)

    def due_days(self, now: dt.datetime) -> list[dt.date]:
        """Days of the look-back window without a complete succeeded run, oldest first."""
        latest = self.day_for(self.last_fire(now))
        window = [latest - dt.timedelta(days=n) for n in range(self.schedule.catch_up_days, -1, -1)]
        return incomplete_days(self.settings, window)

    # Life cycle ----------------------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: stop after the current run; the second one abandons it. Main thread only."""

        def handle(signum: int, frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if not self.stopping:
                if self._running_day is not None:
                    log.warning(
                        "%s received: finishing the run for %s, then stopping (send it again to abandon the run)",
                        name,
                        self._running_day.isoformat(),
                    )
                else:
                    log.warning("%s received: stopping", name)
                self.request_stop(name)
                return
            if self._running_day is not None:
                raise StopNow(f"second {name}: abandoning the run for {self._running_day.isoformat()}")

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def run_forever(self) -> None:
        """Hold the single-instance lock and run on schedule until asked to stop."""
        lock_dir = self.settings.lock_dir()
        lock_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_dir / "scheduler.lock"), timeout=0)
        holder_file = lock_dir / "scheduler.pid"
        try:
            lock.acquire()
        except Timeout:
            raise LockBusy(
                f"another `flightpipe schedule` is already running for this data folder ({_holder(holder_file)}); "
                "only one may run at a time: stop it first (e.g. `systemctl stop flightpipe-schedule`)"
            ) from None
        try:
            holder_file.write_text(f"pid {os.getpid()} on {socket.gethostname()}\n", encoding="utf-8")
            self._loop()
        finally:
            holder_file.unlink(missing_ok=True)
            lock.release()

    def _loop(self) -> None:
        s = self.schedule
        log.info(
            "scheduler started: cron %r (UTC), each run collects the day %d day(s) before, catch-up window %d day(s)",
            s.cron,
            s.day_offset,
            s.catch_up_days,
            extra={"data": {"cron": s.cron, "day_offset": s.day_offset, "catch_up_days": s.catch_up_days}},
        )
        try:
            self.run_due()
            while not self.stopping:
                fire = self.next_fire(self._clock())
                log.info(
                    "next run at %s UTC for %s",
                    fire.strftime("%Y-%m-%d %H:%M"),
                    self.day_for(fire).isoformat(),
                    extra={"data": {"next_run": fire.isoformat(), "day": self.day_for(fire).isoformat()}},
                )
                if not self._sleep_until(fire):
                    break
                self.run_due()
        except StopNow as stop:
            log.warning("%s; it is recorded as abandoned and will be caught up on the next start", stop)
        log.info("scheduler stopped (%s)", self._stop_reason or "done")

    def _sleep_until(self, when: dt.datetime) -> bool:
        """Sleep until ``when``; False when asked to stop first."""
        while not self.stopping:
            remaining = (when - self._clock()).total_seconds()
            if remaining <= 0:
                return True
            self._sleep(min(remaining, MAX_SLEEP_S))
        return False

    def run_due(self) -> list[tuple[dt.date, str]]:
        """Run every due day, oldest first; returns (day, state) of each run started. More than one due day (a
        catch-up) is a range, as a backfill runs it: each day up to its board checks, then their flight dates
        processed and loaded once (``pipeline.range_finish``); a day an interrupted catch-up left ``collected``
        is finished without being collected again."""
        now = self._clock()
        latest = self.day_for(self.last_fire(now))
        days = self.due_days(now)
        if len(days) > 1 or (days and days[0] != latest):
            log.info(
                "catching up %d day(s) without a succeeded run: %s",
                len([d for d in days if d != latest]),
                ", ".join(d.isoformat() for d in days if d != latest),
            )
        with StateStore.open(self.settings.paths().ledger) as state:
            waiting = {day: s for day in days if (s := awaiting_range(state, self.settings, day)) is not None}
        defer = len(days) > 1
        done: list[tuple[dt.date, str]] = []
        deferred: list[RunSummary] = []
        for day in days:
            if day in waiting:
                log.info("%s was collected by an interrupted catch-up: finishing it without collecting again", day)
                deferred.append(waiting[day])
                done.append((day, waiting[day].state))
                continue
            if self.stopping:
                log.info("not starting the run for %s: stopping", day.isoformat())
                break
            state_of_day, summary = self._run_one(day, KIND_SCHEDULED if day == latest else KIND_CATCH_UP, defer)
            done.append((day, state_of_day))
            if summary is not None and summary.deferred:
                deferred.append(summary)
        if deferred:
            # Also when asked to stop: what the days collected is processed and loaded before the daemon goes.
            finished = {s.day: s.state for s in self._finish_range(deferred)}
            done = [(day, finished.get(day, state_of_day)) for day, state_of_day in done]
        return done

    def _finish_range(self, deferred: list[RunSummary]) -> list[RunSummary]:
        try:
            finished = self._finish(self.settings, deferred)
        except Exception as exc:  # noqa: BLE001 - the range's run records it; the daemon carries on
            log.exception("processing and loading the caught-up days failed: %s", exc)
            return deferred
        log.info("the caught-up days' range ended %s", finished.state)
        return finished.days or deferred

    def _run_one(self, day: dt.date, kind: str, defer: bool = False) -> tuple[str, RunSummary | None]:
        self._running_day = day
        try:
            summary = (
                self._run(self.settings, day, kind=kind, defer=defer)
                if defer
                else self._run(self.settings, day, kind=kind)
            )
        except LockBusy as exc:
            log.warning("skipped %s: %s", day.isoformat(), exc)
            return "busy", None
        except FlightpipeError as exc:
            # Recorded in the state store and alerted by the run itself (also a run that could not open its source, a
            # missing credential); the daemon carries on with the next day.
            log.error("the %s run for %s failed: %s: %s", kind, day.isoformat(), type(exc).__name__, exc)
            return "failed", None
        except Exception as exc:  # noqa: BLE001 - an unexpected error must not kill the daemon
            log.exception("the %s run for %s failed unexpectedly: %s", kind, day.isoformat(), exc)
            return "failed", None
        finally:
            self._running_day = None
        log.info("the %s run for %s ended %s", kind, day.isoformat(), summary.state)
        return summary.state, summary


def _holder(holder_file: Path) -> str:
    try:
        return "held by " + holder_file.read_text(encoding="utf-8").strip()
    except OSError:
        return f"lock {holder_file.parent / 'scheduler.lock'}"
