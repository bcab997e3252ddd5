"""Running one day with a progress bar per stage on stderr (shown only on a terminal)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from flightpipe.cli.output import err

if TYPE_CHECKING:
    from flightpipe.config import Settings
    from flightpipe.pipeline.runner import RunSummary


class RichObserver:
    """Progress bars, one per stage (the runner's ``RunObserver``)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def stage_total(self, stage: str, total: int) -> None:
        if stage in self.tasks:
            self.progress.update(self.tasks[stage], total=total)
        else:
            self.tasks[stage] = self.progress.add_task(stage, total=total)

    def step_done(self, stage: str, target: str, ok: bool) -> None:
        if stage in self.tasks:
            self.progress.advance(self.tasks[stage])


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


def run_with_progress(
    settings: Settings, day: dt.date, *, kind: str, wait: bool = False, allow_quality_failures: bool = False
) -> RunSummary:
    """``run_day`` for collection date ``day``, showing its progress."""
    from flightpipe.pipeline.runner import run_day

    with _progress() as progress:
        return run_day(
            settings,
            day,
            kind=kind,
            observer=RichObserver(progress),
            wait_for_lock=wait,
            allow_quality_failures=allow_quality_failures,
        )
