"""Per-run metrics from the ledger: every step's duration, records in and out, quarantined records, bytes, API
requests and retries; exported as JSON and as Prometheus text (the node-exporter textfile format).

The ledger's step columns hold the counts every stage has; API requests and retries are what the HTTP layer
reports, carried in a step's ``detail`` under :data:`API_REQUESTS` and :data:`API_RETRIES` (a source that makes
no HTTP requests, like the simulated one, leaves them out, and so do the exports).

Files, beside the data (through the object store, so also on S3)::

    metrics/runs/<run_id>.json     metrics/runs/<run_id>.prom     one pair per run, kept
    metrics/latest.json            metrics/latest.prom            the last finished run (point a textfile
                                                                   collector at latest.prom only)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from flightpipe.core.store import ObjectStore
from flightpipe.state.runs import SUCCEEDED, RunRecord, StepRecord

#: Keys of a step's ``detail`` that the HTTP layer fills (the contract with the sources).
API_REQUESTS = "api_requests"
API_RETRIES = "api_retries"

METRICS_PREFIX = "metrics"


@dataclass(frozen=True, slots=True)
class StepMetrics:
    stage: str
    target: str
    state: str
    started_at: str
    finished_at: str | None
    duration_s: float | None
    records_in: int | None
    records_out: int | None
    quarantined: int | None
    bytes: int | None
    api_requests: int | None
    api_retries: int | None
    error: str | None


@dataclass(slots=True)
class StageTotals:
    steps: int = 0
    failed: int = 0
    duration_s: float = 0.0
    records_in: int = 0
    records_out: int = 0
    quarantined: int = 0
    bytes: int = 0
    api_requests: int | None = None  # None: no step of the stage reported API calls
    api_retries: int | None = None


@dataclass(frozen=True, slots=True)
class RunMetrics:
    run_id: str
    kind: str
    day: str
    state: str
    source: str
    simulated: bool
    started_at: str
    finished_at: str | None
    duration_s: float | None
    steps: list[StepMetrics]
    stages: dict[str, StageTotals] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def step_metrics(step: StepRecord) -> StepMetrics:
    return StepMetrics(
        stage=step.stage,
        target=step.target,
        state=step.state,
        started_at=step.started_at,
        finished_at=step.finished_at,
        duration_s=step.duration_s,
        records_in=step.records_in,
        records_out=step.records_out,
        quarantined=step.quarantined,
        bytes=step.bytes,
        api_requests=_int(step.detail.get(API_REQUESTS)),
        api_retries=_int(step.detail.get(API_RETRIES)),
        error=step.error,
    )


def run_metrics(run: RunRecord, steps: Iterable[StepRecord]) -> RunMetrics:
    measured = [step_metrics(s) for s in steps]
    stages: dict[str, StageTotals] = {}
    for step in measured:
        totals = stages.setdefault(step.stage, StageTotals())
        totals.steps += 1
        totals.failed += step.state != SUCCEEDED
        totals.duration_s += step.duration_s or 0.0
        totals.records_in += step.records_in or 0
        totals.records_out += step.records_out or 0
        totals.quarantined += step.quarantined or 0
        totals.bytes += step.bytes or 0
        if step.api_requests is not None:
            totals.api_requests = (totals.api_requests or 0) + step.api_requests
        if step.api_retries is not None:
            totals.api_retries = (totals.api_retries or 0) + step.api_retries
    return RunMetrics(
        run_id=run.run_id,
        kind=run.kind,
        day=run.day,
        state=run.state,
        source=run.source,
        simulated=run.simulated,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=run.duration_s,
        steps=measured,
        stages=stages,
    )


def to_json(metrics: RunMetrics) -> str:
    return json.dumps(metrics.as_dict(), indent=2, sort_keys=True, default=str) + "\n"


# Prometheus text exposition format 0.0.4 ---------------------------------------------------------------------

_RUN_FAMILIES: tuple[tuple[str, str], ...] = (
    ("flightpipe_run_info", "A finished run (always 1); labels say what it was."),
    ("flightpipe_run_success", "1 when the run succeeded, else 0."),
    ("flightpipe_run_duration_seconds", "Wall time of the run."),
    ("flightpipe_run_started_timestamp_seconds", "When the run started (Unix time)."),
    ("flightpipe_run_finished_timestamp_seconds", "When the run finished (Unix time)."),
)

#: (metric, StepMetrics attribute, help)
_STEP_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("flightpipe_step_duration_seconds", "duration_s", "Wall time of one step."),
    ("flightpipe_step_records_in", "records_in", "Records a step read."),
    ("flightpipe_step_records_out", "records_out", "Records (rows, flights) a step wrote."),
    ("flightpipe_step_quarantined_records", "quarantined", "Records a step rejected to quarantine."),
    ("flightpipe_step_bytes", "bytes", "Bytes a step read or wrote (raw envelope, raw file in)."),
    ("flightpipe_step_api_requests", "api_requests", "HTTP requests a step sent to a source API."),
    ("flightpipe_step_api_retries", "api_retries", "Of those, retries after a failed attempt."),
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _timestamp(text: str | None) -> float | None:
    return dt.datetime.fromisoformat(text).timestamp() if text else None


def to_prometheus(metrics: RunMetrics) -> str:
    run_labels = {"run_id": metrics.run_id, "day": metrics.day}
    run_values: dict[str, tuple[dict[str, str], float | None]] = {
        "flightpipe_run_info": (
            {
                **run_labels,
                "kind": metrics.kind,
                "state": metrics.state,
                "source": metrics.source,
                "simulated": str(metrics.simulated).lower(),
            },
            1,
        ),
        "flightpipe_run_success": (run_labels, 1 if metrics.state == SUCCEEDED else 0),
        "flightpipe_run_duration_seconds": (run_labels, metrics.duration_s),
        "flightpipe_run_started_timestamp_seconds": (run_labels, _timestamp(metrics.started_at)),
        "flightpipe_run_finished_timestamp_seconds": (run_labels, _timestamp(metrics.finished_at)),
    }
    lines: list[str] = []
    for name, help_text in _RUN_FAMILIES:
        labels, value = run_values[name]
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        if value is not None:
            lines.append(f"{name}{_labels(labels)} {_number(value)}")
    for name, attribute, help_text in _STEP_FAMILIES:
        samples = []
        for step in metrics.steps:
            value = getattr(step, attribute)
            if value is None:
                continue
            labels = {**run_labels, "stage": step.stage, "target": step.target, "state": step.state}
            samples.append(f"{name}{_labels(labels)} {_number(value)}")
        if samples:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", *samples]
    return "\n".join(lines) + "\n"


def run_metrics_keys(run_id: str) -> tuple[str, str]:
    return f"{METRICS_PREFIX}/runs/{run_id}.json", f"{METRICS_PREFIX}/runs/{run_id}.prom"


def write_run_metrics(store: ObjectStore, metrics: RunMetrics) -> list[str]:
    """Write the run's JSON and Prometheus files, and the ``latest`` pair; returns the keys written."""
    json_key, prom_key = run_metrics_keys(metrics.run_id)
    as_json, as_prom = to_json(metrics).encode("utf-8"), to_prometheus(metrics).encode("utf-8")
    written = []
    for key, data in (
        (json_key, as_json),
        (prom_key, as_prom),
        (f"{METRICS_PREFIX}/latest.json", as_json),
        (f"{METRICS_PREFIX}/latest.prom", as_prom),
    ):
        store.put(key, data)
        written.append(key)
    return written
