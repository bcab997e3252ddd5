"""``flightpipe runs``, ``runs show`` and ``metrics``: past runs from the ledger, each with its steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flightpipe.state.runs import SUCCEEDED, RunRecord, StepRecord
from flightpipe.state.store import StateStore


@dataclass(frozen=True, slots=True)
class StageTally:
    """How many of a stage's steps in one run succeeded."""

    stage: str
    succeeded: int
    steps: int

    @property
    def all_succeeded(self) -> bool:
        return self.succeeded == self.steps


@dataclass(frozen=True, slots=True)
class RunOverview:
    """A run with a tally per stage: enough to see where it went wrong without its steps."""

    record: RunRecord
    stages: list[StageTally]


@dataclass(frozen=True, slots=True)
class RunDetail:
    """A run with every one of its steps, in the order they started."""

    record: RunRecord
    steps: list[StepRecord]


def stage_tallies(steps: Iterable[StepRecord]) -> list[StageTally]:
    """One tally per stage, in the order the run reached the stages."""
    counts: dict[str, list[int]] = {}
    for step in steps:
        succeeded_and_total = counts.setdefault(step.stage, [0, 0])
        succeeded_and_total[0] += step.state == SUCCEEDED
        succeeded_and_total[1] += 1
    return [StageTally(stage, succeeded, total) for stage, (succeeded, total) in counts.items()]


def recent_runs(ledger_path: Path, *, limit: int, day: dt.date | None = None) -> list[RunOverview]:
    """The ``limit`` newest runs (of collection date ``day`` only, when given), newest first."""
    with StateStore.open(ledger_path) as state:
        return [
            RunOverview(record, stage_tallies(state.steps.of_run(record.run_id)))
            for record in state.runs.recent(limit, day)
        ]


def find_run(ledger_path: Path, run_id: str | None) -> RunDetail | None:
    """The run ``run_id`` names (or starts with), or the newest run when ``run_id`` is None; None if there is none."""
    with StateStore.open(ledger_path) as state:
        record = state.runs.find(run_id) if run_id else next(iter(state.runs.recent(limit=1)), None)
        return None if record is None else RunDetail(record, state.steps.of_run(record.run_id))


def run_ids_starting_with(ledger_path: Path, prefix: str, *, limit: int) -> list[str]:
    """Up to ``limit`` run ids starting with ``prefix``, newest first: more than one means the prefix is ambiguous."""
    with StateStore.open(ledger_path) as state:
        return state.runs.ids_starting_with(prefix, limit)
