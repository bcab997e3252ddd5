"""Which events a finished run raises, decided from its ledger records alone (a pure function: easy to test,
and the same rules whichever runtime recorded the run).

* ``run.failed``: the run ended failed, partial or abandoned (not by the quality gate); names the failed steps,
  their errors and what to do.
* ``quality.failed``: the quality gate stopped the run (``QualityGateFailed``), a step reported
  ``quality_failures`` in its detail (``[{rule, airport, board, message}]``, what the quality stage records),
  or a raw file was corrupt.
* ``data.missing``: a collect step succeeded but its board held no record.
* ``processing.delayed``: a step took more than ``slow_step_factor`` times its usual duration (and at least
  ``slow_step_min_seconds`` more), or the run started before its deadline and finished after it.
* ``run.succeeded``: the run succeeded (sent only when ``alerts.run_succeeded`` is on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from flightpipe.monitoring import events as ev
from flightpipe.monitoring.events import Event, FailedStep, QualityFailure
from flightpipe.monitoring.history import Usual, family_durations, step_family
from flightpipe.monitoring.settings import AlertsSettings
from flightpipe.state.runs import RUNNING, SUCCEEDED, RunRecord, StepRecord

QUALITY_GATE_ERROR = "QualityGateFailed"
QUALITY_FAILURES = "quality_failures"
#: Steps that stand for the quality gate holding data back, not for work that failed.
_GATE_STAGES = frozenset({"gate", "quality"})
_TRANSFORM_STAGES = frozenset({"transform", "verify"})


def deadline_for(day: dt.date, deadline_utc: dt.time | None) -> dt.datetime | None:
    """The moment collection day ``day`` is due loaded: ``deadline_utc`` on the following day."""
    if deadline_utc is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), deadline_utc.replace(tzinfo=None), tzinfo=dt.UTC)


def detect(
    run: RunRecord,
    steps: Sequence[StepRecord],
    usual: Mapping[str, Usual],
    settings: AlertsSettings,
    *,
    started: dt.datetime,
    finished: dt.datetime,
) -> list[Event]:
    day = dt.date.fromisoformat(run.day)
    found: list[Event] = []
    failures = quality_failures(run, steps)
    stopped_by_gate = _stopped_by_quality_gate(run, steps)
    if stopped_by_gate and not failures:
        failures = [QualityFailure("quality_gate", None, run.error or "the quality gate stopped the load")]
    if failures:
        found.append(ev.quality_failed(run_id=run.run_id, day=day, failures=failures, time=finished))
    # Work that failed (a board not collected, a load error) is a failed run even when the quality gate then held
    # what it fed: the quality alert says which rule, this one says which step failed, why and what to do.
    work_failed = [s for s in steps if s.state not in (SUCCEEDED, RUNNING) and s.stage not in _GATE_STAGES]
    if run.state not in (SUCCEEDED, RUNNING) and (work_failed or not stopped_by_gate):
        found.append(_run_failed(run, steps, day, finished))
    empty = [s for s in steps if s.stage == "collect" and s.state == SUCCEEDED and s.records_out == 0]
    missing = [_board_of(s.target) for s in empty]
    if missing:
        found.append(ev.data_missing(run_id=run.run_id, day=day, missing=missing, time=finished))
    found += slow_steps(run, steps, usual, settings, time=finished)
    deadline = deadline_for(day, settings.deadline_utc)
    if deadline is not None and started < deadline < finished:
        found.append(
            ev.deadline_missed(
                run_id=run.run_id, day=day, deadline=deadline, started_at=started, finished_at=finished, time=finished
            )
        )
    if run.state == SUCCEEDED:
        summary: Mapping[str, Any] = run.summary
        found.append(
            ev.run_succeeded(
                run_id=run.run_id,
                day=day,
                records_collected=int(summary.get("records_collected") or 0),
                rows_loaded=int(summary.get("rows_loaded") or 0),
                flight_dates=[str(d) for d in summary.get("flight_dates") or []],
                duration_s=float(summary.get("duration_s") or (finished - started).total_seconds()),
                source=run.source,
                time=finished,
            )
        )
    return found


def _run_failed(run: RunRecord, steps: Sequence[StepRecord], day: dt.date, time: dt.datetime) -> Event:
    failed = [s for s in steps if s.state not in (SUCCEEDED, RUNNING) and s.stage not in _GATE_STAGES]
    return ev.run_failed(
        run_id=run.run_id,
        day=day,
        state=run.state,
        error=run.error,
        failed_steps=[FailedStep(s.stage, s.target, s.error or s.state) for s in failed],
        # The problem is which work failed and why, not which attempt: a retry failing the same way is the same.
        problem_steps=sorted({f"{step_family(s.stage, s.target)}:{ev.error_type(s.error)}" for s in failed}),
        time=time,
    )


def _stopped_by_quality_gate(run: RunRecord, steps: Sequence[StepRecord]) -> bool:
    if run.state == SUCCEEDED:
        return False
    if "quality" in run.state or ev.error_type(run.error) == QUALITY_GATE_ERROR:
        return True
    return any(ev.error_type(s.error) == QUALITY_GATE_ERROR for s in steps)


def quality_failures(run: RunRecord, steps: Sequence[StepRecord]) -> list[QualityFailure]:
    """Corrupt raw files, plus every fail the quality rules reported (flightpipe.quality: the quarantine share,
    volume band, ... each recorded in its quality step's ``quality_failures``)."""
    found: list[QualityFailure] = []
    reported: list[Any] = list(run.summary.get(QUALITY_FAILURES) or [])
    for step in steps:
        reported += list(step.detail.get(QUALITY_FAILURES) or [])
        if step.stage not in _TRANSFORM_STAGES:
            continue
        airport, board = _board_of(step.target)
        if step.detail.get("corrupt"):
            found.append(
                QualityFailure("corrupt_raw_file", airport, f"raw file unreadable: {step.detail['corrupt']}", board)
            )
    for entry in reported:
        if isinstance(entry, Mapping) and str(entry.get("level", "fail")).lower() in {"fail", "error"}:
            found.append(QualityFailure.from_mapping(entry))
    return found


def slow_steps(
    run: RunRecord,
    steps: Sequence[StepRecord],
    usual: Mapping[str, Usual],
    settings: AlertsSettings,
    *,
    time: dt.datetime,
) -> list[Event]:
    day = dt.date.fromisoformat(run.day)
    found = []
    for family, duration in sorted(family_durations(steps).items()):
        known = usual.get(family)
        if known is None or known.runs < settings.slow_step_min_history:
            continue
        if duration > settings.slow_step_factor * known.median_s and duration - known.median_s >= (
            settings.slow_step_min_seconds
        ):
            stage, _, target = family.partition(" ")
            found.append(
                ev.slow_step(
                    run_id=run.run_id,
                    day=day,
                    stage=stage,
                    target=target or "all",
                    family=family,
                    duration_s=duration,
                    usual_s=known.median_s,
                    history_runs=known.runs,
                    time=time,
                )
            )
    return found


def _board_of(target: str) -> tuple[str, str]:
    parts = target.split("/")
    return parts[0], parts[1] if len(parts) > 1 else ""
