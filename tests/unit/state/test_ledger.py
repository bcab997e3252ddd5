from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from flightpipe.core.redact import register_secret
from flightpipe.state.ledger import Ledger

DAY = dt.date(2026, 6, 1)


def _start(ledger: Ledger, run_id: str, airports: list[str] | None = None) -> None:
    ledger.start_run(
        run_id,
        kind="run",
        day=DAY,
        airports=airports or ["EDDF", "EDDM"],
        boards=["departures", "arrivals"],
        source="simulated",
        simulated=True,
    )


def test_a_run_and_its_steps_are_recorded_with_counts_and_durations(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _start(ledger, "r1")
    step = ledger.start_step("r1", "collect", "EDDF/departures")
    ledger.finish_step(step, "succeeded", duration_s=0.5, records_out=42, detail={"pages": 1})
    ledger.finish_run("r1", "succeeded", summary={"rows_loaded": 42})
    run = ledger.run("r1")
    assert run is not None and (run.state, run.summary, run.simulated) == ("succeeded", {"rows_loaded": 42}, True)
    [recorded] = ledger.steps("r1")
    assert (recorded.stage, recorded.target, recorded.records_out, recorded.duration_s, recorded.detail) == (
        "collect",
        "EDDF/departures",
        42,
        0.5,
        {"pages": 1},
    )


def test_a_day_is_complete_only_after_a_succeeded_run_covering_all_airports(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _start(ledger, "r1", ["EDDF"])
    ledger.finish_run("r1", "succeeded", summary={})
    assert not ledger.is_day_complete(DAY, ["EDDF", "EDDM"], ["departures", "arrivals"])
    _start(ledger, "r2")
    ledger.finish_run("r2", "failed", summary={})
    assert not ledger.is_day_complete(DAY, ["EDDF", "EDDM"], ["departures", "arrivals"])
    _start(ledger, "r3")
    ledger.finish_run("r3", "succeeded", summary={})
    assert ledger.is_day_complete(DAY, ["EDDF", "EDDM"], ["departures", "arrivals"])


def test_a_run_whose_process_died_is_marked_abandoned(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    code = (
        "import datetime as dt, os, signal; from flightpipe.state.ledger import Ledger; "
        f"l = Ledger(__import__('pathlib').Path({str(path)!r})); "
        "l.start_run('dead', kind='run', day=dt.date(2026, 6, 1), airports=['EDDF'], boards=['departures'], "
        "source='simulated', simulated=True); l.start_step('dead', 'collect', 'EDDF/departures'); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    ledger = Ledger(path)
    run = ledger.run("dead")
    assert run is not None and run.state == "abandoned"
    assert [s.state for s in ledger.steps("dead")] == ["abandoned"]


def test_errors_are_stored_with_secrets_redacted(tmp_path: Path) -> None:
    register_secret("sk-test-123456")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _start(ledger, "r1")
    ledger.finish_run(
        "r1", "failed", summary={"url": "https://x/?access_key=abc123"}, error="HTTP 401 for key sk-test-123456"
    )
    run = ledger.run("r1")
    assert run is not None
    assert run.error == "HTTP 401 for key ***REDACTED***"
    assert run.summary == {"url": "https://x/?access_key=***REDACTED***"}


def test_run_lookup_accepts_a_unique_prefix(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _start(ledger, "20260601T060000Z-abc123")
    run = ledger.run("20260601T06")
    assert run is not None and run.run_id == "20260601T060000Z-abc123"
