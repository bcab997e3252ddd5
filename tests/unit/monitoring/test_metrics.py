"""Per-step metrics from the ledger, exported as JSON and as Prometheus text that Prometheus' own parser reads."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from flightpipe.config import load_settings
from flightpipe.monitoring.metrics import run_metrics, to_json, to_prometheus
from flightpipe.pipeline.runner import run_day
from flightpipe.state.store import StateStore
from tests.helpers.alert_services import ScriptedSource
from tests.helpers.simulated_store import SimulatedStores

DAY = dt.date(2026, 6, 8)
LATER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


def state_with_one_run(tmp_path: Path) -> StateStore:
    state = StateStore.open(tmp_path / "ledger.sqlite")
    state.runs.start(
        "r1", kind="run", day=DAY, airports=["EDDF"], boards=["departures"], source="aviationstack", simulated=False
    )
    collect = state.steps.start("r1", "collect", "EDDF/departures")
    state.steps.finish(
        collect, "succeeded", duration_s=1.5, records_out=250, bytes_=9000, detail={"api_requests": 3, "api_retries": 1}
    )
    transform = state.steps.start("r1", "transform", 'EDDF/departures/r1 "quoted"\\')
    state.steps.finish(transform, "succeeded", duration_s=0.25, records_in=250, records_out=245, quarantined=5)
    load = state.steps.start("r1", "load", "2026-06-08")
    state.steps.finish(load, "failed", duration_s=0.1, error="LoadError: disk full")
    state.runs.finish("r1", "failed", summary={}, error="LoadError: disk full")
    return state


def test_each_step_carries_duration_records_quarantined_bytes_and_api_calls(tmp_path: Path) -> None:
    state = state_with_one_run(tmp_path)
    record = state.runs.find("r1")
    assert record is not None
    measured = run_metrics(record, state.steps.of_run("r1"))
    collect, transform, load = measured.steps
    assert (collect.duration_s, collect.records_out, collect.bytes, collect.api_requests, collect.api_retries) == (
        1.5,
        250,
        9000,
        3,
        1,
    )
    assert (transform.records_in, transform.records_out, transform.quarantined, transform.api_requests) == (
        250,
        245,
        5,
        None,
    )
    assert (load.state, load.error) == ("failed", "LoadError: disk full")
    assert measured.stages["collect"].api_requests == 3 and measured.stages["transform"].api_requests is None
    assert measured.stages["load"].failed == 1


def test_the_json_export_round_trips_every_step(tmp_path: Path) -> None:
    state = state_with_one_run(tmp_path)
    record = state.runs.find("r1")
    assert record is not None
    exported = json.loads(to_json(run_metrics(record, state.steps.of_run("r1"))))
    assert (exported["run_id"], exported["state"], len(exported["steps"])) == ("r1", "failed", 3)
    assert exported["steps"][0]["api_retries"] == 1 and exported["stages"]["transform"]["quarantined"] == 5


def test_the_prometheus_export_parses_with_prometheus_own_parser(tmp_path: Path) -> None:
    state = state_with_one_run(tmp_path)
    record = state.runs.find("r1")
    assert record is not None
    families = {
        f.name: f for f in text_string_to_metric_families(to_prometheus(run_metrics(record, state.steps.of_run("r1"))))
    }
    [success] = families["flightpipe_run_success"].samples
    assert (success.labels, success.value) == ({"run_id": "r1", "day": "2026-06-08"}, 0.0)
    requests = families["flightpipe_step_api_requests"].samples
    assert [(s.labels["stage"], s.value) for s in requests] == [("collect", 3.0)]
    quarantined = families["flightpipe_step_quarantined_records"].samples
    assert quarantined[0].labels["target"] == 'EDDF/departures/r1 "quoted"\\' and quarantined[0].value == 5.0
    durations = {
        s.labels["stage"]: (s.value, s.labels["state"]) for s in families["flightpipe_step_duration_seconds"].samples
    }
    assert durations == {"collect": (1.5, "succeeded"), "transform": (0.25, "succeeded"), "load": (0.1, "failed")}
    [info] = families["flightpipe_run_info"].samples
    assert info.labels["source"] == "aviationstack" and info.labels["simulated"] == "false"


def test_a_real_run_exports_every_stage_and_the_counts_of_the_summary(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH")
    summary = run_day(settings, DAY, clock=lambda: LATER, source=ScriptedSource(broken={("EDDH", "arrivals"): 3}))
    with StateStore.open(settings.resolved_ledger_path()) as state:
        record = state.runs.find(summary.run_id)
        steps = state.steps.of_run(summary.run_id)
    assert record is not None
    measured = run_metrics(record, steps)
    assert list(measured.stages) == ["collect", "transform", "quality", "process", "load"]
    assert measured.stages["collect"].records_out == summary.records_collected
    # the 3 broken records, and any codeshare of theirs (it goes to quarantine with its operator's record)
    assert measured.stages["transform"].quarantined == summary.records_quarantined >= 3
    # The load stage loads each flight date's flights, then the run's quality results.
    quality_rows = sum(s.records_out or 0 for s in steps if s.stage == "load" and s.target == "quality_results")
    assert quality_rows > 0 and measured.stages["load"].records_out == summary.rows_loaded + quality_rows
    assert all(step.duration_s is not None and step.duration_s > 0 for step in measured.steps)
    assert measured.stages["collect"].bytes > 0


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    env.update(COLUMNS="200", FLIGHTPIPE__DATA_DIR="data", FLIGHTPIPE__AIRPORTS="EDDH")
    return subprocess.run(
        [sys.executable, "-m", "flightpipe.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_metrics_command_prints_the_latest_or_a_named_run_in_either_format(
    tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    simulated_stores.copy(tmp_path / "data", ("EDDH",), (DAY,))  # one run of 2026-06-08
    latest = json.loads(_cli("metrics", cwd=tmp_path).stdout)
    assert latest["day"] == "2026-06-08" and latest["state"] == "succeeded"
    prom = _cli("metrics", latest["run_id"][:12], "--format", "prometheus", cwd=tmp_path)
    assert prom.returncode == 0
    names = {f.name for f in text_string_to_metric_families(prom.stdout)}
    assert {"flightpipe_run_duration_seconds", "flightpipe_step_records_out", "flightpipe_step_bytes"} <= names
    unknown = _cli("metrics", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "no run 'nope'" in unknown.stderr
    bad = _cli("metrics", "--format", "xml", cwd=tmp_path)
    assert bad.returncode == 2 and "--format must be json or prometheus, got 'xml'" in bad.stderr


def test_help_lists_the_monitoring_commands(tmp_path: Path) -> None:
    result = _cli("--help", cwd=tmp_path)
    for command in ("status", "metrics", "schedule"):
        assert command in result.stdout
