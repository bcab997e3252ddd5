"""``flightpipe quarantine [--replay]``: what a collection date has in quarantine, and what a replay recovered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flightpipe.config import Settings
from flightpipe.core.layout import RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.quality.quarantine import quarantine_files, raw_key_of, read_entries


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """The records of one raw file that one rule rejected for one reason (up to three of them as examples)."""

    airport_icao: str
    board: str
    run_id: str
    rule: str
    reason: str
    count: int
    examples: list[str] = field(default_factory=list)


def quarantine_summary(settings: Settings, day: dt.date) -> list[QuarantineRow]:
    """What is in quarantine for collection date ``day``, grouped by raw file, rule and reason."""
    store = ObjectStore(settings.data_dir)
    rows: list[QuarantineRow] = []
    for key in quarantine_files(store, day, settings.airports):
        raw = RawKey.parse(raw_key_of(key))
        groups: dict[tuple[str, str], list[str]] = {}
        for entry in read_entries(store, key):
            groups.setdefault((entry.rule, entry.reason), []).append(entry.label)
        for (rule, reason), labels in groups.items():
            rows.append(QuarantineRow(raw.icao, str(raw.board), raw.run_id, rule, reason, len(labels), labels[:3]))
    return rows


def quarantined_records(rows: list[QuarantineRow]) -> int:
    return sum(row.count for row in rows)


@dataclass(frozen=True, slots=True)
class ReplayAccount:
    """The quarantine of a date before and after a replay: what came back into the transformed layer."""

    before: list[QuarantineRow]
    after: list[QuarantineRow]

    @property
    def recovered(self) -> int:
        return quarantined_records(self.before) - quarantined_records(self.after)

    @property
    def still_quarantined(self) -> int:
        return quarantined_records(self.after)
