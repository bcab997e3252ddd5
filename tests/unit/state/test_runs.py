"""Runs and their steps: recorded with counts and durations, dead runs abandoned, days complete."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightpipe.core.redact import register_secret
from flightpipe.state.runs import CollectedBoard
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 1)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def _start(state: StateStore, run_id: str, airports: list[str] | None = None, day: dt.date = DAY) -> None:
    state.runs.start(
        run_id,
        kind="run",
        day=day,
        airports=airports or ["EDDF", "EDDM"],
        boards=["departures", "arrivals"],
        source="simulated",
        simulated=True,
    )


def test_a_run_and_its_steps_are_recorded_with_counts_and_durations(state: StateStore) -> None:
    _start(state, "r1")
    step = state.steps.start("r1", "collect", "EDDF/departures")
    state.steps.finish(step, "succeeded", duration_s=0.5, records_out=42, detail={"pages": 1})
    state.runs.finish("r1", "succeeded", summary={"rows_loaded": 42})
    run = state.runs.find("r1")
    assert run is not None and (run.state, run.summary, run.simulated) == ("succeeded", {"rows_loaded": 42}, True)
    [recorded] = state.steps.of_run("r1")
    assert (recorded.stage, recorded.target, recorded.records_out, recorded.duration_s, recorded.detail) == (
        "collect",
        "EDDF/departures",
        42,
        0.5,
        {"pages": 1},
    )


def test_a_day_is_complete_only_after_a_succeeded_run_covering_all_airports(state: StateStore) -> None:
    _start(state, "r1", ["EDDF"])
    state.runs.finish("r1", "succeeded", summary={})
    assert not state.runs.is_day_complete(DAY, ["EDDF", "EDDM"], ["departures", "arrivals"])
    _start(state, "r2")
    state.runs.finish("r2", "failed", summary={})
    assert not state.runs.is_day_complete(DAY, ["EDDF", "EDDM"], ["departures", "arrivals"])
    _start(state, "r3")
    state.runs.finish("r3", "succeeded", summary={})
    assert state.runs.is_day_complete(DAY, ["EDDF", "EDDM"], ["departures", "arrivals"])


def test_a_run_whose_process_died_is_marked_abandoned(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    code = (
        "import datetime as dt, os, pathlib, signal; from flightpipe.state.store import StateStore; "
        f"s = StateStore.open(pathlib.Path({str(path)!r})); "
        "s.runs.start('dead', kind='run', day=dt.date(2026, 6, 1), airports=['EDDF'], boards=['departures'], "
        "source='simulated', simulated=True); s.steps.start('dead', 'collect', 'EDDF/departures'); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    with StateStore.open(path) as state:
        run = state.runs.find("dead")
        assert run is not None and (run.state, run.error) == (
            "abandoned",
            "the process ended without finishing the run (crash or kill)",
        )
        assert [(s.state, s.error) for s in state.steps.of_run("dead")] == [
            ("abandoned", "the process ended during this step")
        ]


def test_a_run_of_this_process_is_never_abandoned(state: StateStore) -> None:
    _start(state, "alive")
    assert state.runs.mark_abandoned() == 0
    assert [r.state for r in state.runs.recent()] == ["running"]


def test_errors_are_stored_with_secrets_redacted(state: StateStore) -> None:
    register_secret("sk-test-123456")
    _start(state, "r1")
    state.runs.finish(
        "r1", "failed", summary={"url": "https://x/?access_key=abc123"}, error="HTTP 401 for key sk-test-123456"
    )
    run = state.runs.find("r1")
    assert run is not None
    assert run.error == "HTTP 401 for key ***REDACTED***"
    assert run.summary == {"url": "https://x/?access_key=***REDACTED***"}


def test_run_lookup_accepts_a_unique_prefix(state: StateStore) -> None:
    _start(state, "20260601T060000Z-abc123")
    run = state.runs.find("20260601T06")
    assert run is not None and run.run_id == "20260601T060000Z-abc123"


def test_recent_runs_are_newest_first_and_filtered_by_day(state: StateStore) -> None:
    _start(state, "r1")
    _start(state, "r2", day=DAY + dt.timedelta(days=1))
    _start(state, "r3")
    assert [r.run_id for r in state.runs.recent()] == ["r3", "r2", "r1"]
    assert [r.run_id for r in state.runs.recent(limit=1)] == ["r3"]
    assert [r.run_id for r in state.runs.recent(day=DAY)] == ["r3", "r1"]


def test_collected_boards_are_the_succeeded_collect_steps_with_their_runs_day(state: StateStore) -> None:
    _start(state, "r1")
    for target, outcome in (("EDDF/departures", "succeeded"), ("EDDM/arrivals", "failed")):
        step = state.steps.start("r1", "collect", target)
        state.steps.finish(step, outcome, duration_s=1.0)
    transform = state.steps.start("r1", "transform", "EDDF/departures/r1")
    state.steps.finish(transform, "succeeded", duration_s=1.0)
    [board] = state.steps.collected_boards()
    assert (board.day, board.airport_icao, board.board) == (DAY, "EDDF", "departures")
    assert isinstance(board, CollectedBoard) and board.finished_at.tzinfo is not None
