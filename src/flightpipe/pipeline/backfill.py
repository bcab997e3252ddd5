"""``flightpipe backfill``: run a range of collection days in order, skipping the days already complete.

A day is complete when a succeeded run of it covered every configured airport and board (``pipeline.completeness``);
``force`` runs complete days again. A day another process holds (``LockBusy``) is left to that process and
the backfill goes on with the next day; the caller reports the busy days at the end. The quota check covers
exactly the days that will run and comes before the first of them starts, so a backfill that would go over the
source's monthly budget never half-runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flightpipe.config import Settings
from flightpipe.core.errors import LockBusy
from flightpipe.pipeline.completeness import is_day_complete
from flightpipe.pipeline.sources import ensure_quota
from flightpipe.state.runs import SUCCEEDED
from flightpipe.state.store import StateStore


class RunOutcome(Protocol):
    """What backfill needs of a day's run: how it ended (a ``RunSummary`` is one)."""

    @property
    def state(self) -> str: ...


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """Which days ran, which of those did not succeed, which were skipped as complete, and which another
    process held (``busy``: day and the lock's message), each in order."""

    ran: list[dt.date] = field(default_factory=list)
    failed: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    busy: list[tuple[dt.date, str]] = field(default_factory=list)


def collection_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included, oldest first (none when ``last`` is before)."""
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def run_backfill(
    settings: Settings,
    days: Sequence[dt.date],
    *,
    force: bool,
    run: Callable[[dt.date], RunOutcome],
    on_skip: Callable[[dt.date], None] = lambda day: None,
) -> BackfillResult:
    """Run ``days`` in order with ``run``, skipping (and telling ``on_skip``) each day already complete unless
    ``force``. Raises ``QuotaExceeded`` before any run when the days to run would go over the budget."""
    result = BackfillResult()
    with StateStore.open(settings.paths().ledger) as state:

        def complete(day: dt.date) -> bool:
            return not force and is_day_complete(state, settings, day)

        ensure_quota(settings, [day for day in days if not complete(day)])
        for day in days:
            # Asked again when the day comes up: a run elsewhere may have completed it in the meantime.
            if complete(day):
                result.skipped.append(day)
                on_skip(day)
                continue
            try:
                outcome = run(day)
            except LockBusy as exc:  # another run holds the day: its business; the later days still run
                result.busy.append((day, str(exc)))
                continue
            result.ran.append(day)
            if outcome.state != SUCCEEDED:
                result.failed.append(day)
    return result
