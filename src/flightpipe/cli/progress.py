"""Running days with one live progress display on stderr (shown only on a terminal).

The display has one line for the whole range (``day 3 of 7`` with the time left, when there is more than one day)
and one line per stage of the day running now (steps done and time taken, no time left: a stage's estimate said
nothing); a stage with nothing to do gets no line. Each new day replaces the previous day's stage lines, so a
30-day backfill keeps the same few lines on screen instead of scrolling.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from flightpipe.cli.output import err

if TYPE_CHECKING:
    from flightpipe.config import Settings
    from flightpipe.pipeline.runner import RunSummary


class StageBars:
    """The current day's stage lines (the runner's ``RunObserver``)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def stage_total(self, stage: str, total: int) -> None:
        if total <= 0:
            # Nothing to do (e.g. no corrupt file to verify): no line that would stand at 0/0 as if it were working.
            if stage in self.tasks:
                self.progress.remove_task(self.tasks.pop(stage))
            return
        if stage in self.tasks:
            self.progress.update(self.tasks[stage], total=total)
        else:
            self.tasks[stage] = self.progress.add_task(f"  {stage}", total=total)

    def step_done(self, stage: str, target: str, ok: bool) -> None:
        if stage in self.tasks:
            self.progress.advance(self.tasks[stage])

    def clear(self) -> None:
        for task in self.tasks.values():
            self.progress.remove_task(task)
        self.tasks = {}


class DaysProgress:
    """The live display of a run over ``days`` collection days: the range's line and the current day's stages."""

    def __init__(self, days: int, progress: Progress) -> None:
        self.progress = progress
        self.days = days
        self.stages = StageBars(progress)
        self.done = 0
        # One day needs no "day 1 of 1" line: its stages are the whole story.
        self.overall: TaskID | None = progress.add_task("days", total=days, eta=True) if days > 1 else None

    def start_day(self, day: dt.date) -> StageBars:
        """The observer for ``day``'s run; the previous day's stage lines go."""
        self.stages.clear()
        if self.overall is not None:
            self.progress.update(self.overall, description=f"day {self.done + 1} of {self.days} ({day.isoformat()})")
        return self.stages

    def start_range(self) -> StageBars:
        """The observer of the range's step (process, quality, load of all the days' flight dates)."""
        self.stages.clear()
        if self.overall is not None:
            self.progress.update(self.overall, description=f"{self.days} days: processing and loading")
        return self.stages

    def finish_day(self) -> None:
        """A day ran or was skipped: the range's line moves on (its time left is estimated from the days so far)."""
        self.done += 1
        if self.overall is not None:
            self.progress.update(self.overall, completed=self.done)


class DaysLeftColumn(TimeRemainingColumn):
    """The time left, on the range's line only: a stage's steps finish in bursts (a board's pages, then its
    transform), so an estimate from them stood at 0:00:00 and said nothing."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.fields.get("eta") else Text("")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<11}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        DaysLeftColumn(),
        console=err,
        # The display goes when it ends: what stays on screen is the result (a run's line, a backfill's table).
        transient=True,
        disable=not err.is_terminal,
    )


@contextmanager
def days_progress(days: int) -> Iterator[DaysProgress]:
    """One live display for a run of ``days`` days (nothing is drawn when stderr is not a terminal)."""
    with _progress() as progress:
        yield DaysProgress(days, progress)


def run_with_progress(
    settings: Settings,
    day: dt.date,
    *,
    kind: str,
    wait: bool = False,
    allow_quality_failures: bool = False,
    display: DaysProgress | None = None,
    defer: bool = False,
) -> RunSummary:
    """``run_day`` for collection date ``day``, showing its progress (in ``display`` when a range runs);
    ``defer``: as a day of a range, up to its board checks."""
    from flightpipe.pipeline.runner import run_day

    _freeze_startup_objects()
    with _own_display(display) as shown:
        try:
            return run_day(
                settings,
                day,
                kind=kind,
                observer=shown.start_day(day),
                wait_for_lock=wait,
                allow_quality_failures=allow_quality_failures,
                defer=defer,
            )
        finally:
            shown.finish_day()


def _freeze_startup_objects() -> None:
    """Once per process, before the first day runs: what the command has imported and configured by then (the
    modules of pyarrow, pydantic, DuckDB and the pipeline, some hundred thousand objects) lives until it exits, so
    it goes out of the cycle collector's generations. Left in, each collection of the middle generation traversed
    it again (some 25 ms in a daily run) though it never holds garbage. Only in the ``flightpipe`` program: a process
    that runs the commands inside (a test) keeps its collector as it is."""
    import flightpipe.cli

    global _frozen
    if flightpipe.cli.running_as_program and not _frozen:
        gc.freeze()
        _frozen = True


_frozen = False


@contextmanager
def _own_display(display: DaysProgress | None) -> Iterator[DaysProgress]:
    if display is not None:
        yield display
        return
    with days_progress(1) as own:
        yield own
