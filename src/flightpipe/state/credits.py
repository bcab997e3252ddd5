"""The last credits count each source reported (``source_credits``).

OpenSky limits credits per day, not requests per month, and says how many are left in every answer
(``X-Rate-Limit-Remaining``). The last count is kept so ``flightpipe sources`` can show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

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
        """The last count and when it was seen; None when none was noted."""
        row = self.db.read_one("SELECT remaining, seen_at FROM source_credits WHERE source = ?", (source,))
        return None if row is None else (int(row["remaining"]), dt.datetime.fromisoformat(row["seen_at"]))


class CreditsMemory:
    """The credits memory a source client holds (``note_credits``) and the sources report reads
    (``last_credits``), by the state file's path.

    A connection per call: a board notes its credits once, and short connections need no closing by the
    source's owner (the source factory creates this, nobody else holds it)."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.path = path
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def note_credits(self, source: str, remaining: int) -> None:
        db = Database.open(self.path)
        try:
            SourceCredits(db).note(source, remaining, seen_at=self._clock())
        finally:
            db.close()

    def last_credits(self, source: str) -> tuple[int, dt.datetime] | None:
        """The last count and when it was seen; None when none was ever noted (reading creates nothing)."""
        if not self.path.exists():
            return None
        db = Database.open(self.path, read_only=True)
        try:
            if not db.has_table("source_credits"):  # a file of an older flightpipe no source reported to
                return None
            return SourceCredits(db).last(source)
        finally:
            db.close()
