"""The alert events: names and shapes, shared by the local runtime and the AWS stack.

This module is the contract. The local notifiers (log, email, webhook, SNS) send these events, and the AWS
stack's notify function (``flightpipe.aws.handlers.notify``, at the end of every execution) publishes the same
ones to its SNS topic, in the SNS message the local SNS notifier sends (``render.sns_message``: the body is
:meth:`Event.message`, ``{"source": "flightpipe", "detail-type": <name>, "detail": ...}``), so one filter policy
and one consumer work for both. Neither side calls EventBridge ``PutEvents``; ``message()`` only has its shape.
The AWS side knows less than the ledger: some fields are null there (docs/operations.md says which). Change a name
or a field only together with the AWS side; add fields freely (consumers ignore what they do not know), and bump
``SCHEMA_VERSION`` when a field changes meaning.

Every event names a **problem** (``problem``): together with the event name and the collection day it is the
deduplication key, so a problem is alerted once a day however often it recurs (retries, catch-up runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flightpipe.core.redact import redact, redact_obj

SCHEMA_VERSION = 1
EVENT_SOURCE = "flightpipe"

RUN_FAILED = "flightpipe.run.failed"
RUN_SUCCEEDED = "flightpipe.run.succeeded"
QUALITY_FAILED = "flightpipe.quality.failed"
DATA_MISSING = "flightpipe.data.missing"
PROCESSING_DELAYED = "flightpipe.processing.delayed"

EVENT_NAMES: tuple[str, ...] = (RUN_FAILED, RUN_SUCCEEDED, QUALITY_FAILED, DATA_MISSING, PROCESSING_DELAYED)

#: ``processing.delayed`` comes in two kinds.
DELAY_DEADLINE = "deadline"
DELAY_SLOW_STEP = "slow_step"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class QualityFailure:
    """One failed quality rule for one airport (and board, when the rule is per board)."""

    rule: str
    airport: str | None
    message: str
    board: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "airport": self.airport, "board": self.board, "message": self.message}

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any]) -> QualityFailure:
        """Read the ``quality_failures`` entries a step may carry in its ledger detail (the quality gate's)."""
        return cls(
            rule=str(value.get("rule") or "unnamed rule"),
            airport=str(value["airport"]) if value.get("airport") else None,
            message=str(value.get("message") or ""),
            board=str(value["board"]) if value.get("board") else None,
        )


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    severity: Severity
    day: dt.date
    run_id: str | None
    summary: str
    remedy: str
    problem: str
    time: dt.datetime
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Summaries quote error messages, which may quote URLs: mask secrets once, here, for every notifier.
        object.__setattr__(self, "summary", redact(self.summary))
        object.__setattr__(self, "remedy", redact(self.remedy))

    @property
    def dedup_key(self) -> str:
        return f"{self.name}|{self.day.isoformat()}|{self.problem}"

    def detail(self) -> dict[str, Any]:
        """The event body: the same keys for every event, then the event's own fields. Secrets are masked."""
        body: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "event": self.name,
            "severity": str(self.severity),
            "time": _iso(self.time),
            "day": self.day.isoformat(),
            "run_id": self.run_id,
            "summary": self.summary,
            "remedy": self.remedy,
            "problem": self.problem,
        }
        body.update(self.fields)
        return dict(redact_obj(body))

    def message(self) -> dict[str, Any]:
        """The event in EventBridge's envelope (``source``, ``detail-type``, ``detail``): what webhooks (format
        ``event``) and SNS subscribers other than e-mail receive, locally and from the AWS stack."""
        return {"source": EVENT_SOURCE, "detail-type": self.name, "time": _iso(self.time), "detail": self.detail()}


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Constructors: one per event, so every producer fills the same fields. ------------------------------------


@dataclass(frozen=True, slots=True)
class FailedStep:
    stage: str
    target: str
    error: str

    @property
    def error_type(self) -> str:
        return error_type(self.error)


def error_type(error: str | None) -> str:
    """The exception class name the ledger stores first (``"SourceError: ..."`` -> ``SourceError``)."""
    if not error:
        return "unknown"
    head = error.split(":", 1)[0].strip()
    return head if head.isidentifier() else "unknown"


def run_failed(
    *,
    run_id: str,
    day: dt.date,
    state: str,
    error: str | None,
    failed_steps: Sequence[FailedStep],
    time: dt.datetime,
    problem_steps: Sequence[str] = (),
) -> Event:
    first = failed_steps[0] if failed_steps else None
    where = f"{first.stage} {first.target}" if first else "the run"
    cause = first.error if first else (error or "no error recorded")
    summary = f"flightpipe run for {day.isoformat()} {state}: {where} failed: {cause}"
    if len(failed_steps) > 1:
        summary += f" (and {len(failed_steps) - 1} more step{'s' if len(failed_steps) > 2 else ''})"
    kinds = sorted({s.error_type for s in failed_steps} or {error_type(error)})
    return Event(
        name=RUN_FAILED,
        severity=Severity.ERROR,
        day=day,
        run_id=run_id,
        summary=summary,
        remedy=remedy_for(kinds, day, state, errors=[s.error for s in failed_steps] or [error or ""]),
        problem=",".join(problem_steps) or f"{state}:{error_type(error)}",
        time=time,
        fields={
            "state": state,
            "error": error,
            "error_types": kinds,
            "failed_steps": [{"stage": s.stage, "target": s.target, "error": s.error} for s in failed_steps],
        },
    )


def run_succeeded(
    *,
    run_id: str,
    day: dt.date,
    records_collected: int | None,
    rows_loaded: int,
    flight_dates: Sequence[str],
    duration_s: float | None,
    source: str | None,
    time: dt.datetime,
) -> Event:
    """``None``: not known to the producer (the AWS notify handler sees neither the records collected, which the
    state machine drops, nor the source or the run's duration); the field is then null and left out of the text."""
    collected = "" if records_collected is None else f"{records_collected} records collected from {source}, "
    took = f" in {duration_s:.1f} s" if duration_s is not None else ""
    summary = (
        f"flightpipe run for {day.isoformat()} succeeded: {collected}"
        f"{rows_loaded} rows loaded for {', '.join(flight_dates) or 'no flight date'}{took}"
    )
    return Event(
        name=RUN_SUCCEEDED,
        severity=Severity.INFO,
        day=day,
        run_id=run_id,
        summary=summary,
        remedy="nothing to do",
        problem=run_id,
        time=time,
        fields={
            "records_collected": records_collected,
            "rows_loaded": rows_loaded,
            "flight_dates": list(flight_dates),
            "duration_s": round(duration_s, 3) if duration_s is not None else None,
            "source": source,
        },
    )


def quality_failed(*, run_id: str, day: dt.date, failures: Sequence[QualityFailure], time: dt.datetime) -> Event:
    rules = sorted({f.rule for f in failures})
    airports = sorted({f.airport for f in failures if f.airport})
    summary = (
        f"data quality failed for {day.isoformat()}: rule{'s' if len(rules) > 1 else ''} {', '.join(rules)} "
        f"at {', '.join(airports) or 'all airports'}"
    )
    return Event(
        name=QUALITY_FAILED,
        severity=Severity.ERROR,
        day=day,
        run_id=run_id,
        summary=summary,
        # The same commands docs/operations.md gives for this event: one answer wherever the operator reads it.
        remedy=(
            f"see every rule's result with `flightpipe check --date {day.isoformat()}` and the rejected records "
            f"with `flightpipe quarantine --date {day.isoformat()}`; if the source sent bad data, collect the day "
            f"again later with `flightpipe run --date {day.isoformat()}`; if a rule is too strict, change its "
            "threshold in the config"
        ),
        problem=",".join(sorted({f"{f.rule}@{f.airport or '*'}" for f in failures})),
        time=time,
        fields={"rules": rules, "airports": airports, "failures": [f.as_dict() for f in failures]},
    )


def data_missing(*, run_id: str, day: dt.date, missing: Sequence[tuple[str, str]], time: dt.datetime) -> Event:
    """``missing``: (airport, board) pairs whose collection returned no record at all."""
    pairs = sorted(set(missing))
    airports = sorted({a for a, _ in pairs})
    listed = ", ".join(f"{a} {b}" for a, b in pairs)
    return Event(
        name=DATA_MISSING,
        severity=Severity.WARNING,
        day=day,
        run_id=run_id,
        summary=f"no data for {day.isoformat()}: {listed} returned no flights",
        remedy=(
            "check that the airport is served by the source and the API account may read it (plan, quota); "
            f"collect the day again with `flightpipe run --date {day.isoformat()} --airports {','.join(airports)}`"
        ),
        problem=",".join(f"{a}/{b}" for a, b in pairs),
        time=time,
        fields={"airports": airports, "missing": [{"airport": a, "board": b} for a, b in pairs]},
    )


def deadline_missed(
    *,
    run_id: str,
    day: dt.date,
    deadline: dt.datetime,
    started_at: dt.datetime,
    finished_at: dt.datetime | None,
    time: dt.datetime,
) -> Event:
    state = "is still running" if finished_at is None else f"finished only at {_iso(finished_at)}"
    return Event(
        name=PROCESSING_DELAYED,
        severity=Severity.WARNING,
        day=day,
        run_id=run_id,
        summary=f"the run for {day.isoformat()} missed its deadline {_iso(deadline)}: it {state}",
        remedy=(
            "see which step is slow: `flightpipe status` and `flightpipe runs show RUN_ID`; a source that answers "
            "slowly or rate-limits is the usual cause; the run goes on by itself"
        ),
        problem=DELAY_DEADLINE,
        time=time,
        fields={
            "kind": DELAY_DEADLINE,
            "deadline": _iso(deadline),
            "started_at": _iso(started_at),
            "finished_at": _iso(finished_at) if finished_at else None,
        },
    )


def slow_step(
    *,
    run_id: str,
    day: dt.date,
    stage: str,
    target: str,
    family: str,
    duration_s: float,
    usual_s: float,
    history_runs: int,
    time: dt.datetime,
) -> Event:
    ratio = duration_s / usual_s if usual_s > 0 else float("inf")
    return Event(
        name=PROCESSING_DELAYED,
        severity=Severity.WARNING,
        day=day,
        run_id=run_id,
        summary=(
            f"step {stage} {target} of the run for {day.isoformat()} took {duration_s:.1f} s, "
            f"{ratio:.1f}x its usual {usual_s:.1f} s"
        ),
        remedy=(
            "compare with earlier runs (`flightpipe status`); a slow source or a much larger board is the usual "
            "cause; nothing to do if it does not recur"
        ),
        problem=f"{DELAY_SLOW_STEP}:{family}",
        time=time,
        fields={
            "kind": DELAY_SLOW_STEP,
            "stage": stage,
            "target": target,
            "duration_s": round(duration_s, 3),
            "usual_s": round(usual_s, 3),
            "ratio": round(ratio, 2),
            "history_runs": history_runs,
        },
    )


# What to do, by the error that stopped a step (the class names are errors.py's). -----------------------------

_REMEDIES: dict[str, str] = {
    "QuotaExceeded": "the source's request budget is used up: raise the budget if the plan allows, or wait for "
    "the next period, then rerun the day",
    "SourceError": "the source did not deliver: check its status and the API credentials "
    "(FLIGHTPIPE__SOURCES__...), then rerun the day",
    "CorruptRawFile": "a raw file is unreadable and was quarantined whole: collect the day again",
    "StoreError": "the object store refused a write: check free space or bucket permissions, then rerun the day",
    "ProcessError": "combining the transformed files failed: see the error, fix it, rerun the day "
    "(raw and transformed files are kept, nothing is collected twice)",
    "LoadError": "the warehouse load failed; the warehouse still holds the previous rows: check the warehouse "
    "(connection, disk), then rerun the day",
    "QualityGateFailed": "a fail-level quality rule stopped the load: see the rules in the event, fix the data "
    "or the rule, then rerun the day",
    "LockBusy": "another run held a lock: wait for it (`flightpipe runs`), then rerun the day",
    "SourceAuthError": "the source refused the API credentials (wrong, expired or inactive key, or a plan "
    "without this function): set a valid one in its FLIGHTPIPE__SOURCES__<API>__<FIELD> environment variable "
    "or in the secret of sources.<api>.secret_arn, then rerun the day",
}


def remedy_for(error_types: Sequence[str], day: dt.date, state: str, *, errors: Sequence[str] = ()) -> str:
    """What to do about a failed run: advice per error class. ``errors``: the recorded errors
    (``"ConfigError: ..."``), for a configuration error, whose own message says what to set."""
    rerun = f"`flightpipe run --date {day.isoformat()}`"
    if state == "abandoned":
        return f"the process ended during the run (crash, kill, shutdown): rerun the day with {rerun}"
    advice = [_config_remedy(errors) if t == "ConfigError" else _REMEDIES[t] for t in error_types if t in _ADVISED]
    if not advice:
        advice = ["see the error and `flightpipe runs show RUN_ID`, fix the cause, then rerun the day"]
    return "; ".join(advice) + f" ({rerun})"


_ADVISED = frozenset({*_REMEDIES, "ConfigError"})


def _config_remedy(errors: Sequence[str]) -> str:
    # A ConfigError names the key and where to set it (a missing API credential: its environment variable, never
    # a value); repeating it here puts the fix in the alert's "what to do" line.
    said = next((e.split(":", 1)[1].strip() for e in errors if error_type(e) == "ConfigError" and ":" in e), "")
    return f"the configuration is incomplete or invalid: {said or 'see the error'}; fix it, then rerun the day"
