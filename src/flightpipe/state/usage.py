"""How many requests each source made this month, and how many pages each board needed last time.

Two small tables in the run history's SQLite file (``ledger.sqlite``), next to runs and steps:

* ``source_requests(source, month, requests)``: every attempt sent to a paid or rate-limited API, counted the
  moment it is sent (providers count failed attempts too). A request that would go over the source's monthly
  budget is refused before it is sent (``QuotaExceeded``), so a run that underestimated its needs stops at the
  budget instead of running over it.
* ``board_pages(source, icao, board, pages)``: the pages a board needed the last time, so quota planning for
  paginated sources (aviationstack) estimates from experience instead of a guess.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from flightpipe.core.errors import QuotaExceeded

_SCHEMA = """
CREATE TABLE IF NOT EXISTS source_requests (
    source    TEXT NOT NULL,
    month     TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    PRIMARY KEY (source, month)
);
CREATE TABLE IF NOT EXISTS board_pages (
    source      TEXT NOT NULL,
    icao        TEXT NOT NULL,
    board       TEXT NOT NULL,
    pages       INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (source, icao, board)
);
"""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def month_of(when: dt.datetime) -> str:
    return f"{when.astimezone(dt.UTC):%Y-%m}"


class UsageLedger:
    """Request counts and budgets per source; thread-safe, and safe to share the file with the run ledger."""

    def __init__(
        self,
        path: Path,
        budgets: Mapping[str, int | None] | None = None,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._budgets = dict(budgets or {})
        self._clock = clock
        self._lock = threading.Lock()
        self._con = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        with self._lock:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # Requests ---------------------------------------------------------------------------------------------

    def used(self, source: str, month: str | None = None) -> int:
        with self._lock:
            row = self._con.execute(
                "SELECT requests FROM source_requests WHERE source = ? AND month = ?",
                (source, month or month_of(self._clock())),
            ).fetchone()
        return int(row[0]) if row else 0

    def budget(self, source: str) -> int | None:
        return self._budgets.get(source)

    def reserve_request(self, source: str) -> None:
        """Count one request about to be sent, or refuse it when the monthly budget is used up (atomically,
        so parallel boards cannot both take the last request)."""
        budget = self._budgets.get(source)
        month = month_of(self._clock())
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                row = self._con.execute(
                    "SELECT requests FROM source_requests WHERE source = ? AND month = ?", (source, month)
                ).fetchone()
                used = int(row[0]) if row else 0
                if budget is not None and used >= budget:
                    raise QuotaExceeded(
                        f"{source}: the monthly budget of {budget} requests for {month} is used up ({used} made); "
                        f"raise sources.{source}.monthly_budget if your plan allows more, or wait for next month"
                    )
                self._con.execute(
                    "INSERT INTO source_requests (source, month, requests) VALUES (?, ?, 1) "
                    "ON CONFLICT (source, month) DO UPDATE SET requests = requests + 1",
                    (source, month),
                )
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    # Pages per board --------------------------------------------------------------------------------------

    def note_pages(self, source: str, icao: str, board: str, pages: int) -> None:
        with self._lock:
            self._con.execute(
                "INSERT INTO board_pages (source, icao, board, pages, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (source, icao, board) DO UPDATE SET pages = excluded.pages, "
                "updated_at = excluded.updated_at",
                (source, icao, board, pages, self._clock().isoformat(timespec="seconds")),
            )

    def pages(self, source: str, icao: str, board: str) -> int | None:
        with self._lock:
            row = self._con.execute(
                "SELECT pages FROM board_pages WHERE source = ? AND icao = ? AND board = ?", (source, icao, board)
            ).fetchone()
        return int(row[0]) if row else None
