"""``flightpipe status``: the state of the pipeline at a glance, from the state store and the alerts and schedule
settings.

* the last run of each recent day (state, kind, steps ok/total, records, duration);
* the steps of the latest run, stage by stage;
* the duration trend of the last succeeded runs (oldest to newest, and the latest against their median);
* the next scheduled run;
* problems: days whose last run failed, days late (no succeeded run and their deadline passed), a run still
  going past its deadline, steps of the latest run far slower than usual; and the alerts sent lately.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from croniter import croniter

from flightpipe.core.clock import collection_day
from flightpipe.core.paths import DataPaths
from flightpipe.monitoring.detect import deadline_for, slow_steps
from flightpipe.monitoring.history import usual_durations
from flightpipe.monitoring.settings import AlertsSettings, ScheduleSettings
from flightpipe.state.alerts import SentAlert
from flightpipe.state.runs import RUNNING, SUCCEEDED, RunRecord
from flightpipe.state.store import StateStore

TREND_RUNS = 10
_SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class DayStatus:
    day: str
    state: str  # the last run's state, or "missing"
    run_id: str | None = None
    kind: str | None = None
    runs: int = 0
    steps_ok: int = 0
    steps_total: int = 0
    records_collected: int | None = None
    rows_loaded: int | None = None
    duration_s: float | None = None
    late: bool = False
    #: An earlier succeeded run covered the day (the rule backfill and the scheduler skip days by), so a later
    #: run that failed or was interrupted is not a problem of the day's data.
    complete: bool = False


@dataclass(frozen=True, slots=True)
class StageStatus:
    stage: str
    steps: int
    ok: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class TrendPoint:
    run_id: str
    day: str
    duration_s: float


@dataclass
class StatusReport:
    now: str
    days: list[DayStatus]
    latest_run: str | None
    latest_stages: list[StageStatus]
    trend: list[TrendPoint]
    trend_median_s: float | None
    next_run: str | None
    next_run_day: str | None
    problems: list[str] = field(default_factory=list)
    recent_alerts: list[SentAlert] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["healthy"] = self.healthy
        return data

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, default=str) + "\n"

    def sparkline(self) -> str:
        values = [p.duration_s for p in self.trend]
        if not values:
            return ""
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        return "".join(_SPARK[min(len(_SPARK) - 1, int((v - low) / span * (len(_SPARK) - 1)))] for v in values)


def build_status(
    paths: DataPaths,
    alerts: AlertsSettings,
    schedule: ScheduleSettings,
    now: dt.datetime,
    *,
    days: int = 7,
    coverage: tuple[list[str], list[str]] | None = None,
) -> StatusReport:
    """The status of the ``days`` days up to the latest one due at ``now``, from the state file in ``paths``.
    ``coverage``: the configured (airports, boards) a complete day needs (default: those of its last run)."""
    with StateStore.open(paths.ledger) as state:
        return read_status(state, alerts, schedule, now, days=days, coverage=coverage)


def read_status(
    state: StateStore,
    alerts: AlertsSettings,
    schedule: ScheduleSettings,
    now: dt.datetime,
    *,
    days: int = 7,
    coverage: tuple[list[str], list[str]] | None = None,
) -> StatusReport:
    """The status of the ``days`` days up to the latest one due at ``now``, from an open state store."""
    now = now.astimezone(dt.UTC)
    fire_prev: dt.datetime = croniter(schedule.cron, now + dt.timedelta(microseconds=1)).get_prev(dt.datetime)
    fire_next: dt.datetime = croniter(schedule.cron, now).get_next(dt.datetime)
    latest_due = collection_day(fire_prev, schedule.day_offset)
    runs = state.runs.recent(limit=1000)
    by_day: dict[str, list[RunRecord]] = {}
    for run in runs:  # newest first
        by_day.setdefault(run.day, []).append(run)
    problems: list[str] = []
    day_rows: list[DayStatus] = []
    newest_day = max([latest_due, *(dt.date.fromisoformat(d) for d in by_day)])
    for offset in range(days):
        day = newest_day - dt.timedelta(days=offset)
        row = _day_status(state, day, by_day.get(day.isoformat(), []), alerts, now, latest_due, coverage)
        day_rows.append(row)
        if row.state not in (SUCCEEDED, RUNNING, "missing", "pending") and not row.complete:
            problems.append(f"{row.day}: the last run {row.state} (run {row.run_id})")
        if row.late:
            problems.append(f"{row.day}: late, no succeeded run and the deadline has passed")
    latest = runs[0] if runs else None
    stages: list[StageStatus] = []
    if latest is not None:
        steps = state.steps.of_run(latest.run_id)
        for stage in dict.fromkeys(s.stage for s in steps):
            of_stage = [s for s in steps if s.stage == stage]
            stages.append(
                StageStatus(
                    stage,
                    len(of_stage),
                    sum(s.state == SUCCEEDED for s in of_stage),
                    sum(s.duration_s or 0.0 for s in of_stage),
                )
            )
        if latest.state == SUCCEEDED:
            usual = usual_durations(state, runs=alerts.slow_step_history, exclude_run_id=latest.run_id)
            for event in slow_steps(latest, steps, usual, alerts, time=now):
                problems.append(f"{latest.day}: {event.summary}")
    trend = [
        TrendPoint(r.run_id, r.day, r.duration_s)
        for r in reversed([r for r in runs if r.state == SUCCEEDED and r.duration_s is not None][:TREND_RUNS])
        if r.duration_s is not None
    ]
    recent_alerts = state.alerts.recent(10)
    return StatusReport(
        now=now.isoformat(timespec="seconds"),
        days=day_rows,
        latest_run=latest.run_id if latest else None,
        latest_stages=stages,
        trend=trend,
        trend_median_s=statistics.median(p.duration_s for p in trend) if trend else None,
        next_run=fire_next.isoformat(),
        next_run_day=collection_day(fire_next, schedule.day_offset).isoformat(),
        problems=problems,
        recent_alerts=recent_alerts,
    )


def _day_status(
    state: StateStore,
    day: dt.date,
    runs: list[RunRecord],
    alerts: AlertsSettings,
    now: dt.datetime,
    latest_due: dt.date,
    coverage: tuple[list[str], list[str]] | None = None,
) -> DayStatus:
    deadline = deadline_for(day, alerts.deadline_utc)
    past_deadline = deadline is not None and now > deadline
    succeeded = any(r.state == SUCCEEDED for r in runs)
    if not runs:
        late = day <= latest_due and past_deadline
        return DayStatus(day.isoformat(), "missing" if day <= latest_due else "pending", late=late)
    last = runs[0]
    steps = state.steps.of_run(last.run_id)
    airports, boards = coverage or (last.airports, last.boards)
    return DayStatus(
        day=day.isoformat(),
        state=last.state,
        run_id=last.run_id,
        kind=last.kind,
        runs=len(runs),
        steps_ok=sum(s.state == SUCCEEDED for s in steps),
        steps_total=len(steps),
        records_collected=last.summary.get("records_collected"),
        rows_loaded=last.summary.get("rows_loaded"),
        duration_s=last.duration_s,
        late=not succeeded and past_deadline,
        complete=state.runs.is_day_complete(day, airports, boards),
    )
