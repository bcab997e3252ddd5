"""The one clock type: every "now" in flightpipe is asked of a ``Clock``, so tests can fix or move time; and the
one rule for which day a scheduled run collects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

#: A function returning the current instant, timezone-aware (UTC inside, always).
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def collection_day(fired_at: dt.datetime, day_offset: int = 1) -> dt.date:
    """The day a run fired at ``fired_at`` collects: ``day_offset`` days before its UTC date (default: yesterday)."""
    return fired_at.astimezone(dt.UTC).date() - dt.timedelta(days=day_offset)
