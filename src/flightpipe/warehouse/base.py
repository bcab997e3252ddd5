"""The warehouse interface the load stage talks to; one adapter per engine implements it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class LoadResult:
    flight_date: dt.date
    rows_loaded: int
    rows_replaced: int
    codeshares_loaded: int


class Warehouse(Protocol):
    url: str

    def init(self) -> None:
        """Create every table (and view) that does not exist yet."""
        ...

    def load_flight_date(self, flight_date: dt.date, flights: pa.Table, *, run_id: str) -> LoadResult:
        """Replace ``flight_date``'s rows with ``flights`` (PROCESSED_SCHEMA) in one transaction."""
        ...

    def close(self) -> None: ...
