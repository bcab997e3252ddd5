"""The console's actions: one at a time, each the pipeline's own call, failures kept for the page."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.pipeline.runner import RunSummary
from flightpipe.ui import jobs as jobs_module
from flightpipe.ui.jobs import Busy, Jobs

DAY = dt.date(2026, 6, 9)


def _wait(job: jobs_module.Job) -> None:
    deadline = time.monotonic() + 5
    while job.state == jobs_module.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_second_action_waits_for_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release, started = threading.Event(), threading.Event()
    calls: list[tuple[dt.date, str]] = []

    def fake_run_day(settings: Any, day: dt.date, *, kind: str, observer: Any, **_: Any) -> RunSummary:
        calls.append((day, kind))
        observer.stage_total("collect", 2)
        observer.step_done("collect", "EDDH/departures", True)
        started.set()
        release.wait(5)
        return RunSummary("r1", day, "succeeded", "simulated", True, ["EDDH"])

    monkeypatch.setattr(jobs_module, "run_day", fake_run_day)
    jobs = Jobs(load_settings(data_dir=str(tmp_path / "data")))
    first = jobs.run_day(DAY)
    with pytest.raises(Busy, match=f"wait for the running action to finish: run {DAY}"):
        jobs.run_day(DAY)
    assert started.wait(5)
    assert first.as_dict()["stages"] == {"collect": {"total": 2, "done": 1, "failed": 0}}
    release.set()
    _wait(first)
    assert first.as_dict()["state"] == "done" and first.as_dict()["runs"][0]["run_id"] == "r1"
    assert calls == [(DAY, "run")]


def test_an_action_that_raises_is_failed_with_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> RunSummary:
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs_module, "run_day", broken)
    job = Jobs(load_settings(data_dir=str(tmp_path / "data"))).run_day(DAY)
    _wait(job)
    assert (job.state, job.error) == ("failed", "RuntimeError: disk full")


def test_a_future_day_or_a_reversed_range_is_refused(tmp_path: Path) -> None:
    jobs = Jobs(load_settings(data_dir=str(tmp_path / "data")))
    with pytest.raises(ConfigError, match="is in the future"):
        jobs.run_day(dt.date.today() + dt.timedelta(days=2))
    with pytest.raises(ConfigError, match=r"the range ends \(2026-06-01\) before it starts \(2026-06-09\)"):
        jobs.backfill(DAY, dt.date(2026, 6, 1))


def test_a_backfill_runs_each_day_in_order_and_says_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run_day(settings: Any, day: dt.date, *, kind: str, **_: Any) -> RunSummary:
        return RunSummary(f"r-{day}", day, "failed" if day == DAY else "succeeded", "simulated", True, ["EDDH"])

    monkeypatch.setattr(jobs_module, "run_day", fake_run_day)
    job = Jobs(load_settings(data_dir=str(tmp_path / "data"))).backfill(DAY - dt.timedelta(days=1), DAY)
    _wait(job)
    found = job.as_dict()
    assert [(r["day"], r["state"]) for r in found["runs"]] == [("2026-06-08", "succeeded"), ("2026-06-09", "failed")]
    assert found["messages"] == ["ran 2 day(s), 1 not succeeded, 0 skipped"]
    assert found["state"] == "failed"
