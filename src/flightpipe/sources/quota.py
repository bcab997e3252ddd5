"""Quota planning: how many requests a run or backfill will make, checked against the monthly budget first.

Requests per board: aviationstack two per page (the pages the board needed last time, from the usage tables,
else ``pages_per_board_estimate``: a board of several pages lands only when two passes agree, see
``aviationstack_client``), one for a board of one page; AeroDataBox two (the two 12-hour windows), OpenSky one
(token requests cost no credits and are not counted). The simulated source makes none. With
``sources.<api>.monthly_budget`` set, a run whose plan does not fit what is left of this month's budget is
refused before anything is sent, naming how many requests it needs and how many are left. The HTTP layer
enforces the same budget request by request, so an estimate that was too low still stops at the budget.

Credits: OpenSky limits credits per *day*, not requests per month, and a day-long query costs several credits,
so the plan (requests) cannot say whether a run fits them. The last ``X-Rate-Limit-Remaining`` OpenSky sent is
kept (``CreditsMemory``) so ``flightpipe sources`` can show it; the source stops itself when it reaches 0.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flightpipe.config import Settings
from flightpipe.core.errors import QuotaExceeded
from flightpipe.sources.settings import API_NAMES
from flightpipe.state.usage import UsageLedger, month_of

#: Requests per board of the sources whose count does not depend on the data.
FIXED_REQUESTS_PER_BOARD = {"aerodatabox": 2, "opensky": 1}


@dataclass(frozen=True, slots=True)
class QuotaPlan:
    source: str
    requests: int
    boards: int
    budget: int | None
    used: int
    month: str

    @property
    def left(self) -> int | None:
        return None if self.budget is None else max(self.budget - self.used, 0)

    @property
    def fits(self) -> bool:
        return self.left is None or self.requests <= self.left

    def describe(self) -> str:
        per_board = self.requests / self.boards if self.boards else 0
        needs = f"{self.requests} requests ({self.boards} boards, about {per_board:.1f} each)"
        if self.budget is None:
            return f"{self.source}: needs {needs}; no monthly budget configured ({self.used} used in {self.month})"
        return (
            f"{self.source}: needs {needs}; {self.left} of the monthly budget of {self.budget} are left "
            f"for {self.month} ({self.used} used)"
        )


def plan_requests(
    settings: Settings, days: Sequence[dt.date], *, usage: UsageLedger | None = None, now: dt.datetime | None = None
) -> QuotaPlan | None:
    """The plan for running ``days`` with the configured source (None for the simulated source)."""
    source = settings.source.type
    if source not in API_NAMES:
        return None
    own_usage = usage is None
    ledger = usage or UsageLedger(settings.resolved_ledger_path())
    try:
        boards = [(icao, str(board)) for icao in settings.airports for board in settings.boards]
        per_day = sum(_requests_per_board(settings, ledger, source, icao, board) for icao, board in boards)
        month = month_of(now or dt.datetime.now(dt.UTC))
        return QuotaPlan(
            source=source,
            requests=per_day * len(days),
            boards=len(boards) * len(days),
            budget=settings.sources.by_name(source).monthly_budget,
            used=ledger.used(source, month),
            month=month,
        )
    finally:
        if own_usage:
            ledger.close()


def ensure_quota(
    settings: Settings, days: Sequence[dt.date], *, usage: UsageLedger | None = None, now: dt.datetime | None = None
) -> QuotaPlan | None:
    """Refuse (``QuotaExceeded``) a run or backfill that would go over the source's monthly budget."""
    plan = plan_requests(settings, days, usage=usage, now=now)
    if plan is not None and not plan.fits:
        raise QuotaExceeded(
            f"refusing to start: {plan.describe()}. Collect fewer days or airports, or raise "
            f"sources.{plan.source}.monthly_budget if your plan allows more"
        )
    return plan


def _requests_per_board(settings: Settings, usage: UsageLedger, source: str, icao: str, board: str) -> int:
    if source in FIXED_REQUESTS_PER_BOARD:
        return FIXED_REQUESTS_PER_BOARD[source]
    seen = usage.pages(source, icao, board)
    pages = seen if seen is not None else settings.sources.aviationstack.pages_per_board_estimate
    return aviationstack_requests(pages)


def aviationstack_requests(pages: int) -> int:
    """Requests for an aviationstack board of ``pages`` pages when its listing holds still: one page is one
    snapshot; more take two agreeing passes. A listing that moves costs more passes, which the HTTP layer's
    request-by-request budget check still bounds."""
    return pages if pages <= 1 else 2 * pages


_CREDITS_TABLE = (
    "CREATE TABLE IF NOT EXISTS source_credits (source TEXT PRIMARY KEY, remaining INTEGER NOT NULL, "
    "seen_at TEXT NOT NULL)"
)


class CreditsMemory:
    """The last credits count a source reported, in the run ledger's SQLite file (table ``source_credits``).

    A connection per call: a board notes its credits once, and short connections need no closing by the
    source's owner (the factory creates this, nobody else holds it)."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.path = path
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def note_credits(self, source: str, remaining: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        seen_at = self._clock().astimezone(dt.UTC).isoformat(timespec="seconds")
        with sqlite3.connect(self.path, timeout=30) as con:
            con.execute(_CREDITS_TABLE)
            con.execute(
                "INSERT INTO source_credits (source, remaining, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (source) DO UPDATE SET remaining = excluded.remaining, seen_at = excluded.seen_at",
                (source, remaining, seen_at),
            )
        con.close()

    def last_credits(self, source: str) -> tuple[int, dt.datetime] | None:
        """The last count and when it was seen; None when none was ever noted (reading creates nothing)."""
        if not self.path.exists():
            return None
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            row = con.execute("SELECT remaining, seen_at FROM source_credits WHERE source = ?", (source,)).fetchone()
        except sqlite3.OperationalError:  # no table yet: no source ever reported credits
            return None
        finally:
            con.close()
        return None if row is None else (int(row[0]), dt.datetime.fromisoformat(row[1]))
