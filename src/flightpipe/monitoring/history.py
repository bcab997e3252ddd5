"""What is usual: step durations of past succeeded runs, from the state store.

A step is compared with the same work in earlier runs: its **family** is the stage plus the airport and board
for per-board stages (``collect EDDF/departures``, ``transform EDDF/departures``), the stage alone for the
day-wide ones (``process``, ``load``). "Usual" is the median duration of that family over the last N succeeded
runs; with fewer than the configured minimum of runs there is no usual yet, and nothing is judged slow.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from flightpipe.state.runs import SUCCEEDED, StepRecord
from flightpipe.state.store import StateStore

_PER_BOARD_STAGES = frozenset({"collect", "transform", "verify"})

#: How far back to look for N succeeded runs among all runs (failed ones in between are skipped).
_SCAN_LIMIT = 500


def step_family(stage: str, target: str) -> str:
    if stage in _PER_BOARD_STAGES:
        parts = target.split("/")
        return f"{stage} {'/'.join(parts[:2])}"
    return stage


@dataclass(frozen=True, slots=True)
class Usual:
    median_s: float
    runs: int


def usual_durations(state: StateStore, *, runs: int, exclude_run_id: str | None = None) -> dict[str, Usual]:
    """Median duration per step family over the last ``runs`` succeeded runs (each run counts once per family:
    the sum of its steps of that family, so a stage split into several steps compares like with like)."""
    succeeded = [
        r for r in state.runs.recent(limit=_SCAN_LIMIT) if r.state == SUCCEEDED and r.run_id != exclude_run_id
    ][:runs]
    per_family: dict[str, list[float]] = {}
    for run in succeeded:
        for family, total in family_durations(state.steps.of_run(run.run_id)).items():
            per_family.setdefault(family, []).append(total)
    return {family: Usual(statistics.median(values), len(values)) for family, values in per_family.items()}


def family_durations(steps: Iterable[StepRecord]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for step in steps:
        if step.state == SUCCEEDED and step.duration_s is not None:
            family = step_family(step.stage, step.target)
            totals[family] = totals.get(family, 0.0) + step.duration_s
    return totals
