"""What a report covers and where it reads and writes: the value object the report takes instead of ``Settings``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from flightpipe.core.paths import DataPaths


@dataclass(frozen=True, slots=True)
class ReportScope:
    """The airports and boards a report shows; ``paths``: the ledger (freshness) and the data folder, where the
    report is written unless told otherwise."""

    airports: tuple[str, ...]
    boards: tuple[str, ...]
    paths: DataPaths


class ComposedSettings(Protocol):
    """Transitional: the root settings' shape, for callers that still pass it whole (never imported from
    config). Remove with the last such caller."""

    @property
    def airports(self) -> Sequence[str]: ...

    @property
    def boards(self) -> Sequence[str]: ...

    def paths(self) -> DataPaths: ...


def report_scope(source: ReportScope | ComposedSettings) -> ReportScope:
    if isinstance(source, ReportScope):
        return source
    return ReportScope(tuple(source.airports), tuple(str(b) for b in source.boards), source.paths())
