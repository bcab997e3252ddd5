"""`flightpipe schedule`: an injected clock and sleep drive days of schedule in milliseconds."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import ConfigError, LockBusy, SourceError
from flightpipe.core.layout import Board
from flightpipe.pipeline.runner import RunSummary, run_day
from flightpipe.pipeline.scheduler import Scheduler
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.state.store import StateStore


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class FakeTime:
    """A clock that only moves when the scheduler sleeps."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


def settings_for(tmp_path: Path, **schedule: Any) -> Settings:
    return load_settings(data_dir=str(tmp_path / "data"), airports="EDDH", schedule=schedule)


def record_run(settings: Settings, day: dt.date, state: str = "succeeded", kind: str = "run") -> RunSummary:
    ledger = StateStore.open(settings.resolved_ledger_path())
    run_id = f"{day.isoformat()}-{kind}-{len(ledger.runs.recent(limit=1000))}"
    ledger.runs.start(
        run_id,
        kind=kind,
        day=day,
        airports=settings.airports,
        boards=[str(b) for b in settings.boards],
        source="simulated",
        simulated=True,
    )
    ledger.runs.finish(run_id, state, summary={})
    ledger.close()
    return RunSummary(run_id, day, state, "simulated", True, list(settings.airports))


class FakeRuns:
    """Records each run (when, day, kind) in the ledger as succeeded; stops the scheduler after ``stop_after``."""

    def __init__(self, time_: FakeTime, stop_after: int, fail: set[dt.date] | None = None) -> None:
        self.time = time_
        self.stop_after = stop_after
        self.fail = fail or set()
        self.calls: list[tuple[dt.datetime, dt.date, str]] = []
        self.scheduler: Scheduler | None = None

    def __call__(self, settings: Settings, day: dt.date, *, kind: str, defer: bool = False) -> RunSummary:
        self.calls.append((self.time.now, day, kind))
        if len(self.calls) >= self.stop_after and self.scheduler is not None:
            self.scheduler.request_stop("test done")
        if day in self.fail:
            self.fail.discard(day)
            record_run(settings, day, "failed", kind)
            raise SourceError(f"{day}: HTTP 503")
        return record_run(settings, day, "succeeded", kind)


def scheduler_for(settings: Settings, start: dt.datetime, stop_after: int, **kwargs: Any) -> tuple[Scheduler, FakeRuns]:
    fake_time = FakeTime(start)
    runs = FakeRuns(fake_time, stop_after, **kwargs)
    scheduler = Scheduler(settings, run=runs, clock=fake_time.clock, sleep=fake_time.sleep)
    runs.scheduler = scheduler
    return scheduler, runs


def test_runs_at_each_fire_time_for_the_day_before(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="flightpipe.pipeline.scheduler")
    settings = settings_for(tmp_path, catch_up_days=0)  # default cron: 30 2 * * *, for yesterday
    record_run(settings, d("2026-06-08"))  # the last due day is already done when the daemon starts
    scheduler, runs = scheduler_for(settings, at("2026-06-10 01:00"), stop_after=3)
    scheduler.run_forever()
    assert runs.calls == [
        (at("2026-06-10 02:30"), d("2026-06-09"), "schedule"),
        (at("2026-06-11 02:30"), d("2026-06-10"), "schedule"),
        (at("2026-06-12 02:30"), d("2026-06-11"), "schedule"),
    ]
    messages = [r.getMessage() for r in caplog.records]
    assert messages[1] == "next run at 2026-06-10 02:30 UTC for 2026-06-09"
    assert "next run at 2026-06-11 02:30 UTC for 2026-06-10" in messages
    assert messages[-1] == "scheduler stopped (test done)"


def test_a_custom_cron_expression_decides_the_times(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, cron="15 4 * * mon", day_offset=3, catch_up_days=0)
    record_run(settings, d("2026-06-05"))  # the Monday 2026-06-08 run's day
    scheduler, runs = scheduler_for(settings, at("2026-06-10 12:00"), stop_after=2)
    scheduler.run_forever()
    assert runs.calls == [
        (at("2026-06-15 04:15"), d("2026-06-12"), "schedule"),
        (at("2026-06-22 04:15"), d("2026-06-19"), "schedule"),
    ]


def test_sleeps_in_slices_so_a_clock_jump_is_noticed(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, catch_up_days=0)
    record_run(settings, d("2026-06-08"))
    scheduler, runs = scheduler_for(settings, at("2026-06-10 01:00"), stop_after=1)
    scheduler.run_forever()
    assert len(runs.time.slept) == 90 and max(runs.time.slept) == 60  # 01:00 to 02:30 in one-minute slices


def test_catches_up_two_missed_days_in_order_after_downtime(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    for day in ("2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05", "2026-06-06"):
        record_run(settings, d(day))
    # The last run was at 06-07 02:30 (for 06-06); the machine was off until 06-10 09:00, so the runs for 06-07
    # and 06-08 were missed, and the one for 06-09 is due now.
    scheduler, runs = scheduler_for(settings, at("2026-06-10 09:00"), stop_after=3)
    scheduler.run_forever()
    assert runs.calls == [
        (at("2026-06-10 09:00"), d("2026-06-07"), "catch-up"),
        (at("2026-06-10 09:00"), d("2026-06-08"), "catch-up"),
        (at("2026-06-10 09:00"), d("2026-06-09"), "schedule"),
    ]


def test_catch_up_looks_back_only_as_far_as_configured(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, catch_up_days=2)
    scheduler, runs = scheduler_for(settings, at("2026-06-10 09:00"), stop_after=3)
    scheduler.run_forever()
    assert [day for _, day, _ in runs.calls] == [d("2026-06-07"), d("2026-06-08"), d("2026-06-09")]


def test_a_failed_day_does_not_stop_the_daemon_and_is_retried_at_the_next_fire(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, catch_up_days=1)
    record_run(settings, d("2026-06-07"))
    record_run(settings, d("2026-06-08"))
    scheduler, runs = scheduler_for(settings, at("2026-06-10 01:00"), stop_after=3, fail={d("2026-06-09")})
    scheduler.run_forever()
    assert runs.calls == [
        (at("2026-06-10 02:30"), d("2026-06-09"), "schedule"),  # fails
        (at("2026-06-11 02:30"), d("2026-06-09"), "catch-up"),  # retried
        (at("2026-06-11 02:30"), d("2026-06-10"), "schedule"),
    ]


def test_a_second_instance_refuses_to_start_and_says_who_holds_the_lock(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, catch_up_days=0)
    record_run(settings, d("2026-06-09"))
    first = Scheduler(
        settings, run=lambda *a, **k: record_run(settings, d("2026-06-10")), clock=lambda: at("2026-06-10 03:00")
    )
    thread = threading.Thread(target=first.run_forever)
    thread.start()
    try:
        holder = settings.lock_dir() / "scheduler.pid"
        deadline = time.monotonic() + 10
        while not holder.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        second = Scheduler(settings, run=lambda *a, **k: pytest.fail("the second instance ran"))
        with pytest.raises(LockBusy) as refused:
            second.run_forever()
    finally:
        first.request_stop("test done")
        thread.join(timeout=10)
    assert str(refused.value).startswith(
        f"another `flightpipe schedule` is already running for this data folder (held by pid {os.getpid()} on "
    )
    assert not thread.is_alive() and not holder.exists()


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_sigterm_during_a_run_lets_it_finish_and_starts_no_other(
    tmp_path: Path, restore_signals: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flightpipe.pipeline.scheduler")
    settings = settings_for(tmp_path, catch_up_days=2)
    finished: list[dt.date] = []

    def run(settings_: Settings, day: dt.date, *, kind: str, defer: bool = False) -> RunSummary:
        os.kill(os.getpid(), signal.SIGTERM)  # systemctl stop, in the middle of the first of three due days
        summary = record_run(settings_, day, "succeeded", kind)
        finished.append(day)
        return summary

    scheduler = Scheduler(settings, run=run, clock=lambda: at("2026-06-10 03:00"))
    scheduler.install_signal_handlers()
    scheduler.run_forever()
    assert finished == [d("2026-06-07")]
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "SIGTERM received: finishing the run for 2026-06-07, then stopping (send it again to abandon the run)"
        in messages
    )
    assert "not starting the run for 2026-06-08: stopping" in messages
    assert messages[-1] == "scheduler stopped (SIGTERM)"


def test_a_second_sigterm_abandons_the_run_in_the_ledger(tmp_path: Path, restore_signals: None) -> None:
    settings = settings_for(tmp_path, catch_up_days=0)

    class Interrupted:
        name, format = "simulated", "aviationstack"

        def __init__(self) -> None:
            self.inner = SimulatedSource()

        def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
            if board == Board.DEPARTURES:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.3)
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.3)
            return self.inner.fetch_board(icao, day, board, as_of=as_of)

    def run(settings_: Settings, day: dt.date, *, kind: str, defer: bool = False) -> RunSummary:
        return run_day(settings_, day, kind=kind, clock=lambda: at("2026-06-10 03:00"), source=Interrupted())

    scheduler = Scheduler(settings, run=run, clock=lambda: at("2026-06-10 03:00"))
    scheduler.install_signal_handlers()
    scheduler.run_forever()
    [record] = StateStore.open(settings.resolved_ledger_path()).runs.recent()
    assert (record.day, record.state, record.kind) == ("2026-06-09", "abandoned", "schedule")
    assert record.error == "StopNow: second SIGTERM: abandoning the run for 2026-06-09"


def test_an_invalid_cron_expression_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"schedule.cron: '61 2 \* \* \*' is not a cron expression; use 5 fields in UTC"
    ):
        settings_for(tmp_path, cron="61 2 * * *")


def _cli(*args: str, cwd: Path, **popen: Any) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    env.update(
        COLUMNS="200", FLIGHTPIPE__AIRPORTS="EDDH", FLIGHTPIPE__SCHEDULE__CATCH_UP_DAYS="0", FLIGHTPIPE__DATA_DIR="data"
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flightpipe.cli", *args], cwd=cwd, env=env, text=True, stderr=subprocess.PIPE, **popen
    )


@pytest.mark.slow
def test_the_schedule_command_runs_refuses_a_second_instance_and_stops_on_sigterm(tmp_path: Path) -> None:
    daemon = _cli("schedule", cwd=tmp_path, stdout=subprocess.DEVNULL)
    assert daemon.stderr is not None
    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = daemon.stderr.readline()
        if not line:
            break
        lines.append(json.loads(line))
        if lines[-1]["message"].startswith("next run at"):
            break
    messages = [entry["message"] for entry in lines]
    assert messages[0].startswith("scheduler started: cron '30 2 * * *' (UTC)")
    assert any(m.startswith("the schedule run for ") and m.endswith(" ended succeeded") for m in messages)
    assert messages[-1].startswith("next run at ") and messages[-1].endswith(" UTC for " + lines[-1]["data"]["day"])
    run_lines = [entry for entry in lines if entry["logger"] == "flightpipe.pipeline.runner"]
    assert run_lines and all(entry["run_id"] and entry["step"] for entry in run_lines)

    second = _cli("schedule", cwd=tmp_path, stdout=subprocess.PIPE)
    _, second_err = second.communicate(timeout=60)
    assert second.returncode == 3
    assert (
        f"another `flightpipe schedule` is already running for this data folder (held by pid {daemon.pid}" in second_err
    )

    daemon.send_signal(signal.SIGTERM)
    _, rest = daemon.communicate(timeout=30)
    assert daemon.returncode == 0
    tail = [json.loads(line)["message"] for line in (rest or "").splitlines()]
    assert tail[-2:] == ["SIGTERM received: stopping", "scheduler stopped (SIGTERM)"]
