"""The one clock type: every "now" in flightpipe is asked of a ``Clock``, so tests can fix or move time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

#: A function returning the current instant, timezone-aware (UTC inside, always).
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
