"""The last credits count each source reported (``source_credits``).

OpenSky limits credits per day, not requests per month, and says how many are left in every answer
(``X-Rate-Limit-Remaining``). The last count is kept so ``flightpipe sources`` can show it.
"""

from __future__ import annotations

import datetime as dt

from flightpipe.core.clock import Clock, utc_now
from flightpipe.state.db import Database


class SourceCredits:
    """The ``source_credits`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def note(self, source: str, remaining: int, *, seen_at: dt.datetime) -> None:
        self.db.write(
            "INSERT INTO source_credits (source, remaining, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (source) DO UPDATE SET remaining = excluded.remaining, seen_at = excluded.seen_at",
            (source, remaining, seen_at.astimezone(dt.UTC).isoformat(timespec="seconds")),
        )

    def last(self, source: str) -> tuple[int, dt.datetime] | None:
        """The last count and when it was seen; None when none was noted (also in a file of an older flightpipe,
        opened read-only, that has no such table: no source reported to it)."""
        if not self.db.has_table("source_credits"):
            return None
        row = self.db.read_one("SELECT remaining, seen_at FROM source_credits WHERE source = ?", (source,))
        return None if row is None else (int(row["remaining"]), dt.datetime.fromisoformat(row["seen_at"]))


class NotedCredits:
    """The credits memory a source client holds (``flightpipe.sources.spec.CreditsMemory``: ``note_credits``) and
    the sources report reads (``last_credits``), over the store's table, seen at ``clock()``. The store's
    connection is shared by threads, so a collect thread may note credits while others record steps."""

    def __init__(self, credits: SourceCredits, *, clock: Clock = utc_now) -> None:
        self._credits = credits
        self._clock = clock

    def note_credits(self, source: str, remaining: int) -> None:
        self._credits.note(source, remaining, seen_at=self._clock())

    def last_credits(self, source: str) -> tuple[int, dt.datetime] | None:
        return self._credits.last(source)
