"""``flightpipe backfill``: run a range of collection days in order, skipping the days already complete.

A day is complete when a succeeded run of it covered every configured airport and board (``pipeline.completeness``);
``force`` runs complete days again.

A range of more than one day runs each day up to its board checks, then processes, checks and loads every flight
date the days touched once, and writes the report once (``pipeline.range_finish``); a day left ``collected`` by an
interrupted backfill is finished then without being collected again.

A day another process holds (``LockBusy``) is left to that process and the backfill goes on with the next day;
the caller reports the busy days at the end. The quota check covers exactly the days that will run and comes
before the first of them starts, so a backfill that would go over the source's monthly budget never half-runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from flightpipe.config import Settings
from flightpipe.core.errors import LockBusy
from flightpipe.core.faults import failpoint
from flightpipe.pipeline.completeness import is_day_complete
from flightpipe.pipeline.range_finish import RangeFinish, finish_range
from flightpipe.pipeline.runner import RunSummary
from flightpipe.pipeline.sources import ensure_quota
from flightpipe.state.runs import SUCCEEDED
from flightpipe.state.store import StateStore


class DayRun(Protocol):
    """A day's run (``run_day`` for that day); ``defer``: as a day of a range, up to its board checks."""

    def __call__(self, day: dt.date, *, defer: bool) -> RunSummary: ...


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """Which days ran, which of those did not succeed, which were skipped as complete, and which another
    process held (``busy``: day and the lock's message), each in order; ``resumed``: days an interrupted range
    had collected, finished now without collecting them again; ``summaries``: the final summary of every day
    run or resumed; ``range``: the range's step, when the days were finished together."""

    ran: list[dt.date] = field(default_factory=list)
    failed: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    busy: list[tuple[dt.date, str]] = field(default_factory=list)
    resumed: list[dt.date] = field(default_factory=list)
    summaries: list[RunSummary] = field(default_factory=list)
    range: RangeFinish | None = None


def collection_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included, oldest first (none when ``last`` is before)."""
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def awaiting_range(state: StateStore, settings: Settings, day: dt.date) -> RunSummary | None:
    """The run of ``day`` an interrupted range left ``collected`` (its boards all collected, transformed and
    checked; its processing and load not done), as a summary to finish; None when there is none."""
    record = state.runs.awaiting_range(day, settings.airports, [str(board) for board in settings.boards])
    if record is None or "run_id" not in record.summary:
        return None
    return RunSummary.from_dict(record.summary)


def run_backfill(
    settings: Settings,
    days: Sequence[dt.date],
    *,
    force: bool,
    run: DayRun,
    on_skip: Callable[[dt.date], None] = lambda day: None,
    finish: Callable[[list[RunSummary]], RangeFinish] | None = None,
) -> BackfillResult:
    """Run ``days`` in order with ``run``, skipping (and telling ``on_skip``) each day already complete unless
    ``force``. Raises ``QuotaExceeded`` before any run when the days to run would go over the budget.

    More than one day to run: each runs up to its board checks (``defer``), then ``finish`` (default
    ``finish_range``) processes and loads all their flight dates once and settles their runs. A day an
    interrupted backfill left ``collected`` is not collected again: it joins the range's step (unless ``force``)."""
    result = BackfillResult()
    finish = finish or (lambda summaries: finish_range(settings, summaries))
    deferred: list[RunSummary] = []
    with StateStore.open(settings.paths().ledger) as state:

        def complete(day: dt.date) -> bool:
            return not force and is_day_complete(state, settings, day)

        waiting = {} if force else {day: s for day in days if (s := awaiting_range(state, settings, day)) is not None}
        to_run = [day for day in days if not complete(day) and day not in waiting]
        ensure_quota(settings, to_run)
        defer = len(to_run) + len(waiting) > 1
        for day in days:
            if day in waiting:
                result.resumed.append(day)
                deferred.append(waiting[day])
                continue
            # Asked again when the day comes up: a run elsewhere may have completed it in the meantime.
            if complete(day):
                result.skipped.append(day)
                on_skip(day)
                continue
            try:
                outcome = run(day, defer=defer)
            except LockBusy as exc:  # another run holds the day: its business; the later days still run
                result.busy.append((day, str(exc)))
                continue
            result.ran.append(day)
            result.summaries.append(outcome)
            if outcome.deferred:
                deferred.append(outcome)
    if deferred:
        failpoint("backfill.before_range")  # every day collected and checked; none of their flight dates loaded
        result = replace(result, range=finish(deferred))
        result.summaries.extend(s for s in deferred if s.day in result.resumed)
        result.summaries.sort(key=lambda s: s.day)
    result.failed.extend(s.day for s in result.summaries if s.state != SUCCEEDED)
    return result
