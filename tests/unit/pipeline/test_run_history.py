"""``flightpipe runs`` / ``runs show`` / ``metrics``: runs from the ledger with their stages and steps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flightpipe.pipeline.run_history import StageTally, find_run, recent_runs, stage_tallies
from flightpipe.state.runs import FAILED, SUCCEEDED, StepRecord
from flightpipe.state.store import StateStore


def _step(stage: str, state: str) -> StepRecord:
    return StepRecord(0, "run", stage, "target", state, "", None, None, None, None, None, None)


def _ledger_with_runs(path: Path) -> None:
    """Two runs of June 1st and 2nd (the second started last), with steps of two stages each."""
    with StateStore.open(path) as ledger:
        for run_id, day, collected in (("r1", dt.date(2026, 6, 1), SUCCEEDED), ("r2", dt.date(2026, 6, 2), FAILED)):
            ledger.runs.start(
                run_id, kind="run", day=day, airports=["EDDH"], boards=["departures"], source="simulated",
                simulated=True,
            )  # fmt: skip
            for stage, state in (("collect", SUCCEEDED), ("collect", collected), ("load", SUCCEEDED)):
                ledger.steps.finish(ledger.steps.start(run_id, stage, "EDDH"), state, duration_s=1.0)
            ledger.runs.finish(run_id, SUCCEEDED, summary={})


def test_stage_tallies_count_succeeded_steps_per_stage_in_the_order_the_run_reached_them() -> None:
    steps = [_step("collect", SUCCEEDED), _step("transform", SUCCEEDED), _step("collect", FAILED),
             _step("collect", SUCCEEDED), _step("transform", "running")]  # fmt: skip

    tallies = stage_tallies(steps)

    assert tallies == [StageTally("collect", 2, 3), StageTally("transform", 1, 2)]
    assert [t.all_succeeded for t in tallies] == [False, False]
    assert stage_tallies([_step("load", SUCCEEDED)])[0].all_succeeded


def test_recent_runs_are_newest_first_with_their_stage_tallies(tmp_path: Path) -> None:
    _ledger_with_runs(tmp_path / "ledger.sqlite")

    overviews = recent_runs(tmp_path / "ledger.sqlite", limit=5)

    assert [(o.record.run_id, o.stages) for o in overviews] == [
        ("r2", [StageTally("collect", 1, 2), StageTally("load", 1, 1)]),
        ("r1", [StageTally("collect", 2, 2), StageTally("load", 1, 1)]),
    ]
    assert [o.record.run_id for o in recent_runs(tmp_path / "ledger.sqlite", limit=5, day=dt.date(2026, 6, 1))] == [
        "r1"
    ]


def test_find_run_takes_an_id_prefix_or_the_newest_run_and_brings_its_steps(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _ledger_with_runs(path)

    named, newest = find_run(path, "r1"), find_run(path, None)

    assert named is not None and newest is not None
    assert (named.record.run_id, [s.stage for s in named.steps]) == ("r1", ["collect", "collect", "load"])
    assert newest.record.run_id == "r2"
    assert find_run(path, "nope") is None


def test_find_run_in_an_empty_ledger_finds_nothing(tmp_path: Path) -> None:
    assert find_run(tmp_path / "ledger.sqlite", None) is None
