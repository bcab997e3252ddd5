"""What every source delivers: the native pages of one airport's board for one day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from flightpipe.core.layout import Board


@dataclass(frozen=True, slots=True)
class FetchedBoard:
    """The untouched responses of one board, plus the (already redacted) requests that produced them."""

    pages: list[Any]
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Where each page keeps its records (None: the page is the list itself, as OpenSky answers).
    records_key: str | None = "data"

    @property
    def record_count(self) -> int:
        if self.records_key is None:
            return sum(len(page) for page in self.pages if isinstance(page, list))
        return sum(len(page.get(self.records_key) or []) for page in self.pages if isinstance(page, dict))


class Source(Protocol):
    """A flight-data source. ``name`` is recorded in every row (``source`` column); ``format`` names the
    normaliser that understands its pages (``flightpipe.sources.formats``)."""

    name: str
    format: str

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        """The board of ``icao`` for local date ``day``, as known at ``as_of`` (UTC)."""
        ...
