"""The Actions: run a day, backfill a range, replay a day's quarantine — one at a time, in a background thread,
with progress the page polls (``Job.as_dict``).

Each action is the pipeline's own call (``run_day``, ``run_backfill``), exactly as ``flightpipe run``,
``backfill`` and ``quarantine --replay`` make it: the same locks, ledger records and alerts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flightpipe.config import Settings
from flightpipe.core.clock import utc_now
from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact
from flightpipe.pipeline.backfill import collection_days, run_backfill
from flightpipe.pipeline.quarantined import ReplayAccount, quarantine_summary
from flightpipe.pipeline.range_finish import RangeFinish, finish_range
from flightpipe.pipeline.runner import RunSummary, run_day

RUNNING, DONE, FAILED = "running", "done", "failed"
#: A backfill from the console covers at most this many days (a year); the CLI has no such limit.
MAX_BACKFILL_DAYS = 366


class Busy(ConfigError):
    """Another action of this console is still running."""


@dataclass
class StageProgress:
    total: int = 0
    done: int = 0
    failed: int = 0


@dataclass
class Job:
    """One action: what it is, how far it got, and how each day's run ended."""

    job_id: int
    title: str
    state: str = RUNNING
    started_at: str = field(default_factory=lambda: utc_now().isoformat(timespec="seconds"))
    current_day: str | None = None
    stages: dict[str, StageProgress] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # The runner's RunObserver: called from its worker threads.
    def stage_total(self, stage: str, total: int) -> None:
        with self._lock:
            self.stages.setdefault(stage, StageProgress()).total = total

    def step_done(self, stage: str, target: str, ok: bool) -> None:
        with self._lock:
            progress = self.stages.setdefault(stage, StageProgress())
            progress.done += 1
            progress.failed += 0 if ok else 1

    def say(self, message: str) -> None:
        with self._lock:
            self.messages.append(redact(message))

    def ran(self, summary: RunSummary) -> None:
        with self._lock:
            self.runs.append(
                {
                    "run_id": summary.run_id,
                    "day": summary.day.isoformat(),
                    "state": summary.state,
                    "rows_loaded": summary.rows_loaded,
                    "records_quarantined": summary.records_quarantined,
                    "failed_steps": [redact(s) for s in summary.failed_steps],
                }
            )

    def start_day(self, day: dt.date) -> None:
        with self._lock:
            self.current_day = day.isoformat()
            self.stages = {}

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "job_id": self.job_id,
                "title": self.title,
                "state": self.state,
                "started_at": self.started_at,
                "current_day": self.current_day,
                "stages": {k: {"total": v.total, "done": v.done, "failed": v.failed} for k, v in self.stages.items()},
                "runs": list(self.runs),
                "messages": list(self.messages),
                "error": self.error,
            }


class Jobs:
    """The console's actions: at most one running; every job kept for the life of the server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: -j.job_id)

    def run_day(self, day: dt.date, *, allow_quality_failures: bool = False) -> Job:
        _not_future(day)

        def work(job: Job) -> None:
            job.start_day(day)
            job.ran(self._run(day, "run", job, allow_quality_failures))

        return self._start(f"run {day.isoformat()}", work)

    def backfill(self, first: dt.date, last: dt.date, *, force: bool = False) -> Job:
        _not_future(last)
        if last < first:
            raise ConfigError(f"the range ends ({last}) before it starts ({first})")
        days = collection_days(first, last)
        if len(days) > MAX_BACKFILL_DAYS:
            raise ConfigError(f"at most {MAX_BACKFILL_DAYS} days at a time from the console, got {len(days)}")

        def work(job: Job) -> None:
            def one(day: dt.date, *, defer: bool) -> RunSummary:
                job.start_day(day)
                return self._run(day, "backfill", job, False, defer=defer)

            def finish(summaries: list[RunSummary]) -> RangeFinish:
                job.say(f"processing and loading the flight dates of {len(summaries)} day(s) once")
                return finish_range(self.settings, summaries, observer=job)

            result = run_backfill(
                self.settings,
                days,
                force=force,
                run=one,
                on_skip=lambda d: job.say(f"{d}: complete, skipped"),
                finish=finish,
            )
            for summary in result.summaries:  # as they ended: a range's days once its step settled them
                job.ran(summary)
            job.say(f"ran {len(result.ran)} day(s), {len(result.failed)} not succeeded, {len(result.skipped)} skipped")

        return self._start(f"backfill {first.isoformat()} to {last.isoformat()}" + (" (force)" if force else ""), work)

    def replay(self, day: dt.date) -> Job:
        def work(job: Job) -> None:
            job.start_day(day)
            before = quarantine_summary(self.settings, day)
            job.ran(self._run(day, "replay", job, False))
            account = ReplayAccount(before, quarantine_summary(self.settings, day))
            job.say(f"replay recovered {account.recovered} records; {account.still_quarantined} still quarantined")

        return self._start(f"replay the quarantine of {day.isoformat()}", work)

    def _run(
        self, day: dt.date, kind: str, job: Job, allow_quality_failures: bool, *, defer: bool = False
    ) -> RunSummary:
        return run_day(
            self.settings, day, kind=kind, observer=job, allow_quality_failures=allow_quality_failures, defer=defer
        )

    def _start(self, title: str, work: Callable[[Job], None]) -> Job:
        with self._lock:
            running = [j for j in self._jobs.values() if j.state == RUNNING]
            if running:
                raise Busy(f"wait for the running action to finish: {running[0].title}")
            job = Job(next(self._ids), title)
            self._jobs[job.job_id] = job

        def body() -> None:
            try:
                work(job)
                job.state = FAILED if any(r["state"] != "succeeded" for r in job.runs) else DONE
            except Exception as exc:  # noqa: BLE001 - the page shows why; the server keeps serving
                job.error = redact(f"{type(exc).__name__}: {exc}")
                job.state = FAILED

        threading.Thread(target=body, name=f"console-job-{job.job_id}", daemon=True).start()
        return job


def _not_future(day: dt.date) -> None:
    today = utc_now().date()
    if day > today:
        raise ConfigError(f"{day.isoformat()} is in the future (today is {today.isoformat()} UTC)")
