"""Which collection days are complete: the one rule the scheduler's catch-up and ``flightpipe backfill`` share.

A day is complete when a succeeded run of it covered every configured airport and board (a run of fewer airports
or boards, or one that failed, leaves the day to be run again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flightpipe.config import Settings
from flightpipe.state.store import StateStore


def is_day_complete(state: StateStore, settings: Settings, day: dt.date) -> bool:
    """Whether a succeeded run of ``day`` in ``state`` covered every configured airport and board."""
    return state.runs.is_day_complete(day, settings.airports, [str(board) for board in settings.boards])


def incomplete_days(settings: Settings, days: Sequence[dt.date]) -> list[dt.date]:
    """The days of ``days`` that are not complete, in their order (read from the state file)."""
    with StateStore.open(settings.paths().ledger) as state:
        return [day for day in days if not is_day_complete(state, settings, day)]
