"""The run history as one object, as the runner, the scheduler and the CLI have used it: a thin layer over
:class:`~flightpipe.state.store.StateStore` (runs, steps and quality results), usable as a context manager.

New code opens the store itself (``with StateStore.open(paths.ledger) as state: state.runs...``); the records
and run states live in :mod:`flightpipe.state.runs` and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import TracebackType
from typing import Any

from flightpipe.quality.api import RuleResult
from flightpipe.state.quality import StoredResult
from flightpipe.state.runs import (
    ABANDONED,
    FAILED,
    FAILED_QUALITY,
    PARTIAL,
    RUNNING,
    SUCCEEDED,
    RunRecord,
    StepRecord,
)
from flightpipe.state.store import StateStore

__all__ = [
    "ABANDONED",
    "FAILED",
    "FAILED_QUALITY",
    "PARTIAL",
    "RUNNING",
    "SUCCEEDED",
    "Ledger",
    "RunRecord",
    "StepRecord",
    "StoredResult",
]


class Ledger:
    """Runs, steps and quality results of the state file at ``path`` (implements ``QualityHistory``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = StateStore.open(path)

    def close(self) -> None:
        self.state.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # Runs ----------------------------------------------------------------------------------------------

    def start_run(
        self,
        run_id: str,
        *,
        kind: str,
        day: dt.date,
        airports: list[str],
        boards: list[str],
        source: str,
        simulated: bool,
    ) -> None:
        self.state.runs.start(
            run_id, kind=kind, day=day, airports=airports, boards=boards, source=source, simulated=simulated
        )

    def finish_run(self, run_id: str, state: str, *, summary: dict[str, Any], error: str | None = None) -> None:
        self.state.runs.finish(run_id, state, summary=summary, error=error)

    def runs(self, limit: int = 50, day: dt.date | None = None) -> list[RunRecord]:
        return self.state.runs.recent(limit, day)

    def run(self, run_id: str) -> RunRecord | None:
        return self.state.runs.find(run_id)

    def is_day_complete(self, day: dt.date, airports: list[str], boards: list[str]) -> bool:
        return self.state.runs.is_day_complete(day, airports, boards)

    def mark_abandoned(self) -> int:
        return self.state.runs.mark_abandoned()

    # Steps ---------------------------------------------------------------------------------------------

    def start_step(self, run_id: str, stage: str, target: str) -> int:
        return self.state.steps.start(run_id, stage, target)

    def finish_step(
        self,
        step_id: int,
        state: str,
        *,
        duration_s: float,
        records_in: int | None = None,
        records_out: int | None = None,
        quarantined: int | None = None,
        bytes_: int | None = None,
        detail: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        self.state.steps.finish(
            step_id,
            state,
            duration_s=duration_s,
            records_in=records_in,
            records_out=records_out,
            quarantined=quarantined,
            bytes_=bytes_,
            detail=detail,
            error=error,
        )

    def steps(self, run_id: str) -> list[StepRecord]:
        return self.state.steps.of_run(run_id)

    # Quality results -----------------------------------------------------------------------------------

    def record_quality(self, run_id: str, results: list[RuleResult], checked_at: dt.datetime) -> None:
        self.state.quality.record_quality(run_id, results, checked_at)

    def quality_results(self, *, run_id: str | None = None, day: dt.date | None = None) -> list[StoredResult]:
        return self.state.quality.stored(run_id=run_id, day=day)

    def latest_board_results(self, dates: list[dt.date]) -> list[RuleResult]:
        return self.state.quality.latest_board_results(dates)

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        return self.state.quality.volume_history(icao, board, dates)

    def mark_overridden(self, results: list[RuleResult], by_run: str) -> None:
        self.state.quality.mark_overridden(results, by_run)
