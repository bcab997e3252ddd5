"""What a dataset rule looks at: the facts of one partition, gathered once by the evaluator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from flightpipe.quality.api import Partition
from flightpipe.quality.quarantine import QuarantineEntry


@dataclass(frozen=True, slots=True)
class BoardFacts:
    """One airport's board of one collection day, as its latest collection left it."""

    partition: Partition
    #: The latest raw file of the board (None: the board was never collected that day).
    raw_key: str | None
    #: Set when the latest raw file could not be read at all (quarantined whole).
    corrupt_reason: str | None
    #: Records in the latest raw file: transformed rows plus quarantined records.
    records_in: int
    #: The transformed rows of the latest raw file (TRANSFORMED_SCHEMA; empty when there are none).
    rows: pa.Table
    quarantined: int
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    #: Volumes (records) of the same airport, board and weekday in earlier weeks, newest first.
    history: list[tuple[dt.date, float]] = field(default_factory=list)
    #: The latest raw file's quarantine entries.
    entries: list[QuarantineEntry] = field(default_factory=list)

    @property
    def collected(self) -> bool:
        return self.raw_key is not None and self.corrupt_reason is None


@dataclass(frozen=True, slots=True)
class FlightDateFacts:
    """One processed flight date: what process read and what it wrote."""

    partition: Partition
    #: Transformed rows (observations, codeshare records included) of this flight date.
    rows_in: int
    #: The processed partition (PROCESSED_SCHEMA).
    rows: pa.Table
    codeshares: int
    duplicates_merged: int


class VolumeHistory(Protocol):
    """Earlier results: the record count a run measured for a board on given dates (the ledger keeps them)."""

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]: ...


class NoHistory:
    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        return {}
