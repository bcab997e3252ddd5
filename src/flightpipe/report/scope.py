"""What a report covers and where it reads and writes: the value object the report takes instead of ``Settings``."""

from __future__ import annotations

from dataclasses import dataclass

from flightpipe.core.paths import DataPaths


@dataclass(frozen=True, slots=True)
class ReportScope:
    """The airports and boards a report shows; ``paths``: the ledger (freshness) and the data folder, where the
    report is written unless told otherwise."""

    airports: tuple[str, ...]
    boards: tuple[str, ...]
    paths: DataPaths
