"""How many requests each source made this month, and how many pages each board needed last time.

Two small tables of the state file (``ledger.sqlite``), next to runs and steps:

* ``source_requests(source, month, requests)``: every attempt sent to a paid or rate-limited API, counted the
  moment it is sent (providers count failed attempts too). A request that would go over the source's monthly
  budget is refused before it is sent (``QuotaExceeded``), so a run that underestimated its needs stops at the
  budget instead of running over it.
* ``board_pages(source, icao, board, pages)``: the pages a board needed the last time, so quota planning for
  paginated sources (aviationstack) estimates from experience instead of a guess.

:class:`ApiUsage` is the tables; :class:`BudgetedUsage` binds the configured budgets and a clock to them, and is
what the HTTP layer and quota planning hold (``flightpipe.pipeline.sources`` builds it over the run's store).
The month a request counts in is ``flightpipe.sources.quota.month_of``, the one rule quota planning uses too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import QuotaExceeded
from flightpipe.sources.quota import month_of
from flightpipe.state.db import Database


class ApiUsage:
    """The ``source_requests`` and ``board_pages`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def used(self, source: str, month: str) -> int:
        """Requests ``source`` made in ``month`` (``YYYY-MM``)."""
        row = self.db.read_one("SELECT requests FROM source_requests WHERE source = ? AND month = ?", (source, month))
        return int(row["requests"]) if row else 0

    def reserve_request(self, source: str, *, month: str, budget: int | None) -> None:
        """Count one request about to be sent, or refuse it when ``budget`` is used up (atomically, so parallel
        boards cannot both take the last request)."""
        with self.db.transaction() as con:
            row = con.execute(
                "SELECT requests FROM source_requests WHERE source = ? AND month = ?", (source, month)
            ).fetchone()
            used = int(row["requests"]) if row else 0
            if budget is not None and used >= budget:
                raise QuotaExceeded(
                    f"{source}: the monthly budget of {budget} requests for {month} is used up ({used} made); "
                    f"raise sources.{source}.monthly_budget if your plan allows more, or wait for next month"
                )
            con.execute(
                "INSERT INTO source_requests (source, month, requests) VALUES (?, ?, 1) "
                "ON CONFLICT (source, month) DO UPDATE SET requests = requests + 1",
                (source, month),
            )

    def note_pages(self, source: str, icao: str, board: str, pages: int, *, at: dt.datetime) -> None:
        """Remember how many pages the board needed (at ``at``)."""
        self.db.write(
            "INSERT INTO board_pages (source, icao, board, pages, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (source, icao, board) DO UPDATE SET pages = excluded.pages, "
            "updated_at = excluded.updated_at",
            (source, icao, board, pages, at.isoformat(timespec="seconds")),
        )

    def pages(self, source: str, icao: str, board: str) -> int | None:
        """The pages the board needed last time, None when never noted."""
        row = self.db.read_one(
            "SELECT pages FROM board_pages WHERE source = ? AND icao = ? AND board = ?", (source, icao, board)
        )
        return int(row["pages"]) if row else None


class BudgetedUsage:
    """The usage tables as a source counts against them (``flightpipe.sources.spec.UsageCounter``): requests in
    the month of ``clock()``, refused over the configured ``budgets``. Holds the store's tables, not a connection:
    whoever opened the store closes it."""

    def __init__(
        self, usage: ApiUsage, budgets: Mapping[str, int | None] | None = None, *, clock: Clock = utc_now
    ) -> None:
        self._usage = usage
        self._budgets = dict(budgets or {})
        self._clock = clock

    def used(self, source: str, month: str | None = None) -> int:
        return self._usage.used(source, month or month_of(self._clock()))

    def budget(self, source: str) -> int | None:
        return self._budgets.get(source)

    def reserve_request(self, source: str) -> None:
        """Count one request about to be sent, or refuse it (``QuotaExceeded``) when this month's budget is
        used up."""
        self._usage.reserve_request(source, month=month_of(self._clock()), budget=self._budgets.get(source))

    def note_pages(self, source: str, icao: str, board: str, pages: int) -> None:
        self._usage.note_pages(source, icao, board, pages, at=self._clock())

    def pages(self, source: str, icao: str, board: str) -> int | None:
        return self._usage.pages(source, icao, board)
