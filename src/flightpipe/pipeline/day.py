"""The plan of a day's run: which collection day, which run id, and one task per airport and board.

Both runtimes plan here: the local runner at the start of ``run_day``, the plan Lambda as the first state of an
execution (its tasks are the state machine's Map). The run id is in every raw key, so it has one shape everywhere.
Kept light (no warehouse, no Arrow): the plan Lambda imports it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flightpipe.config import Settings
from flightpipe.core.layout import Board


def new_run_id(now: dt.datetime) -> str:
    """``YYYYMMDDTHHMMSSZ-xxxxxx``: sorts by start time; the random tail keeps two runs of one second apart."""
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class BoardTask:
    """One board of one airport to collect."""

    airport: str
    board: Board


@dataclass(frozen=True, slots=True)
class DayPlan:
    """What a run of collection day ``day`` does; ``as_of`` is the instant every board is collected as of."""

    day: dt.date
    run_id: str
    as_of: dt.datetime
    airports: tuple[str, ...]
    boards: tuple[Board, ...]

    @property
    def tasks(self) -> list[BoardTask]:
        """Airports x boards, airport by airport."""
        return [BoardTask(airport, board) for airport in self.airports for board in self.boards]


def plan_day(settings: Settings, day: dt.date, *, as_of: dt.datetime, run_id: str | None = None) -> DayPlan:
    """The plan of collection day ``day`` for the configured airports and boards; a new run id unless given."""
    return DayPlan(
        day=day,
        run_id=run_id or new_run_id(as_of),
        as_of=as_of,
        airports=tuple(settings.airports),
        boards=tuple(Board(b) for b in settings.boards),
    )
