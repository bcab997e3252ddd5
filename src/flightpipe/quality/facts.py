"""What a dataset rule looks at: the facts of one partition, gathered once by the evaluator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from flightpipe.quality.api import Partition, RuleConfig
from flightpipe.quality.quarantine import QuarantineEntry


@dataclass(frozen=True, slots=True)
class NullCounts:
    """What ``null_share`` reads of a table's rows (``quality.rules.null_counts``)."""

    rows: int
    #: The rows' sources: distinct, not null, in order of first appearance.
    sources: list[str]
    #: Per key column of ``null_share``: (nulls, rows judged).
    judged: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class RowCounts:
    """What the board checks read of a board's transformed rows, counted where the rows are held, so that the
    rows need not be carried (a transform worker counts them and hands back this, small and picklable).

    Every part is counted by the function the rules use on rows (``quality.board_facts.count_rows``)."""

    rows: int
    nulls: NullCounts
    #: Rows that repeat another row of the board, and the repeated keys (at most MAX_EXAMPLES).
    duplicates: int
    repeated: list[str]
    #: Per warn-level record rule: the config it was counted under, the rows breaking it, a few of them.
    warned: dict[str, tuple[RuleConfig, int, list[str]]]


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
    #: The transformed rows of the latest raw file (TRANSFORMED_SCHEMA; empty when there are none); None when
    #: they were counted where they were held (``counts``) and not carried here.
    rows: pa.Table | None
    quarantined: int
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    #: Volumes (records) of the same airport, board and weekday in earlier weeks, newest first.
    history: list[tuple[dt.date, float]] = field(default_factory=list)
    #: The latest raw file's quarantine entries (with ``counts``: the first MAX_EXAMPLES of each rule, all the
    #: checks show of them; ``quarantined_by_rule`` counts them all).
    entries: list[QuarantineEntry] = field(default_factory=list)
    #: The rows counted where they were held (set exactly when ``rows`` is None).
    counts: RowCounts | None = None

    @property
    def collected(self) -> bool:
        return self.raw_key is not None and self.corrupt_reason is None

    @property
    def row_count(self) -> int:
        """Transformed rows of the latest raw file."""
        return self.counts.rows if self.counts is not None else self.table.num_rows

    @property
    def table(self) -> pa.Table:
        """``rows``, which facts without ``counts`` have."""
        if self.rows is None:
            raise ValueError(f"{self.partition.label}: the facts carry the rows' counts, not the rows")
        return self.rows


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
