"""How many requests each source made this month, and how many pages each board needed last time.

Two small tables of the state file (``ledger.sqlite``), next to runs and steps:

* ``source_requests(source, month, requests)``: every attempt sent to a paid or rate-limited API, counted the
  moment it is sent (providers count failed attempts too). A request that would go over the source's monthly
  budget is refused before it is sent (``QuotaExceeded``), so a run that underestimated its needs stops at the
  budget instead of running over it.
* ``board_pages(source, icao, board, pages)``: the pages a board needed the last time, so quota planning for
  paginated sources (aviationstack) estimates from experience instead of a guess.

:class:`ApiUsage` is the tables; :class:`UsageLedger` binds the configured budgets and a clock to them, and is
what the HTTP layer and quota planning hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from flightpipe.core.errors import QuotaExceeded
from flightpipe.state.db import Database


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def month_of(when: dt.datetime) -> str:
    return f"{when.astimezone(dt.UTC):%Y-%m}"


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


class UsageLedger:
    """Request counts and budgets per source, counted against the month of ``clock()``; thread-safe, and
    safe to share the file with the other state (its own connection, set up by :class:`Database`)."""

    def __init__(
        self,
        path: Path,
        budgets: Mapping[str, int | None] | None = None,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.path = path
        self._budgets = dict(budgets or {})
        self._clock = clock
        self.db = Database.open(path)
        self._usage = ApiUsage(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> UsageLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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
