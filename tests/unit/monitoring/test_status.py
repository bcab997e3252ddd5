"""`flightpipe status`: last run per day, steps, duration trend, next run, and anything late or failing."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from flightpipe.config import Settings, load_settings
from flightpipe.monitoring.status import build_status
from flightpipe.state.store import StateStore
from tests.helpers.simulated_store import SimulatedStores

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)  # the 02:30 run for 06-09 is due, its 06:00 deadline passed


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def settings_for(tmp_path: Path, **alerts: Any) -> Settings:
    return load_settings(data_dir=str(tmp_path / "data"), airports="EDDH", alerts=alerts)


def add_run(
    settings: Settings,
    day: str,
    state: str = "succeeded",
    *,
    run_id: str,
    collect_s: float = 1.0,
    finish: bool = True,
) -> None:
    with StateStore.open(settings.paths().ledger) as store:
        store.runs.start(
            run_id,
            kind="run",
            day=d(day),
            airports=["EDDH"],
            boards=["departures", "arrivals"],
            source="simulated",
            simulated=True,
        )
        for board in ("departures", "arrivals"):
            step = store.steps.start(run_id, "collect", f"EDDH/{board}")
            store.steps.finish(step, "succeeded", duration_s=collect_s, records_out=200)
        load = store.steps.start(run_id, "load", day)
        store.steps.finish(load, "succeeded" if state == "succeeded" else "failed", duration_s=0.5, records_out=300)
        if finish:
            store.runs.finish(run_id, state, summary={"records_collected": 400, "rows_loaded": 300}, error=None)


def seven_good_days(settings: Settings, *, without: str | None = None) -> None:
    for n in reversed(range(7)):  # in the order they ran
        day = d("2026-06-09") - dt.timedelta(days=n)
        if day.isoformat() != without:
            add_run(settings, day.isoformat(), run_id=f"r{day:%m%d}")


def test_a_week_of_succeeded_runs_is_healthy_and_names_the_next_run(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    seven_good_days(settings)
    report = build_status(settings.paths(), settings.alerts, settings.schedule, NOW)
    assert report.healthy and report.problems == []
    assert [(row.day, row.state) for row in report.days][:2] == [
        ("2026-06-09", "succeeded"),
        ("2026-06-08", "succeeded"),
    ]
    assert (report.next_run, report.next_run_day) == ("2026-06-11T02:30:00+00:00", "2026-06-10")
    assert [(s.stage, s.steps, s.ok) for s in report.latest_stages] == [("collect", 2, 2), ("load", 1, 1)]


def test_a_failed_day_and_a_missing_day_are_reported_as_problems(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    seven_good_days(settings, without="2026-06-07")
    add_run(settings, "2026-06-08", "failed", run_id="r0608b")
    add_run(settings, "2026-06-06", "failed", run_id="r0606b")
    with StateStore.open(settings.resolved_ledger_path()) as ledger:  # 06-06 never succeeded
        ledger.db.write("DELETE FROM runs WHERE run_id = 'r0606'")
    report = build_status(settings.paths(), settings.alerts, settings.schedule, NOW)
    rows = {row.day: row for row in report.days}
    assert (rows["2026-06-06"].state, rows["2026-06-06"].complete) == ("failed", False)
    assert (rows["2026-06-07"].state, rows["2026-06-07"].late) == ("missing", True)
    assert report.problems == [
        "2026-06-07: late, no succeeded run and the deadline has passed",
        "2026-06-06: the last run failed (run r0606b)",
        "2026-06-06: late, no succeeded run and the deadline has passed",
    ]


def test_a_failed_rerun_of_a_complete_day_is_no_problem_as_backfill_skips_the_day_too(tmp_path: Path) -> None:
    from flightpipe.pipeline.completeness import incomplete_days

    settings = settings_for(tmp_path)
    seven_good_days(settings)
    add_run(settings, "2026-06-08", "abandoned", run_id="r0608b")  # an interrupted rerun
    report = build_status(settings.paths(), settings.alerts, settings.schedule, NOW)
    rows = {row.day: row for row in report.days}
    assert (rows["2026-06-08"].state, rows["2026-06-08"].runs, rows["2026-06-08"].complete) == ("abandoned", 2, True)
    assert report.problems == [] and report.healthy
    assert incomplete_days(settings, [d("2026-06-08")]) == []


def test_a_day_is_late_only_once_its_deadline_has_passed(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    seven_good_days(settings, without="2026-06-09")
    before = build_status(
        settings.paths(), settings.alerts, settings.schedule, dt.datetime(2026, 6, 10, 5, 0, tzinfo=dt.UTC)
    )
    after = build_status(
        settings.paths(), settings.alerts, settings.schedule, dt.datetime(2026, 6, 10, 6, 1, tzinfo=dt.UTC)
    )
    assert (before.days[0].state, before.days[0].late, before.healthy) == ("missing", False, True)
    assert (after.days[0].late, after.healthy) == (True, False)


def test_a_run_still_going_past_its_deadline_is_late(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    seven_good_days(settings, without="2026-06-09")
    add_run(settings, "2026-06-09", run_id="r-running", finish=False)
    report = build_status(settings.paths(), settings.alerts, settings.schedule, NOW)
    assert (report.days[0].state, report.days[0].late) == ("running", True)
    assert report.problems == ["2026-06-09: late, no succeeded run and the deadline has passed"]


def test_a_latest_run_with_a_step_far_slower_than_usual_is_a_problem(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, slow_step_min_seconds=10)
    for n in reversed(range(1, 7)):
        day = d("2026-06-09") - dt.timedelta(days=n)
        add_run(settings, day.isoformat(), run_id=f"r{day:%m%d}", collect_s=5.0)
    add_run(settings, "2026-06-09", run_id="r0609", collect_s=40.0)
    report = build_status(settings.paths(), settings.alerts, settings.schedule, NOW)
    assert report.problems == [
        "2026-06-09: step collect EDDH/arrivals of the run for 2026-06-09 took 40.0 s, 8.0x its usual 5.0 s",
        "2026-06-09: step collect EDDH/departures of the run for 2026-06-09 took 40.0 s, 8.0x its usual 5.0 s",
    ]


def test_the_duration_trend_lists_succeeded_runs_oldest_first(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    seven_good_days(settings)
    report = build_status(settings.paths(), settings.alerts, settings.schedule, NOW)
    assert [p.run_id for p in report.trend] == [f"r06{n:02d}" for n in range(3, 10)]
    assert len(report.sparkline()) == 7 and report.trend_median_s is not None


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    # Every minute: the day due is always yesterday, whatever the time the test runs at.
    env.update(
        COLUMNS="200", FLIGHTPIPE__DATA_DIR="data", FLIGHTPIPE__AIRPORTS="EDDH", FLIGHTPIPE__SCHEDULE__CRON="* * * * *"
    )
    return subprocess.run(
        [sys.executable, "-m", "flightpipe.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_status_command_exits_0_when_healthy_and_1_when_a_day_is_late(
    tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    simulated_stores.copy(tmp_path / "data", ("EDDH",), (yesterday,))  # as `flightpipe run` leaves it
    healthy = _cli("status", "--days", "1", cwd=tmp_path)
    assert healthy.returncode == 0, healthy.stdout
    assert (
        "healthy" in healthy.stdout and "next scheduled run:" in healthy.stdout and "last run per day" in healthy.stdout
    )
    late = _cli("status", "--days", "2", "--json", cwd=tmp_path)
    assert late.returncode == 1
    report = json.loads(late.stdout)
    assert report["healthy"] is False and report["days"][1]["state"] == "missing"
    assert report["problems"] == [f"{report['days'][1]['day']}: late, no succeeded run and the deadline has passed"]
